package io.streamlake.samples;

import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.BatchTimings;
import io.streamlake.event.PipelineListener;
import io.streamlake.event.PositionRange;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;

/**
 * Produce-to-visible latency at a steady rate: events are produced at {@code rate} per second for
 * {@code seconds} while a bronze + silver pipeline runs, and each event's latency is the time from its
 * send to the commit that made it visible, in bronze and in silver. The commits' source positions
 * (from {@link BatchCommitted}) say which events each commit made visible, so every event is
 * accounted for exactly once; the run fails if one is missing or seen twice.
 *
 * <p>The figures are of a running pipeline: the events of a first warm-up stretch at the same rate
 * (15 s by default) are accounted for like the others but left out of the percentiles, and their own
 * figures printed apart. A JVM that has just started compiles the whole path while it runs it, and on
 * two cores that takes several seconds, during which the first events wait for it.
 *
 * <pre>
 * mvn -q -B -ntp -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.KafkaBenchmark -Dexec.args="--steady 10000 --seconds 60 [--warmup 15]"
 * </pre>
 */
final class SteadyLatency {
    private static final String TOPIC = "steady";

    private SteadyLatency() {
    }

    /**
     * The latencies found, per layer, in nanoseconds, and the committed batches' timings, for a caller
     * (and a test) to check.
     */
    record Result(long produced, long[] bronzeNanos, long[] silverNanos, List<BatchTimings> timings) {
    }

    /** The default warm-up, in seconds. */
    static final int DEFAULT_WARMUP_SECONDS = 15;

    /**
     * The phases a batch's time splits into, in the order a batch goes through them. Silver's own phases
     * (decode, merge, commit) are told with the last batch a merge covered and are zero for the others,
     * so their percentiles are taken over merges only ({@code perMerge}); the wait for silver is what is
     * left of a batch's silver time besides them.
     */
    enum Phase {
        POLL("poll", false, BatchTimings::poll), BRONZE_WRITE("bronze write", false,
                BatchTimings::bronzeWrite), BRONZE_COMMIT("bronze commit", false,
                        BatchTimings::bronzeCommit), SILVER_WAIT("wait for silver", false,
                                t -> t.silver().minus(t.decode()).minus(t.merge()).minus(t.silverCommit())), DECODE(
                                        "decode", true,
                                        BatchTimings::decode), MERGE("merge", true, BatchTimings::merge), SILVER_COMMIT(
                                                "silver commit", true, BatchTimings::silverCommit);

        final String label;
        final boolean perMerge;
        final Function<BatchTimings, Duration> of;

        Phase(String label, boolean perMerge, Function<BatchTimings, Duration> of) {
            this.label = label;
            this.perMerge = perMerge;
            this.of = of;
        }

        /** @return the phase's durations in nanoseconds, sorted: over every batch, or over merges only */
        long[] sortedNanos(List<BatchTimings> timings) {
            long[] nanos = timings.stream()
                    .filter(t -> !perMerge || !t.silverCommit().isZero())
                    .mapToLong(t -> of.apply(t).toNanos())
                    .toArray();
            Arrays.sort(nanos);
            return nanos;
        }
    }

    /**
     * @param rate events per second
     * @param seconds how long to produce after the warm-up: the events the figures are of
     * @param warmupSeconds how long to produce first, at the same rate, for events left out of the
     *     figures
     * @param run a fresh folder for the broker and the tables
     * @return the latencies after the warm-up, printed as percentiles as well
     */
    static Result run(int rate, int seconds, int warmupSeconds, Path run) {
        return run(rate, seconds, warmupSeconds, false, run);
    }

