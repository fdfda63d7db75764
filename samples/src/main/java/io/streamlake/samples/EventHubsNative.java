package io.streamlake.samples;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.eventhubs.EventHubs;
import io.streamlake.core.eventhubs.EventHubsEntraId;
import io.streamlake.core.eventhubs.EventHubsSource;
import io.streamlake.merge.MergeStrategies;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The quickstart's order events read from a real event hub with the native Event Hubs SDK (AMQP,
 * EventProcessorClient, ownership and checkpoints in a blob container) into bronze and silver.
 * Only names and credentials are needed; secrets come from the environment, never from the command
 * line history, and are never printed.
 *
 * <pre>
 * # with connection strings
 * EVENTHUBS_CONNECTION_STRING='Endpoint=sb://...' STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=https;...' \
 *   mvn -q -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.EventHubsNative \
 *   -Dexec.args="--eventhub orders --container checkpoints --lake ./lake"
 * # with Entra ID (az login, a managed identity, or AZURE_CLIENT_ID/...): no key anywhere
 * mvn -q -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.EventHubsNative \
 *   -Dexec.args="--namespace myns.servicebus.windows.net --eventhub orders \
 *   --container-url https://acct.blob.core.windows.net/checkpoints --lake ./lake"
 * </pre>
 */
public final class EventHubsNative {
    private EventHubsNative() {
    }

    /** @param args see {@link Options#USAGE} */
    public static void main(String[] args) {
        SampleMain.exitOnFailure(SampleMain.run("EventHubsNative", Options.USAGE, args, System.getenv(), Options::parse,
                o -> o.help, EventHubsNative::run));
    }

    /** Builds the source the options describe; connects nothing. */
    static EventHubsSource source(Options o) {
        EventHubsSource source = o.connectionString != null
                ? EventHubs.amqp(o.connectionString, o.eventHub, o.consumerGroup)
                : EventHubsEntraId.amqp(o.namespace, o.eventHub, o.consumerGroup);
        return o.storageConnectionString != null
                ? source.withCheckpointStore(o.storageConnectionString, o.container)
                : source.withCheckpointStoreUrl(o.containerUrl, null);
    }

    private static void run(Options o) {
        EventHubsSource source = source(o);
        String bronze = o.lake.resolve("bronze/" + o.eventHub).toString();
        String silver = o.lake.resolve("silver/" + o.eventHub).toString();
        Pipeline pipeline = Pipeline.from(source).bronze(bronze).silver(silver, "order_id")
                .withSchema(OrderEvents.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withName("eventhubs-native");
        System.out.println("Reading " + source);
        try (PipelineRun run = pipeline.start(o.keepRunning ? RunMode.CONTINUOUS : RunMode.UNTIL_CAUGHT_UP)) {
            Runtime.getRuntime().addShutdownHook(new Thread(run::close));
            run.awaitTermination();
            PipelineProgress p = run.progress();
            System.out.printf(Locale.ROOT, "Done: %,d events ingested, bronze v%d, silver v%d%n", p.eventsIngested(),
                    p.bronzeVersion(), p.silverVersion());
        }
        System.out.println("Bronze: " + bronze);
        System.out.println("Silver: " + silver);
    }

    /** Command line and environment. */
    static final class Options {
        static final String ENV_CONNECTION_STRING = "EVENTHUBS_CONNECTION_STRING";
        static final String ENV_STORAGE_CONNECTION_STRING = "STORAGE_CONNECTION_STRING";
        static final String USAGE = "usage: EventHubsNative --eventhub NAME [--consumer-group GROUP] [--lake DIR]\n"
                + "         [--namespace HOST] [--container NAME | --container-url URL] [--keep-running]\n"
                + "  --eventhub NAME        the event hub holding the order events\n"
                + "  --consumer-group G     default $Default\n"
                + "  --lake DIR             folder or abfss:// URI of the tables (default ./lake)\n"
                + "  Sign-in to Event Hubs: " + ENV_CONNECTION_STRING + " (a connection string with Listen rights),\n"
                + "    or --namespace myns.servicebus.windows.net for Entra ID (DefaultAzureCredential)\n"
                + "  Checkpoint store: --container NAME with " + ENV_STORAGE_CONNECTION_STRING + ",\n"
                + "    or --container-url https://acct.blob.core.windows.net/NAME for Entra ID\n"
                + "  --keep-running         keep ingesting until Ctrl-C instead of stopping when caught up";
        String eventHub = "";
        String consumerGroup = "$Default";
        java.nio.file.Path lake = java.nio.file.Path.of("lake");
        @Nullable String namespace;
        @Nullable String connectionString;
        @Nullable String storageConnectionString;
        @Nullable String container;
        @Nullable String containerUrl;
        boolean keepRunning;
        boolean help;

        static Options parse(String[] args, Map<String, String> env) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help", "-h" -> o.help = true;
                    case "--keep-running" -> o.keepRunning = true;
                    case "--eventhub" -> o.eventHub = value(args, ++i, a);
                    case "--consumer-group" -> o.consumerGroup = value(args, ++i, a);
                    case "--lake" -> o.lake = java.nio.file.Path.of(value(args, ++i, a));
                    case "--namespace" -> o.namespace = value(args, ++i, a);
                    case "--container" -> o.container = value(args, ++i, a);
                    case "--container-url" -> o.containerUrl = value(args, ++i, a);
                    default -> throw new IllegalArgumentException("unknown option " + (a.startsWith("--") ? a
                            : "(a value without an option)")
                            + "; secrets go in the environment, not on the command line");
                }
            }
            if (o.help) {
                return o;
            }
            if (o.eventHub.isBlank()) {
                throw new IllegalArgumentException("--eventhub NAME is required");
            }
            String cs = env.get(ENV_CONNECTION_STRING);
            o.connectionString = cs == null || cs.isBlank() ? null : cs;
            if (o.connectionString == null && o.namespace == null) {
                throw new IllegalArgumentException(
                        "set " + ENV_CONNECTION_STRING + ", or give --namespace HOST to sign in"
                                + " with Entra ID");
            }
            if (o.connectionString != null && o.namespace != null) {
                throw new IllegalArgumentException(
                        "give either " + ENV_CONNECTION_STRING + " or --namespace, not both");
            }
            if ((o.container == null) == (o.containerUrl == null)) {
                throw new IllegalArgumentException("give exactly one of --container NAME (with "
                        + ENV_STORAGE_CONNECTION_STRING + ") and --container-url URL");
            }
            if (o.container != null) {
                String scs = env.get(ENV_STORAGE_CONNECTION_STRING);
                if (scs == null || scs.isBlank()) {
                    throw new IllegalArgumentException("--container needs " + ENV_STORAGE_CONNECTION_STRING);
                }
                o.storageConnectionString = scs;
            }
            return o;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }
    }
}
