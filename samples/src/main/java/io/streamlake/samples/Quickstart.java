package io.streamlake.samples;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.eventhubs.EventHubs;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.table.DataFile;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * The seed story on a real Kafka broker, nothing to install: by default it starts a broker inside
 * this process (KRaft mode, loopback only, data under {@code <lake>/kafka}), produces the generated
 * order events through {@link EventProducer}, and ingests them with a {@link KafkaSource} into a
 * bronze Delta table of raw events and a silver Delta table with the latest state of each order.
 * Run it twice with the same options and the second run neither produces nor ingests anything; kill
 * it and run it again and it finishes the work, with every event exactly once.
 *
 * <pre>
 * mvn -q -DskipTests install &amp;&amp; mvn -q -pl samples exec:java -Dexec.args="--events 100000 --keys 10000 --lake ./lake"
 * mvn -q -pl samples exec:java -Dexec.args="--bootstrap-servers 127.0.0.1:9092 --topic orders --lake ./lake"
 * EVENTHUBS_CONNECTION_STRING='Endpoint=sb://...' mvn -q -pl samples exec:java -Dexec.args="--eventhub orders --lake ./lake"
 * </pre>
 */
public final class Quickstart {
    /** Partitions of the topic the in-process broker creates. */
    static final int PARTITIONS = 4;
    private static final String PIPELINE = "quickstart";

    private Quickstart() {
    }

    /** @param args see {@link Options#USAGE} */
    public static void main(String[] args) {
        SampleMain.exitOnFailure(SampleMain.run("Quickstart", Options.USAGE, args, System.getenv(), Options::parse,
                o -> o.help, Quickstart::run));
    }

    static Summary run(Options options) {
        Path lake = options.lake.toAbsolutePath().normalize();
        OrderEvents orders = new OrderEvents(options.events, options.keys, PARTITIONS);
        long start = System.nanoTime();
        if (options.bootstrapServers != null) {
            System.out.printf(Locale.ROOT, "StreamLake quickstart: topic %s at %s -> %s%n", options.topic,
                    options.bootstrapServers, lake);
            long produced = options.produce ? produceAll(EventProducer.kafka(options.bootstrapServers, options.topic),
                    orders) : 0;
            return ingest(options, KafkaSource.topics(options.bootstrapServers, options.topic), lake, produced, start);
        }
        if (options.eventHub != null) {
            String connectionString = Objects.requireNonNull(options.connectionString);
            System.out.printf(Locale.ROOT, "StreamLake quickstart: event hub %s -> %s%n", options.eventHub, lake);
            long produced = options.produce ? produceAll(EventHubs.producer(connectionString, options.eventHub), orders)
                    : 0;
            return ingest(options, EventHubs.kafka(connectionString, options.eventHub), lake, produced, start);
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.start(lake.resolve("kafka"))) {
            kafka.createTopic(options.topic, PARTITIONS);
            System.out.printf(Locale.ROOT, "StreamLake quickstart: Kafka broker in this process at %s (data in %s),"
                    + " topic %s with %d partitions%n", kafka.bootstrapServers(), kafka.dataDir(), options.topic,
                    PARTITIONS);
            long produced = produceMissing(kafka, options.topic, orders);
            KafkaSource source = KafkaSource.topics(kafka.bootstrapServers(), options.topic)
                    // A run killed with kill -9 leaves its consumer in the group; a short session lets the
                    // next run take its partitions after seconds instead of Kafka's default 45.
                    .withConsumerProperty("session.timeout.ms", "6000")
                    .withConsumerProperty("heartbeat.interval.ms", "1000");
            return ingest(options, source, lake, produced, start);
        }
    }

