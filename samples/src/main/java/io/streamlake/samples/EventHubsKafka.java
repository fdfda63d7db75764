package io.streamlake.samples;

import io.streamlake.core.azure.AdlsGen2;
import io.streamlake.core.eventhubs.EventHubs;
import io.streamlake.core.kafka.KafkaSource;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The quickstart's order events through Azure Event Hubs' Kafka endpoint, signed in with a connection
 * string: optionally sends them to the event hub, then ingests the event hub into a bronze and a silver
 * Delta table (local, or on ADLS Gen2 with an account key from {@code LAKE_ACCOUNT_KEY}). Run it
 * again and it continues where it stopped, every event exactly once.
 *
 * <pre>
 * export EVENTHUBS_CONNECTION_STRING='Endpoint=sb://mynamespace.servicebus.windows.net/;SharedAccessKeyName=...;SharedAccessKey=...'
 * mvn -q -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.EventHubsKafka \
 *     -Dexec.args="--eventhub orders --produce --events 10000 --lake ./lake"
 * </pre>
 */
public final class EventHubsKafka {
    static final String ENV_ACCOUNT_KEY = "LAKE_ACCOUNT_KEY";
    static final String USAGE = "usage: EventHubsKafka --eventhub NAME [options]; the connection string comes from "
            + EventHubsOptions.ENV_CONNECTION_STRING + "\n" + EventHubsOptions.COMMON_USAGE + "\n"
            + "  abfss:// tables sign in with the account key in " + ENV_ACCOUNT_KEY + " (or see EventHubsEntra)";

    private EventHubsKafka() {
    }

    /** @param args see {@link #USAGE} */
    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    /** @return the exit code: 0 done, 1 failed, 2 wrong arguments */
    static int run(String[] args, Map<String, String> env) {
        return SampleMain.run("EventHubsKafka", USAGE, args, env,
                (a, e) -> EventHubsOptions.parse(a, e, EventHubsOptions.SignIn.CONNECTION_STRING),
                o -> o.help, o -> run(o, env));
    }

    static Quickstart.Summary run(EventHubsOptions options, Map<String, String> env) {
        String connectionString = Objects.requireNonNull(options.connectionString);
        String hub = Objects.requireNonNull(options.eventHub);
        Map<String, String> storage = lakeOptions(options, env); // before producing: a missing key fails at once
        long start = System.nanoTime();
        System.out.printf(Locale.ROOT, "StreamLake: event hub %s (connection string) -> %s%n", hub, options.lake);
        long produced = 0;
        if (options.produce) {
            OrderEvents orders = new OrderEvents(options.events, options.keys, Quickstart.PARTITIONS);
            produced = Quickstart.produceAll(EventHubs.producer(connectionString, hub)
                    .withProducerProperties(options.kafkaProperties), orders);
        }
        KafkaSource source = EventHubs.kafka(connectionString, hub).withConsumerProperties(options.kafkaProperties);
        if (options.consumerGroup != null) {
            source = source.withGroupId(options.consumerGroup);
        }
        return Quickstart.ingest(source, options.table("bronze"), options.table("silver"),
                storage, "eventhubs-kafka", options.keepRunning, produced, start);
    }

    /**
     * The storage options of a connection-string run's lake: none for a local folder, the account key
     * from {@code LAKE_ACCOUNT_KEY} for abfss://.
     */
    private static Map<String, String> lakeOptions(EventHubsOptions options, Map<String, String> env) {
        if (!options.remoteLake()) {
            return Map.of();
        }
        String key = env.get(ENV_ACCOUNT_KEY);
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("abfss:// tables need the storage account key in "
                    + ENV_ACCOUNT_KEY + " (or use EventHubsEntra, which signs in with Entra ID)");
        }
        return AdlsGen2.accountKey(options.account(), key);
    }
}
