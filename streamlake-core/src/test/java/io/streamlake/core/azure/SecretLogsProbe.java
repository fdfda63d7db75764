package io.streamlake.core.azure;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.eventhubs.EventHubs;
import io.streamlake.core.eventhubs.EventHubsEntraId;
import io.streamlake.core.eventhubs.EventHubsSource;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.core.testing.NoMarkers;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.SourceReader;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Runs every credential path of the library in a JVM of its own whose logging is at DEBUG from the
 * start (slf4j-simple reads its level once, when the first logger is made, so a test JVM that has
 * logged already cannot be switched). It prints every message, cause chain and {@code toString()} it
 * meets; {@link SecretLogsTest} scans all of that output, logs included, for pieces of the secrets it
 * passes in the environment. Nothing here leaves the machine: Azure hosts are never resolved to
 * anything reachable here, and the Kafka endpoint is a closed loopback port.
 */
public final class SecretLogsProbe {
    private static final String HOST = "mylake.dfs.core.windows.net";
    private static final String TABLE = "abfss://lake@" + HOST + "/bronze/orders";

    private SecretLogsProbe() {
    }

    /** A step that may throw. */
    private interface Step {
        void run() throws Exception;
    }

    public static void main(String[] args) {
        // java.util.logging at its DEBUG (FINE) too, for any library that uses it. Not below: the JDK's own
        // HTTP client traces every URL it opens at FINEST, a SAS query string included, whoever calls it.
        Logger root = LogManager.getLogManager().getLogger("");
        root.setLevel(Level.FINE);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(Level.FINE);
        }
        Map<String, String> env = System.getenv();
        String key = env.get("SL_ACCOUNT_KEY");
        String sas = env.get("SL_SAS");
        String token = env.get("SL_ENTRA_TOKEN");
        String eventHubsKey = env.get("SL_EVENTHUBS_KEY");
        String storageKey = env.get("SL_STORAGE_KEY");
        String password = env.get("SL_KAFKA_PASSWORD");
        int closedPort = Integer.parseInt(env.get("SL_CLOSED_PORT"));