    /**
     * As {@link #run(int, int, int, Path)}, or with a pipeline without silver: then an event's bronze
     * and silver times are both its bronze commit's, and only bronze's figures are printed.
     *
     * @param rate events per second
     * @param seconds how long to produce after the warm-up
     * @param warmupSeconds how long to produce first, for events left out of the figures
     * @param bronzeOnly a pipeline without silver
     * @param run a fresh folder for the broker and the tables
     * @return the latencies after the warm-up
     */
    static Result run(int rate, int seconds, int warmupSeconds, boolean bronzeOnly, Path run) {
        long warmupEvents = (long) rate * warmupSeconds;
        long events = warmupEvents + (long) rate * seconds;
        OrderEvents orders = new OrderEvents(events, Math.max(1, events / 10), Quickstart.PARTITIONS);
        System.out.printf(Locale.ROOT, "steady latency%s: %,d events/s for %d s after a %d s warm-up (%,d events"
                + " over %,d orders), %d cores, %s%n", bronzeOnly ? " (bronze only)" : "", rate, seconds,
                warmupSeconds, events, orders.distinctOrders(), Runtime.getRuntime().availableProcessors(),
                SampleMain.heap());
        // each event's send time, by partition and position: a fresh topic numbers each partition from 0;
        // written by the producing thread, read by the pipeline's, hence atomic arrays
        AtomicLongArray[] sent = new AtomicLongArray[Quickstart.PARTITIONS];
        for (int p = 0; p < Quickstart.PARTITIONS; p++) {
            sent[p] = new AtomicLongArray((int) (events / Quickstart.PARTITIONS + 1));
        }
        Visibility visible = new Visibility(sent, events, warmupEvents, rate);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(run.resolve("kafka"))) {
            kafka.createTopic(TOPIC, Quickstart.PARTITIONS);
            Pipeline.BronzeStage bronze = Pipeline.from(KafkaSource.topics(kafka.bootstrapServers(), TOPIC))
                    .bronze(run.resolve("bronze").toString());
            Pipeline pipeline = (bronzeOnly ? bronze.bronzeOnly()
                    : bronze.silver(run.resolve("silver").toString(), "order_id")
                            .withSchema(OrderEvents.SCHEMA)
                            .withMergeStrategy(MergeStrategies.latestBy("updated_at")))
                    .withName("steady")
                    .withListener(visible);
            try (PipelineRun pipelineRun = pipeline.start(RunMode.CONTINUOUS)) {
                produce(kafka, orders, rate, sent);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (visible.silverSeen.get() < events && System.nanoTime() < deadline) {
                    if (pipelineRun.awaitTermination(Duration.ofMillis(50))) {
                        break; // it failed: close() below says why
                    }
                }
            }
        }
        Result result = visible.result(events);
        print("bronze", result.bronzeNanos());
        if (!bronzeOnly) {
            print("silver", result.silverNanos());
            printWindows(result.silverNanos(), rate);
        }
        printPhases(result.timings(), bronzeOnly);
        return result;
    }

    /** Sends at the rate, paced every 10 ms, and notes each event's send time by its position. */
    private static void produce(EmbeddedKafka kafka, OrderEvents orders, int rate, AtomicLongArray[] sent) {
        long[] next = new long[Quickstart.PARTITIONS];
        long start = System.nanoTime();
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), TOPIC)
                .withLinger(Duration.ZERO).open()) {
            for (long i = 0; i < orders.size(); i++) {
                long due = start + i * 1_000_000_000L / rate;
                long wait = due - System.nanoTime();
                if (wait > 1_000_000) {
                    sleepNanos(wait);
                }
                int p = (int) (i % Quickstart.PARTITIONS);
                long sentAt = System.nanoTime();
                // positions are assigned in send order within a partition (one producer, in order)
                sent[p].set((int) next[p]++, sentAt);
                producer.send(p, orders.key(i), orders.json(i).getBytes(StandardCharsets.UTF_8));
            }
        }
        System.out.printf(Locale.ROOT, "  produced %,d events in %.1f s%n", orders.size(),
                (System.nanoTime() - start) / 1e9);
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing", e);
        }
    }

    private static void print(String layer, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT,
                "  %s visible after: p50 %,d ms, p90 %,d ms, p99 %,d ms, max %,d ms (%,d events)%n",
                layer, percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1_000_000, sorted.length);
    }

    /** Silver's p99 by stretches of 10 s of sending, in order: a steady run shows no trend. */
    private static void printWindows(long[] silverNanos, int rate) {
        int window = rate * 10;
        StringBuilder line = new StringBuilder("  silver p99 by 10 s of sending:");
        for (int from = 0; from + window <= silverNanos.length; from += window) {
            long[] w = Arrays.copyOfRange(silverNanos, from, from + window);
            Arrays.sort(w);
            line.append(String.format(Locale.ROOT, " %,d", percentile(w, 0.99)));
        }
        System.out.println(line.append(" ms"));
    }

    private static void printPhases(List<BatchTimings> timings, boolean bronzeOnly) {
        long merges = timings.stream().filter(t -> !t.silverCommit().isZero()).count();
        System.out.printf(Locale.ROOT, "  by phase (%,d batches, %,d silver merges), ms:%n", timings.size(), merges);
        for (Phase phase : Phase.values()) {
            if (bronzeOnly && phase.ordinal() > Phase.BRONZE_COMMIT.ordinal()) {
                break; // silver's
            }
            long[] sorted = phase.sortedNanos(timings);
            System.out.printf(Locale.ROOT, "    %-16s p50 %,6d  p99 %,6d  max %,6d%n", phase.label,
                    percentile(sorted, 0.50), percentile(sorted, 0.99),
                    sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1_000_000);
        }
    }

    /** @return the percentile in milliseconds, nearest rank */
    static long percentile(long[] sortedNanos, double q) {
        if (sortedNanos.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * sortedNanos.length) - 1;
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank))] / 1_000_000;
    }

    /**
     * Notes when each event became visible, from the commits' positions, and each batch's timings.
     * Called by one thread at a time (the engine's listeners are called one at a time, in order); the
     * counter is read by the main thread, hence atomic, as are the send times the producing thread
     * writes; the timings are read by the main thread only after the run closed, which happens-after
     * the last call.
     */
    private static final class Visibility implements PipelineListener {
        private final AtomicLongArray[] sent;
        // by event index (the send order): partition p's position n is event n * PARTITIONS + p
        private final long[] bronze;
        private final long[] silver;
        private final java.util.BitSet seen;
        private final long warmupEvents;
        private final int rate;
        private final AtomicLong silverSeen = new AtomicLong();
        private final List<BatchTimings> timings = new ArrayList<>();
        private int count;
        private int duplicates;

        Visibility(AtomicLongArray[] sent, long events, long warmupEvents, int rate) {
            this.sent = sent;
            this.bronze = new long[(int) events];
            this.silver = new long[(int) events];
            this.seen = new java.util.BitSet((int) events);
            this.warmupEvents = warmupEvents;
            this.rate = rate;
        }

        @Override
        public void onBatchCommitted(BatchCommitted batch) {
            long silverAt = System.nanoTime();
            // the event is built right after silver's commit: bronze's came a silver time before
            long bronzeAt = silverAt - batch.timings().silver().toNanos();
            boolean measured = false;
            for (PositionRange r : batch.positions()) {
                int p = r.partition().id();
                AtomicLongArray times = sent[p];
                for (long pos = r.afterPosition() + 1; pos <= r.lastPosition(); pos++) {
                    long i = pos * Quickstart.PARTITIONS + p;
                    if (i >= bronze.length || seen.get((int) i)) {
                        duplicates++;
                        continue;
                    }
                    seen.set((int) i);
                    long sentAt = times.get((int) pos);
                    bronze[(int) i] = bronzeAt - sentAt;
                    silver[(int) i] = silverAt - sentAt;
                    measured |= i >= warmupEvents;
                    count++;
                }
            }
            if (measured) {
                timings.add(batch.timings()); // a batch of warm-up events only is left out, as they are
            }
            silverSeen.set(count);
        }

        Result result(long produced) {
            if (count != produced || duplicates > 0) {
                throw new IllegalStateException("commits made " + count + " of " + produced + " events visible"
                        + (duplicates > 0 ? ", and " + duplicates + " more than once" : ""));
            }
            System.out.printf(Locale.ROOT, "  all %,d events accounted for, each once%n", produced);
            int w = (int) warmupEvents;
            if (w > 0) {
                long[] b = Arrays.copyOf(bronze, w);
                long[] sv = Arrays.copyOf(silver, w);
                Arrays.sort(b);
                Arrays.sort(sv);
                System.out.printf(Locale.ROOT, "  warm-up (the first %d s, %,d events, left out below): bronze p50 %,d"
                        + " ms, p99 %,d ms; silver p50 %,d ms, p99 %,d ms%n", w / rate, w, percentile(b, 0.5),
                        percentile(b, 0.99), percentile(sv, 0.5), percentile(sv, 0.99));
            }
            return new Result(produced - w, Arrays.copyOfRange(bronze, w, bronze.length),
                    Arrays.copyOfRange(silver, w, silver.length), List.copyOf(timings));
        }
    }
}