    /**
     * Produces what the topic does not hold yet. Every partition receives its events in the
     * generator's order, so partition p holds exactly the first {@code endOffset(p)} of them: a rerun,
     * even after a run killed while producing, sends only the rest.
     */
    static long produceMissing(EmbeddedKafka kafka, String topic, OrderEvents orders) {
        Map<Integer, Long> held = kafka.endOffsets(topic);
        long missing = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            missing += Math.max(0, orders.size(p) - held.getOrDefault(p, 0L));
        }
        if (missing == 0) {
            System.out.printf(Locale.ROOT, "  the topic already holds all %,d events: nothing to produce%n",
                    orders.size());
            return 0;
        }
        long t0 = System.nanoTime();
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int p = 0; p < PARTITIONS; p++) {
                for (long pos = held.getOrDefault(p, 0L); pos < orders.size(p); pos++) {
                    long i = orders.eventIndex(p, pos);
                    producer.send(p, orders.key(i), orders.json(i).getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "  produced %,d events in %.1f s (%,.0f events/s)%n", missing, s, missing / s);
        return missing;
    }

    /**
     * Sends every generated event, keyed by order id: for brokers and event hubs the quickstart does not
     * own. Shared with the Event Hubs samples.
     */
    static long produceAll(EventProducer.Builder target, OrderEvents orders) {
        long t0 = System.nanoTime();
        long n = orders.size();
        try (EventProducer producer = target.open()) {
            for (long i = 0; i < n; i++) {
                producer.send(orders.key(i), orders.json(i).getBytes(StandardCharsets.UTF_8));
            }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "  produced %,d events in %.1f s (%,.0f events/s)%n", n, s, n / s);
        return n;
    }

    private static Summary ingest(Options options, KafkaSource source, Path lake, long produced, long start) {
        return ingest(source, lake.resolve("bronze/" + options.topic).toString(),
                lake.resolve("silver/" + options.topic).toString(), Map.of(), PIPELINE, options.keepRunning,
                produced, start);
    }

    /**
     * Runs the quickstart's bronze and silver pipeline and prints its progress and summary; shared with
     * the Event Hubs samples.
     *
     * @param storageOptions the tables' storage settings (secrets: never printed)
     */
    static Summary ingest(KafkaSource source, String bronzePath, String silverPath, Map<String, String> storageOptions,
            String pipelineName, boolean keepRunning, long produced, long start) {
        Pipeline pipeline = Pipeline.from(source)
                .bronze(bronzePath)
                .silver(silverPath, "order_id")
                .withSchema(OrderEvents.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withStorageOptions(storageOptions)
                .withName(pipelineName);
        RunMode mode = keepRunning ? RunMode.CONTINUOUS : RunMode.UNTIL_CAUGHT_UP;
        // Ctrl-C in --keep-running: the hook stops the pipeline, then waits for the summary to print.
        CountDownLatch printed = new CountDownLatch(1);
        Thread hook = null;
        try {
            PipelineProgress last;
            try (PipelineRun run = pipeline.start(mode)) {
                if (keepRunning) {
                    hook = new Thread(() -> {
                        run.close(); // finish or drop the batch in flight, then stop
                        awaitQuietly(printed);
                    }, "quickstart-shutdown");
                    Runtime.getRuntime().addShutdownHook(hook);
                    System.out
                            .println("  running until Ctrl-C; produce more events to the topic and watch them arrive");
                }
                while (!run.awaitTermination(Duration.ofSeconds(2))) {
                    PipelineProgress p = run.progress();
                    System.out.printf(Locale.ROOT,
                            "  ... %,d events ingested, %,.0f events/s, bronze v%d, silver v%d%n",
                            p.eventsIngested(), p.eventsPerSecond(), p.bronzeVersion(), p.silverVersion());
                }
                last = run.progress();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Summary summary = new Summary(produced, last.eventsIngested(), rows(bronzePath, storageOptions),
                    rows(silverPath, storageOptions), seconds);
            System.out.printf(Locale.ROOT,
                    "Done: %,d events ingested this run, bronze %,d rows, silver %,d rows, %.1f s,"
                            + " %,.0f events/s%n",
                    summary.events(), summary.bronzeRows(), summary.silverRows(), seconds,
                    seconds > 0 ? summary.events() / seconds : 0);
            System.out.println("Bronze: " + bronzePath);
            System.out.println("Silver: " + silverPath);
            return summary;
        } finally {
            printed.countDown();
            removeQuietly(hook);
        }
    }

    private static void removeQuietly(@Nullable Thread hook) {
        try {
            if (hook != null) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it stops the pipeline
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long rows(String path, Map<String, String> storageOptions) {
        return DeltaTable.open(path, storageOptions).snapshot().files().stream().mapToLong(DataFile::rowCount).sum();
    }

    /**
     * What a run did.
     *
     * @param produced events this run sent to the topic
     * @param events events this run committed to bronze
     * @param bronzeRows rows bronze holds after the run
     * @param silverRows rows silver holds after the run
     * @param seconds how long the run took
     */
    record Summary(long produced, long events, long bronzeRows, long silverRows, double seconds) {
    }

    /** Command-line options. */
    static final class Options {
        static final String ENV_CONNECTION_STRING = "EVENTHUBS_CONNECTION_STRING";
        static final String USAGE = "usage: Quickstart [--events N] [--keys K] [--lake DIR] [--topic NAME]\n"
                + "                  [--bootstrap-servers HOST:PORT | --eventhub NAME [--eventhubs-connection-string CS]]\n"
                + "                  [--produce] [--keep-running]\n"
                + "  --events N        order events to generate (default 100000)\n"
                + "  --keys K          distinct orders (default 10000)\n"
                + "  --lake DIR        folder of the tables, and of the in-process broker's data (default ./lake)\n"
                + "  --topic NAME      the topic (default orders)\n"
                + "  By default a Kafka broker runs inside this process and receives the generated events once.\n"
                + "  --bootstrap-servers HOST:PORT   ingest an existing topic of that broker instead; nothing is\n"
                + "                    generated or produced unless --produce\n"
                + "  --eventhub NAME   ingest an Azure event hub through its Kafka endpoint; the connection string\n"
                + "                    comes from --eventhubs-connection-string or " + ENV_CONNECTION_STRING + "\n"
                + "  --produce         with --bootstrap-servers or --eventhub: send the generated events first\n"
                + "                    (every run sends them again)\n"
                + "  --keep-running    keep ingesting new events until Ctrl-C instead of stopping when caught up";
        long events = 100_000;
        long keys = 10_000;
        Path lake = Path.of("lake");
        String topic = "orders";
        @Nullable String bootstrapServers;
        @Nullable String eventHub;
        @Nullable String connectionString;
        boolean produce;
        boolean keepRunning;
        boolean help;

        static Options parse(String[] args) {
            return parse(args, Map.of());
        }

        static Options parse(String[] args, Map<String, String> env) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--events" -> o.events = SampleMain.number(a, SampleMain.value(args, ++i, a));
                    case "--keys" -> o.keys = SampleMain.number(a, SampleMain.value(args, ++i, a));
                    case "--lake" -> o.lake = Path.of(SampleMain.value(args, ++i, a));
                    case "--topic" -> o.topic = SampleMain.value(args, ++i, a);
                    case "--bootstrap-servers" -> o.bootstrapServers = SampleMain.value(args, ++i, a);
                    case "--eventhub" -> o.eventHub = SampleMain.value(args, ++i, a);
                    case "--eventhubs-connection-string" -> o.connectionString = SampleMain.value(args, ++i, a);
                    case "--produce" -> o.produce = true;
                    case "--keep-running" -> o.keepRunning = true;
                    case "-h", "--help" -> o.help = true;
                    default -> throw EventHubsOptions.unknown(a, i);
                }
            }
            if (o.keys < 1) {
                throw new IllegalArgumentException("--keys must be at least 1");
            }
            if (o.bootstrapServers != null && o.eventHub != null) {
                throw new IllegalArgumentException("give --bootstrap-servers or --eventhub, not both");
            }
            if (o.connectionString != null && o.eventHub == null) {
                throw new IllegalArgumentException("--eventhubs-connection-string needs --eventhub NAME");
            }
            if (o.eventHub != null && o.connectionString == null) {
                o.connectionString = env.get(ENV_CONNECTION_STRING);
                if (o.connectionString == null || o.connectionString.isBlank()) {
                    throw new IllegalArgumentException("--eventhub needs a connection string: set "
                            + ENV_CONNECTION_STRING + " or give --eventhubs-connection-string");
                }
            }
            if (o.produce && o.bootstrapServers == null && o.eventHub == null) {
                throw new IllegalArgumentException("--produce goes with --bootstrap-servers or --eventhub; the"
                        + " in-process broker always receives the generated events once");
            }
            return o;
        }

        @Override
        public String toString() {
            // Never the connection string.
            return "Options[events " + events + ", keys " + keys + ", lake " + lake + ", topic " + topic + "]";
        }
    }
}