        step("account key", () -> {
            Map<String, String> options = AdlsGen2.accountKey("mylake", key);
            show("options", options, options.entrySet(), options.values(), options.entrySet().iterator().next());
            Pipeline pipeline = Pipeline.from(KafkaSource.topics("127.0.0.1:" + closedPort, "orders"))
                    .bronze(TABLE).bronzeOnly().withStorageOptions(options);
            show("pipeline", pipeline, pipeline.storageOptions());
            open(options);
        });
        step("malformed account keys", () -> {
            for (String bad : List.of(key.substring(0, 40) + "!#" + key.substring(42), key.substring(0, 60),
                    key + " " + key, "DefaultEndpointsProtocol=https;AccountName=mylake;AccountKey=" + key, sas,
                    "\"" + key + "\"")) {
                refused(() -> AdlsGen2.accountKey("mylake", bad));
                // set by hand: refused before Hadoop parses (and logs) it
                Map<String, String> byHand = new HashMap<>(limits());
                byHand.put("fs.azure.account.key." + HOST, bad);
                refused(() -> DeltaTable.open(TABLE, byHand).snapshot());
                refused(() -> AzureStorage.locate(TABLE, byHand).fileSystem());
            }
        });
        step("SAS", () -> {
            Map<String, String> options = AdlsGen2.sas("mylake", "?" + sas);
            show("options", options, options.entrySet(), options.values());
            open(options);
        });
        step("malformed SAS tokens", () -> {
            String sig = sas.substring(sas.indexOf("sig=") + 4);
            for (String bad : List.of("https://mylake.blob.core.windows.net/lake?" + sas, "??" + sas,
                    sas.replace(sig, java.net.URLDecoder.decode(sig, java.nio.charset.StandardCharsets.UTF_8)),
                    sas.substring(0, sas.length() - 6), sas.replace("sv=", "v="), key,
                    "BlobEndpoint=https://mylake.blob.core.windows.net/;SharedAccessSignature=" + sas)) {
                refused(() -> AdlsGen2.sas("mylake", bad));
                Map<String, String> byHand = new HashMap<>(limits());
                byHand.put("fs.azure.account.auth.type." + HOST, "SAS");
                byHand.put("fs.azure.sas.fixed.token." + HOST, bad);
                refused(() -> DeltaTable.open(TABLE, byHand).snapshot());
            }
        });
        step("Entra ID", () -> {
            StaticTokenCredential credential = StaticTokenCredential.of(token, OffsetDateTime.now().plusHours(1));
            Map<String, String> options = AdlsGen2.entraId("mylake", credential);
            show("options", options, options.entrySet(), options.values(), AdlsGen2.entraId("mylake"));
            open(options);
            // the driver signed its request with our provider: the token was asked for, and so could have leaked
            System.out.println("token requests: " + credential.scopes().size());
        });
        step("malformed Event Hubs connection strings", () -> {
            String endpoint = "Endpoint=sb://my-ns.servicebus.windows.net/";
            String good = endpoint + ";SharedAccessKeyName=listen;SharedAccessKey=" + eventHubsKey;
            for (String bad : List.of("Endpoint=" + eventHubsKey + ";SharedAccessKeyName=listen;SharedAccessKey=x",
                    "Endpoint=sb://" + eventHubsKey + "/;SharedAccessKeyName=listen;SharedAccessKey=" + eventHubsKey,
                    endpoint + ";SharedAccessKeyName=" + eventHubsKey + ";SharedAccessKey=x",
                    good + ";EntityPath=" + eventHubsKey, good + ";" + eventHubsKey, good + ";SharedAccessKey=x")) {
                refused(() -> EventHubs.kafka(bad, "orders"));
                refused(() -> EventHubs.producer(bad, "orders"));
                refused(() -> EventHubs.amqp(bad, "orders", "$Default"));
            }
            refused(() -> EventHubs.kafka(good, eventHubsKey));
            refused(() -> EventHubsEntraId.kafka(eventHubsKey, "orders"));
            refused(() -> EventHubsEntraId.kafka(good, "orders"));
            refused(() -> KafkaSource.topics("127.0.0.1:" + closedPort, eventHubsKey));
            EventHubsSource source = EventHubs.amqp(good, "orders", "$Default");
            String storage = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + storageKey;
            show("sources", source, source.withCheckpointStore(storage, "checkpoints"),
                    source.withCheckpointStoreUrl("https://acct.blob.core.windows.net/cp?" + sas, null));
            refused(() -> source.withCheckpointStore(storage.replace("acct", storageKey), "checkpoints"));
            refused(() -> source.withCheckpointStore(storage.substring(0, storage.length() - 8), "checkpoints"));
            refused(() -> source.withCheckpointStore(storage, storageKey));
            refused(() -> source.withCheckpointStoreUrl("https://acct.blob.core.windows.net/cp?" + sas + " x", null));
            refused(() -> source.withCheckpointStoreUrl(storage, null));
        });
        step("Event Hubs Kafka endpoint", () -> {
            // a closed loopback port: the clients start, sign in to nothing, and give up
            String cs = "Endpoint=sb://127.0.0.1:" + closedPort + "/;SharedAccessKeyName=send;SharedAccessKey="
                    + eventHubsKey;
            EventProducer.Builder settings =
                    EventHubs.producer(cs, "orders").withProducerProperty("max.block.ms", "1500");
            show("producer settings", settings);
            try (EventProducer producer = settings.open()) {
                show("producer", producer);
                producer.send("ORD-1", "{}");
                producer.flush();
            } catch (RuntimeException e) {
                show("producer failure", e);
            }
            KafkaSource source = EventHubs.kafka(cs, "orders").withConsumerProperty("default.api.timeout.ms", "1500");
            show("source", source);
            try (SourceReader reader = source.open(new NoMarkers("secret-logs"))) {
                reader.poll(10, Duration.ofMillis(1500));
            } catch (RuntimeException e) {
                show("consumer failure", e);
            }
        });
        step("Event Hubs Kafka endpoint with Entra ID", () -> {
            // OAUTHBEARER: Kafka logs in when the client is made, asking our handler (and so the credential) for a token
            StaticTokenCredential credential = StaticTokenCredential.of(token, OffsetDateTime.now().plusHours(1));
            String namespace = "127.0.0.1:" + closedPort;
            EventProducer.Builder settings = EventHubsEntraId.producer(namespace, "orders", credential)
                    .withProducerProperty("max.block.ms", "1500");
            show("producer settings", settings);
            try (EventProducer producer = settings.open()) {
                producer.send("ORD-1", "{}");
                producer.flush();
            } catch (RuntimeException e) {
                show("producer failure", e);
            }
            KafkaSource source = EventHubsEntraId.kafka(namespace, "orders", credential)
                    .withConsumerProperty("default.api.timeout.ms", "1500");
            show("source", source);
            try (SourceReader reader = source.open(new NoMarkers("secret-logs"))) {
                reader.poll(10, Duration.ofMillis(1500));
            } catch (RuntimeException e) {
                show("consumer failure", e);
            }
            System.out.println("Kafka token requests: " + credential.scopes().size());
        });
        step("malformed JAAS config", () -> {
            String half = password.substring(0, password.length() / 2);
            String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password="
                    + half + " " + password.substring(half.length()) + ";";
            Map<String, String> sasl = Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                    "sasl.jaas.config", jaas);
            KafkaSource source = KafkaSource.topics("127.0.0.1:" + closedPort, "orders").withConsumerProperties(sasl);
            refused(() -> source.open(new NoMarkers("secret-logs")).close());
            refused(() -> EventProducer.kafka("127.0.0.1:" + closedPort, "orders").withProducerProperties(sasl).open());
        });
        System.out.println("PROBE FINISHED");
    }

    /**
     * Settings that keep the ABFS driver from waiting (no account to ask, no retries) and send its
     * requests to a closed loopback port, so that it signs them (asks for the token, signs with the key,
     * appends the SAS) before it fails to connect.
     */
    private static Map<String, String> limits() {
        // Hadoop caches one file system per scheme and container@account: without this, every step after
        // the first would reuse the first step's credentials and never use its own
        return Map.of("fs.azure.account.hns.enabled", "true", "fs.azure.io.retry.max.retries", "0",
                "fs.azure.abfs.endpoint", "127.0.0.1:" + System.getenv("SL_CLOSED_PORT"),
                "fs.abfss.impl.disable.cache", "true");
    }

    /** Opens a table with the options; reaching storage fails (no such host here), which is logged and thrown. */
    private static void open(Map<String, String> options) {
        Map<String, String> all = new HashMap<>(options);
        all.putAll(limits());
        DeltaTable table = DeltaTable.open(TABLE, all);
        show("table", table);
        try {
            table.snapshot();
            System.out.println("UNEXPECTED: a snapshot of " + TABLE + " was read");
        } catch (RuntimeException e) {
            show("snapshot failure", e);
        }
    }

    private static void step(String name, Step step) {
        System.out.println("STEP " + name);
        try {
            step.run();
            System.out.println("DONE " + name);
        } catch (Throwable t) {
            System.out.println("UNEXPECTED: step " + name + " failed");
            t.printStackTrace(System.out);
        }
    }

    private static void refused(Step step) {
        try {
            step.run();
            System.out.println("UNEXPECTED: accepted");
        } catch (ConfigurationException e) {
            show("refused", e);
        } catch (Throwable t) {
            System.out.println("UNEXPECTED: not a ConfigurationException");
            t.printStackTrace(System.out);
        }
    }

    private static void show(String what, Object... objects) {
        for (Object o : objects) {
            System.out.println(what + ": " + o);
            if (o instanceof Throwable t) {
                for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
                    System.out.println("  message: " + c.getMessage());
                }
                t.printStackTrace(System.out);
            }
        }
    }
}
