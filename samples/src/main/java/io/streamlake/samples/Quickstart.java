package io.streamlake.samples;

import io.streamlake.Pipeline;
import io.streamlake.PipelineHealth;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.eventhubs.EventHubs;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.Row;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
    /** Records per micro-batch: see {@link #ingest}. */
    static final int BATCH_RECORDS = 10_000;
    private static final Duration PROGRESS_POLL = Duration.ofMillis(50);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);

    private Quickstart() {
    }

    /** @param args see {@link Options#USAGE} */
    public static void main(String[] args) {
        SampleMain.exitOnFailure(run(args, System.getenv()));
    }

    /** @return the exit code: 0 done, 1 failed (one line on standard error), 2 wrong arguments */
    static int run(String[] args, Map<String, String> env) {
        return SampleMain.run("Quickstart", Options.USAGE, args, env, Options::parse, o -> o.help, Quickstart::run);
    }

    static Summary run(Options options) {
        Path lake = SampleMain.writableFolder("--lake", options.lake);
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
            // The first Delta table, Parquet file and commit of a JVM load Hadoop, delta-standalone and
            // Parquet: seconds of class loading and cold code. A scratch table gets them on another thread
            // while the events are produced, so that the pipeline starts on loaded classes.
            Thread warmUp = new Thread(() -> warmUp(lake), "quickstart-warm-up");
            warmUp.setDaemon(true);
            warmUp.start();
            long produced = produceMissing(kafka, options.topic, orders);
            joinQuietly(warmUp);
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
     * @param start {@link System#nanoTime()} when the program began, for the start-up time in the summary
     */
    static Summary ingest(KafkaSource source, String bronzePath, String silverPath, Map<String, String> storageOptions,
            String pipelineName, boolean keepRunning, long produced, long start) {
        Pipeline pipeline = Pipeline.from(source)
                .bronze(bronzePath)
                .silver(silverPath, "order_id")
                .withSchema(OrderEvents.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                // The default batch (200,000 records) would take the whole quickstart topic in one
                // micro-batch: nothing would show as ingested until its single commit at the very end.
                // Batches of 10,000 commit within the first second or so of polling and several times a
                // second after, so the progress lines show events committed, at a small cost in commits
                // (one bronze and one silver version per batch).
                .withMaxBatchRecords(BATCH_RECORDS)
                .withStorageOptions(storageOptions)
                .withName(pipelineName);
        RunMode mode = keepRunning ? RunMode.CONTINUOUS : RunMode.UNTIL_CAUGHT_UP;
        // Ctrl-C in --keep-running: the hook stops the pipeline, then waits for the summary to print.
        CountDownLatch printed = new CountDownLatch(1);
        Thread hook = null;
        try {
            PipelineProgress last;
            PipelineHealth health;
            long pipelineStart = System.nanoTime();
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
                printProgress(run, pipelineStart);
                last = run.progress();
                health = run.health();
            }
            long end = System.nanoTime();
            Summary summary = new Summary(produced, last.eventsIngested(), rows(bronzePath, storageOptions),
                    rows(silverPath, storageOptions), (end - start) / 1e9);
            // Start-up (broker, producing, opening the tables) is reported apart from the ingest rate,
            // which runs from the pipeline's start (tables open, polling) to its last commit.
            double startup = (pipelineStart - start) / 1e9 + startupSeconds(health, end - pipelineStart);
            double ingest = ingestSeconds(health);
            System.out.printf(Locale.ROOT, "Done: %,d events ingested this run, bronze %,d rows, silver %,d rows"
                    + " (%s, bronze v%d, silver v%d)%n", summary.events(), summary.bronzeRows(), summary.silverRows(),
                    batches(last.batches()), last.bronzeVersion(), last.silverVersion());
            System.out.printf(Locale.ROOT,
                    "  start-up %.1f s (until the pipeline ran: broker, producing, opening the tables), ingest %.1f s"
                            + " (%,.0f events/s from the pipeline's start to its last commit), %.1f s in all%n",
                    startup, ingest, ingest > 0 ? summary.events() / ingest : 0, summary.seconds());
            System.out.println("Bronze: " + bronzePath);
            System.out.println("Silver: " + silverPath);
            return summary;
        } finally {
            printed.countDown();
            removeQuietly(hook);
        }
    }

    /**
     * Prints a first line as soon as the pipeline runs (its tables open, with their versions), one as
     * soon as its first batch is committed, and one a second after that, until the run ends.
     */
    private static void printProgress(PipelineRun run, long pipelineStart) {
        long next = 0; // the first line: as soon as the run is RUNNING
        boolean committed = false;
        while (!run.awaitTermination(PROGRESS_POLL)) {
            PipelineProgress p = run.progress();
            long now = System.nanoTime();
            boolean firstCommit = !committed && p.batches() > 0;
            if (p.state() != PipelineProgress.State.RUNNING || now < next && !firstCommit) {
                continue;
            }
            committed = p.batches() > 0;
            next = now + PROGRESS_EVERY.toNanos();
            PipelineHealth h = run.health();
            double ingest = runningSeconds(h);
            System.out.printf(Locale.ROOT,
                    "  ... %.1f s: %,d events ingested in %s, %,.0f events/s, bronze v%d, silver v%d%n",
                    (now - pipelineStart) / 1e9, p.eventsIngested(), batches(p.batches()),
                    ingest > 0 ? p.eventsIngested() / ingest : 0, p.bronzeVersion(), p.silverVersion());
        }
    }

    private static String batches(long n) {
        return n == 1 ? "1 batch" : String.format(Locale.ROOT, "%,d batches", n);
    }

    /** @return seconds from the pipeline's call to start until it was running, or all of it if it never ran */
    private static double startupSeconds(PipelineHealth health, long pipelineNanos) {
        Instant startedAt = health.startedAt();
        if (startedAt == null) {
            return pipelineNanos / 1e9;
        }
        double ranFor = Duration.between(startedAt, Instant.now()).toNanos() / 1e9;
        return Math.max(0, pipelineNanos / 1e9 - ranFor);
    }

    /** @return seconds from the pipeline's start (tables open) to its last commit, 0 without a commit */
    private static double ingestSeconds(PipelineHealth health) {
        Instant startedAt = health.startedAt();
        Instant lastCommitAt = health.lastCommitAt();
        return startedAt == null || lastCommitAt == null ? 0
                : Duration.between(startedAt, lastCommitAt).toNanos() / 1e9;
    }

    /** @return seconds from the pipeline's start (tables open) until now */
    private static double runningSeconds(PipelineHealth health) {
        Instant startedAt = health.startedAt();
        return startedAt == null ? 0 : Duration.between(startedAt, Instant.now()).toNanos() / 1e9;
    }

    private static void warmUp(Path lake) {
        Path scratch = lake.resolve(".warm-up");
        try {
            DeltaTable table = DeltaTable.open(scratch.toString(), Map.of());
            table.create(OrderEvents.SCHEMA);
            DataFileWriter file = table.newDataFile(OrderEvents.SCHEMA);
            for (int i = 0; i < 1000; i++) {
                file.write(Row.builder(OrderEvents.SCHEMA).set("order_id", "warm-up-" + i).build());
            }
            table.newCommit().add(file.finish()).commit("WRITE");
        } catch (RuntimeException e) {
            // only a warm-up: the pipeline reports whatever is wrong with the lake
        } finally {
            try {
                SampleMain.deleteTree(scratch);
            } catch (UncheckedIOException e) {
                // a scratch folder left behind does no harm
            }
        }
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
     * @param seconds how long the program took, start-up included
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
