package io.streamlake.samples;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Kafka to bronze and to bronze + silver from a real broker, against the limit a plain
 * {@link KafkaConsumer} reaches on the same topic in the same run. The broker runs in this process
 * (loopback, data in a fresh folder under {@code --dir}); the workload is the quickstart's order
 * events, N events over K = N / 10 orders in 4 partitions.
 *
 * <pre>
 * mvn -q -B -ntp -DskipTests install
 * mvn -q -B -ntp -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.KafkaBenchmark -Dexec.args="--events 1000000"
 * </pre>
 *
 * <p>It prints one line per measurement and the ratios; the run folder is deleted at the end unless
 * {@code --keep}.
 */
public final class KafkaBenchmark {
    private static final String TOPIC = "orders";
    private static long lastCpuNanos;

    private KafkaBenchmark() {
    }

    /**
     * @param args {@code --events N} (default 1000000), {@code --keys K} (default N / 10),
     *     {@code --dir DIR} (default ./benchmark), {@code --keep} to keep the run folder, {@code --bronze-only}
     *     to skip the bronze + silver run, {@code --consumer
     *     key=value} (repeatable) for a Kafka consumer setting of both the plain consumer and the pipelines;
     *     or {@code --steady RATE} (events per second) with {@code --seconds S} (default 60) to measure
     *     produce-to-visible latency instead ({@link SteadyLatency})
     */
    public static void main(String[] args) throws IOException {
        long events = 1_000_000;
        long keys = -1;
        Path dir = Path.of("benchmark");
        boolean keep = false;
        boolean bronzeOnly = false;
        int steadyRate = 0;
        int steadySeconds = 60;
        Map<String, String> consumer = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--events" -> events = Long.parseLong(args[++i].replace("_", ""));
                case "--keys" -> keys = Long.parseLong(args[++i].replace("_", ""));
                case "--dir" -> dir = Path.of(args[++i]);
                case "--keep" -> keep = true;
                case "--bronze-only" -> bronzeOnly = true;
                case "--steady" -> steadyRate = Integer.parseInt(args[++i].replace("_", ""));
                case "--seconds" -> steadySeconds = Integer.parseInt(args[++i]);
                case "--consumer" -> {
                    String[] kv = args[++i].split("=", 2);
                    consumer.put(kv[0], kv[1]);
                }
                default -> {
                    System.err.println(
                            "usage: KafkaBenchmark [--events N] [--keys K] [--dir DIR] [--keep] [--bronze-only]"
                                    + " [--consumer key=value]... | [--steady RATE [--seconds S]]");
                    System.exit(2);
                }
            }
        }
        if (keys < 1) {
            keys = Math.max(1, events / 10);
        }
        Files.createDirectories(dir);
        Path run = Files.createTempDirectory(dir.toAbsolutePath(), "run-");
        try {
            if (steadyRate > 0) {
                SteadyLatency.run(steadyRate, steadySeconds, run);
            } else {
                measure(events, keys, run, consumer, bronzeOnly);
            }
        } finally {
            if (!keep) {
                SampleMain.deleteTree(run);
            }
        }
    }

    private static void measure(long events, long keys, Path run, Map<String, String> consumer,
            boolean bronzeOnly) {
        OrderEvents orders = new OrderEvents(events, keys, Quickstart.PARTITIONS);
        System.out.printf(Locale.ROOT, "KafkaBenchmark: %,d order events over %,d orders, %d partitions, %d cores,"
                + " %s, in %s%n", events, keys, Quickstart.PARTITIONS,
                Runtime.getRuntime().availableProcessors(), SampleMain.heap(), run);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(run.resolve("kafka"))) {
            kafka.createTopic(TOPIC, Quickstart.PARTITIONS);
            Quickstart.produceMissing(kafka, TOPIC, orders);

            if (!consumer.isEmpty()) {
                System.out.println("  consumer settings for both the plain consumer and the pipelines: " + consumer);
            }
            lastCpuNanos = processCpuNanos();
            double plain = plainConsumer(kafka.bootstrapServers(), events, consumer);
            report("plain KafkaConsumer (byte[] records, no processing)", events, plain, plain);

            KafkaSource source = KafkaSource.topics(kafka.bootstrapServers(), TOPIC).withConsumerProperties(consumer);
            Pipeline bronze = Pipeline.from(source).bronze(run.resolve("bronze-only").toString()).bronzeOnly()
                    .withName("bench-bronze");
            report("Kafka -> bronze", events, timed(bronze, events), plain);
            if (bronzeOnly) {
                return;
            }

            Pipeline silver = Pipeline.from(source).bronze(run.resolve("bronze").toString())
                    .silver(run.resolve("silver").toString(), "order_id")
                    .withSchema(OrderEvents.SCHEMA)
                    .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                    .withName("bench-silver");
            report("Kafka -> bronze + silver", events, timed(silver, events), plain);
        }
    }

    /**
     * Reads the whole topic with one consumer with the fetch settings the source uses by default,
     * as fast as Kafka's client goes; returns seconds.
     */
    private static double plainConsumer(String bootstrapServers, long events, Map<String, String> settings) {
        Map<String, Object> config = new HashMap<>(KafkaSource.FETCH_DEFAULTS);
        config.putAll(settings);
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        long start = System.nanoTime();
        long count = 0;
        long bytes = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < Quickstart.PARTITIONS; p++) {
                partitions.add(new TopicPartition(TOPIC, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (count < events) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofSeconds(1));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    count++;
                    bytes += r.value().length; // touch every record, as a consumer that uses them would
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "  (read %,d records, %,.1f MiB of values)%n", count, bytes / 1048576.0);
        return seconds;
    }

    /** Runs a pipeline until caught up; returns wall seconds from start to stop, start-up included. */
    private static double timed(Pipeline pipeline, long events) {
        long start = System.nanoTime();
        PipelineProgress progress = pipeline.runUntilCaughtUp();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (progress.eventsIngested() != events) {
            throw new IllegalStateException(pipeline.name() + " ingested " + progress.eventsIngested() + " events, not "
                    + events);
        }
        System.out.printf(Locale.ROOT, "  (%d batches, %,.0f events/s while running)%n", progress.batches(),
                progress.eventsPerSecond());
        return seconds;
    }

    private static void report(String what, long events, double seconds, double plainSeconds) {
        double cpu = (processCpuNanos() - lastCpuNanos) / 1e9;
        lastCpuNanos = processCpuNanos();
        System.out.printf(Locale.ROOT, "%-52s %8.2f s %,12.0f events/s   %5.1f%% of the plain consumer"
                + "   (%.1f of %d cores busy)%n", what, seconds, events / seconds, 100 * plainSeconds / seconds,
                cpu / seconds, Runtime.getRuntime().availableProcessors());
    }

    /** CPU time of this whole process (broker included), to tell a CPU-bound phase from a waiting one. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }
}
