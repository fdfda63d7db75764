package io.streamlake.core.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.streamlake.core.SecretFragments;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.exceptions.ConfigurationException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A key pasted into the wrong part of a connection string (or into the wrong argument) is never
 * printed, nor any 8-character piece of it: not in the message, not in a cause, not in a toString.
 */
class ConnectionStringSecretsTest {
    /** Event Hubs keys are the base64 text of 32 bytes, 44 characters ending in '='. */
    private static final String KEY = SecretFragments.randomBase64(32);
    private static final String STORAGE_KEY = SecretFragments.randomBase64(64);
    private static final String SIG = SecretFragments.randomSignature();
    private static final String ENDPOINT = "Endpoint=sb://my-ns.servicebus.windows.net/";
    private static final String GOOD = ENDPOINT + ";SharedAccessKeyName=listen;SharedAccessKey=" + KEY;

    private record Case(String name, Supplier<Object> call, String says) {
    }

    @Test
    void aKeyInTheWrongPartOrArgumentIsNamedNeverPrinted() {
        List<Case> cases = new ArrayList<>();
        List<String> misplaced = List.of(
                // the key pasted into the Endpoint, bare or as a host
                "Endpoint=" + KEY + ";SharedAccessKeyName=listen;SharedAccessKey=" + KEY,
                "Endpoint=sb://" + KEY + "/;SharedAccessKeyName=listen;SharedAccessKey=" + KEY,
                "Endpoint=" + KEY + ";SharedAccessKeyName=listen;SharedAccessKey=x",
                // into the policy name
                ENDPOINT + ";SharedAccessKeyName=" + KEY + ";SharedAccessKey=" + KEY,
                ENDPOINT + ";SharedAccessKeyName=" + KEY + ";SharedAccessKey=x",
                // into the EntityPath
                GOOD + ";EntityPath=" + KEY,
                ENDPOINT + ";SharedAccessKeyName=listen;SharedAccessKey=x;EntityPath=" + KEY,
                // a part without a name, a part named wrong, a doubled key
                GOOD + ";" + KEY,
                GOOD + ";Key=" + KEY,
                GOOD + ";SharedAccessKey=" + KEY);
        String[] says = {"Endpoint part", "Endpoint part", "Endpoint part", "SharedAccessKeyName part",
                "SharedAccessKeyName part", "EntityPath part", "EntityPath part", "part 4", "part 4",
                "SharedAccessKey twice"};
        for (int i = 0; i < misplaced.size(); i++) {
            String cs = misplaced.get(i);
            cases.add(new Case("kafka #" + i, () -> EventHubs.kafka(cs, "orders"), says[i]));
            cases.add(new Case("producer #" + i, () -> EventHubs.producer(cs, "orders"), says[i]));
            cases.add(new Case("amqp #" + i, () -> EventHubs.amqp(cs, "orders", "$Default"), says[i]));
            cases.add(new Case("parse #" + i, () -> ConnectionString.parse(cs), says[i]));
        }
        // a key or connection string given where a name belongs
        cases.add(new Case("key as event hub", () -> EventHubs.kafka(GOOD, KEY), "event hub name"));
        cases.add(new Case("key as the producer's event hub", () -> EventHubs.producer(GOOD, KEY), "event hub name"));
        cases.add(new Case("connection string as event hub", () -> EventHubs.kafka(GOOD, GOOD),
                "looks like a connection"));
        cases.add(new Case("key as namespace", () -> EventHubsEntraId.kafka(KEY, "orders"), "looks like a connection"));
        cases.add(new Case("stripped key as namespace", () -> EventHubsEntraId.kafka(KEY.replace("=", "") + "+/",
                "orders"), "is not a host name"));
        cases.add(new Case("key as Entra event hub", () -> EventHubsEntraId.producer("ns.servicebus.windows.net", KEY),
                "event hub name"));
        cases.add(new Case("key as native Entra event hub", () -> EventHubsEntraId.amqp("ns.servicebus.windows.net",
                KEY.replace("=", "") + "/", "$Default"), "event hub name"));
        cases.add(new Case("key as topic", () -> KafkaSource.topics("localhost:9092", "orders", KEY), "topic 2 of 2"));
        // the checkpoint store's storage connection string and URL
        EventHubsSource source = EventHubs.amqp(GOOD, "orders", "$Default");
        String storage = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + STORAGE_KEY
                + ";EndpointSuffix=core.windows.net";
        String sas = "sv=2024-11-04&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=" + SIG;
        cases.add(new Case("storage key as account name", () -> source.withCheckpointStore(
                storage.replace("AccountName=acct", "AccountName=" + STORAGE_KEY), "checkpoints"), "AccountName part"));
        cases.add(new Case("storage key cut short", () -> source.withCheckpointStore(
                storage.replace(STORAGE_KEY, STORAGE_KEY.substring(0, 80)), "checkpoints"), "AccountKey part"));
        cases.add(new Case("storage key as container", () -> source.withCheckpointStore(storage, STORAGE_KEY),
                "container name"));
        cases.add(new Case("bad SAS in a storage connection string", () -> source.withCheckpointStore(
                "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=" + sas.replace("sv=", "v="),
                "checkpoints"), "SharedAccessSignature part"));
        // cut in the signature's base64, before URL-encoding: a cut in the URL-encoded text can leave
        // half a %-escape, which is another mistake (the next case), so the random key decided the message
        String shortSig =
                java.net.URLEncoder.encode(java.net.URLDecoder.decode(SIG, java.nio.charset.StandardCharsets.UTF_8)
                        .substring(0, 40), java.nio.charset.StandardCharsets.UTF_8);
        cases.add(new Case("bad SAS in a container URL", () -> source.withCheckpointStoreUrl(
                "https://acct.blob.core.windows.net/cp?" + sas.replace(SIG, shortSig), null), "query string"));
        cases.add(new Case("SAS cut inside a %-escape", () -> source.withCheckpointStoreUrl(
                "https://acct.blob.core.windows.net/cp?" + sas + "%2", null), "Malformed escape pair at character"));
        cases.add(new Case("unparsable container URL", () -> source.withCheckpointStoreUrl(
                "https://acct.blob.core.windows.net/cp?" + sas + " |" + STORAGE_KEY, null), "is not a URL"));
        cases.add(new Case("connection string as container URL", () -> source.withCheckpointStoreUrl(storage, null),
                "looks like a connection string"));

        String sig = java.net.URLDecoder.decode(SIG, java.nio.charset.StandardCharsets.UTF_8);
        for (Case c : cases) {
            Throwable t = catchThrowable(c.call()::get);
            assertThat(t).as(c.name()).isInstanceOf(ConfigurationException.class);
            assertThat(t.getMessage()).as(c.name()).contains(c.says());
            String all = SecretFragments.describe(t);
            try {
                SecretFragments.assertNoneIn(all, KEY, STORAGE_KEY, SIG, sig);
            } catch (AssertionError e) {
                throw new AssertionError(c.name() + ": " + e.getMessage(), e);
            }
        }
    }

    @Test
    void objectsBuiltFromAGoodConnectionStringNeverPrintTheKey() {
        String storage = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + STORAGE_KEY;
        List<Object> objects = List.of(ConnectionString.parse(GOOD + ";EntityPath=orders"),
                EventHubs.kafka(GOOD, "orders"), EventHubs.producer(GOOD, "orders"),
                EventHubs.amqp(GOOD, "orders", "$Default").withCheckpointStore(storage, "checkpoints"),
                EventHubs.amqp(GOOD, "orders", "$Default").withCheckpointStoreUrl(
                        "https://acct.blob.core.windows.net/cp?sv=2024-11-04&sig=" + SIG, null),
                EventHubsEntraId.kafka("ns.servicebus.windows.net", "orders"));
        for (Object o : objects) {
            SecretFragments.assertNoneIn(o.toString(), KEY, STORAGE_KEY, SIG);
        }
        assertThat(objects.get(3).toString()).contains("container checkpoints of account acct");
        assertThat(objects.get(0).toString()).contains("my-ns.servicebus.windows.net", "listen", "orders");
    }
}
