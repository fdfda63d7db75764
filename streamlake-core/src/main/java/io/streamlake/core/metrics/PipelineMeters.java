package io.streamlake.core.metrics;

import static io.streamlake.core.metrics.PipelineMetrics.BATCHES;
import static io.streamlake.core.metrics.PipelineMetrics.BATCH_DURATION;
import static io.streamlake.core.metrics.PipelineMetrics.BYTES;
import static io.streamlake.core.metrics.PipelineMetrics.COMMIT_AGE;
import static io.streamlake.core.metrics.PipelineMetrics.COMMIT_CONFLICTS;
import static io.streamlake.core.metrics.PipelineMetrics.COMMIT_RETRIES;
import static io.streamlake.core.metrics.PipelineMetrics.FILES_ADDED;
import static io.streamlake.core.metrics.PipelineMetrics.FILES_REMOVED;
import static io.streamlake.core.metrics.PipelineMetrics.EVENTS;
import static io.streamlake.core.metrics.PipelineMetrics.EXPECTATION_FAILED;
import static io.streamlake.core.metrics.PipelineMetrics.EXPECTATION_PASSED;
import static io.streamlake.core.metrics.PipelineMetrics.RECORDS_DROPPED;
import static io.streamlake.core.metrics.PipelineMetrics.RECORDS_QUARANTINED;
import static io.streamlake.core.metrics.PipelineMetrics.SILVER_ROWS_CHANGED;
import static io.streamlake.core.metrics.PipelineMetrics.SOURCE_GAPS;
import static io.streamlake.core.metrics.PipelineMetrics.SOURCE_POSITIONS_LOST;
import static io.streamlake.core.metrics.PipelineMetrics.SOURCE_RECORDS_BEHIND;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.BatchTimings;
import io.streamlake.quality.Expectation;
import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourcePartition;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * One pipeline's meters. Its methods are called on the pipeline's threads (the pipeline's, and
 * silver's for committed batches), one event at a time, each call happening-before the next; the
 * registry's thread reads the meters at any time. Micrometer's meters are thread-safe, the maps that
 * hold meters made on first use are concurrent (two runs of one pipeline name in one process, the
 * testkit's conflicting drivers for one, report to the same meters from two threads), and the gauges'
 * state is volatile.
 */
final class PipelineMeters {
    /** The {@code phase} tag's values of {@link PipelineMetrics#BATCH_DURATION}, in a batch's order. */
    static final String POLL = "poll";
    static final String BRONZE_WRITE = "bronze_write";
    static final String BRONZE_COMMIT = "bronze_commit";
    static final String DECODE = "decode";
    static final String MERGE = "merge";
    static final String SILVER_COMMIT = "silver_commit";

    private final MeterRegistry registry;
    private final Clock clock;
    private final Tags tags;
    private final Counter events;
    private final Counter bytes;
    private final Counter batches;
    private final Counter rowsInserted;
    private final Counter rowsUpdated;
    private final Counter rowsDeleted;
    private final Counter bronzeFiles;
    private final Counter silverFilesAdded;
    private final Counter silverFilesRemoved;
    private final Counter silverRetries;
    private final Timer poll;
    private final Timer bronzeWrite;
    private final Timer bronzeCommit;
    private final Timer decode;
    private final Timer merge;
    private final Timer silverCommit;
    /** Per expectation name (a rule has one action); made on the first batch that reports it. */
    private final ConcurrentMap<String, RuleMeters> rules = new ConcurrentHashMap<>();
    private final ConcurrentMap<SourcePartition, Counter> gaps = new ConcurrentHashMap<>();
    private final ConcurrentMap<SourcePartition, Counter> positionsLost = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Counter> conflicts = new ConcurrentHashMap<>();
    /** Each partition's lag gauge, by partition, made when the source first reports it. */
    private final ConcurrentMap<SourcePartition, Lag> behind = new ConcurrentHashMap<>();
    /**
     * The registry clock's monotonic time of the last commit, or {@link Long#MIN_VALUE} before the
     * first: written by the pipeline's threads one at a time, read by the gauge on the registry's, hence volatile.
     */
    private volatile long lastCommitNanos = Long.MIN_VALUE;

    PipelineMeters(MeterRegistry registry, String pipeline) {
        this.registry = registry;
        this.clock = registry.config().clock();
        this.tags = Tags.of("pipeline", pipeline);
        this.events = counter(EVENTS, "events committed to bronze", tags).baseUnit("events").register(registry);
        this.bytes = counter(BYTES, "bytes of the events' keys and values committed to bronze", tags).baseUnit("bytes")
                .register(registry);
        this.batches = counter(BATCHES, "micro-batches committed", tags).register(registry);
        this.rowsInserted = rowsChanged("inserted");
        this.rowsUpdated = rowsChanged("updated");
        this.rowsDeleted = rowsChanged("deleted");
        this.bronzeFiles = tableCounter(FILES_ADDED, "data files committed", "bronze");
        this.silverFilesAdded = tableCounter(FILES_ADDED, "data files committed", "silver");
        this.silverFilesRemoved = tableCounter(FILES_REMOVED, "data files silver's merges removed", "silver");
        this.silverRetries = tableCounter(COMMIT_RETRIES, "silver commits lost to another instance and merged again",
                "silver");
        this.poll = timer(POLL);
        this.bronzeWrite = timer(BRONZE_WRITE);
        this.bronzeCommit = timer(BRONZE_COMMIT);
        this.decode = timer(DECODE);
        this.merge = timer(MERGE);
        this.silverCommit = timer(SILVER_COMMIT);
        Gauge.builder(COMMIT_AGE, this, PipelineMeters::commitAgeSeconds).tags(tags).baseUnit("seconds")
                .description("seconds since the pipeline's last commit in this process, NaN before the first")
                .strongReference(true).register(registry);
    }

    private static Counter.Builder counter(String name, String description, Tags tags) {
        return Counter.builder(name).description(description).tags(tags);
    }

    private Counter rowsChanged(String change) {
        return counter(SILVER_ROWS_CHANGED, "silver keys a merge changed", tags.and("change", change))
                .register(registry);
    }

    private Counter tableCounter(String name, String description, String table) {
        return counter(name, description, tags.and("table", table)).register(registry);
    }

    private Timer timer(String phase) {
        return Timer.builder(BATCH_DURATION).description("time a micro-batch spent in each phase").tags(tags)
                .tag("phase", phase).register(registry);
    }

    private double commitAgeSeconds() {
        long last = lastCommitNanos;
        return last == Long.MIN_VALUE ? Double.NaN : (clock.monotonicTime() - last) / 1e9;
    }

    void batchCommitted(BatchCommitted b) {
        lastCommitNanos = clock.monotonicTime();
        batches.increment();
        events.increment(b.events());
        bytes.increment(b.bytes());
        rowsInserted.increment(b.silverChanges().inserted());
        rowsUpdated.increment(b.silverChanges().updated());
        rowsDeleted.increment(b.silverChanges().deleted());
        bronzeFiles.increment(b.bronzeFiles());
        silverFilesAdded.increment(b.silverFilesAdded());
        silverFilesRemoved.increment(b.silverFilesRemoved());
        silverRetries.increment(b.silverRetries());
        BatchTimings t = b.timings();
        poll.record(t.poll());
        bronzeWrite.record(t.bronzeWrite());
        bronzeCommit.record(t.bronzeCommit());
        if (b.silverVersion() >= 0) { // a bronze-only pipeline has no silver phases to count
            decode.record(t.decode());
            merge.record(t.merge());
            silverCommit.record(t.silverCommit());
        }
        for (ExpectationMetrics m : b.expectations()) {
            rules.computeIfAbsent(m.name(), name -> new RuleMeters(name, m.action())).add(m);
        }
        recordsBehind(b.recordsBehind());
    }

    /** Sets each reported partition's gauge; a partition known before and missing now becomes unknown (NaN). */
    private void recordsBehind(Map<SourcePartition, Long> reported) {
        for (Map.Entry<SourcePartition, Long> e : reported.entrySet()) {
            behind.computeIfAbsent(e.getKey(), this::lag).records = e.getValue();
        }
        if (behind.size() > reported.size()) { // every reported partition has its gauge by now
            behind.forEach((p, lag) -> {
                if (!reported.containsKey(p)) {
                    lag.records = Double.NaN;
                }
            });
        }
    }

    private Lag lag(SourcePartition partition) {
        Lag lag = new Lag();
        Gauge.builder(SOURCE_RECORDS_BEHIND, lag, l -> l.records).tags(tags).tag("partition", partition.toString())
                .description("records the source held beyond the last batch, as of its poll; NaN when unknown")
                .strongReference(true).register(registry);
        return lag;
    }

    void positionsSkipped(PositionGap gap) {
        gaps.computeIfAbsent(gap.partition(), p -> partitionCounter(SOURCE_GAPS, "gaps of lost positions skipped", p))
                .increment();
        positionsLost.computeIfAbsent(gap.partition(),
                p -> partitionCounter(SOURCE_POSITIONS_LOST, "source positions lost (data loss)", p))
                .increment(gap.count());
    }

    private Counter partitionCounter(String name, String description, SourcePartition partition) {
        return counter(name, description, tags.and("partition", partition.toString())).register(registry);
    }

    void commitConflicted(String table) {
        conflicts.computeIfAbsent(table,
                t -> counter(COMMIT_CONFLICTS, "batches dropped because another instance committed first",
                        tags.and("table", t)).register(registry))
                .increment();
    }

    /** A gauge's state: written by the pipeline's threads one at a time, read by the registry's, hence volatile. */
    private static final class Lag {
        private volatile double records = Double.NaN;
    }

    /** One expectation's counters. */
    private final class RuleMeters {
        private final Counter passed;
        private final Counter failed;
        /** Where failing records go: quarantined or dropped; null for FAIL, which stops the pipeline. */
        private final @Nullable Counter failedRecords;

        RuleMeters(String rule, Expectation.Action action) {
            Tags ruleTags = tags.and("rule", rule, "action", action.name().toLowerCase(Locale.ROOT));
            this.passed = counter(EXPECTATION_PASSED, "records that passed the expectation", ruleTags)
                    .register(registry);
            this.failed = counter(EXPECTATION_FAILED, "records that failed the expectation", ruleTags)
                    .register(registry);
            this.failedRecords = switch (action) {
                case QUARANTINE -> counter(RECORDS_QUARANTINED, "records quarantined by the rule (decode: undecodable)",
                        tags.and("rule", rule)).register(registry);
                case DROP -> counter(RECORDS_DROPPED, "records dropped by the rule", tags.and("rule", rule))
                        .register(registry);
                default -> null;
            };
        }

        void add(ExpectationMetrics m) {
            passed.increment(m.passed());
            failed.increment(m.failed());
            Counter c = failedRecords;
            if (c != null) {
                c.increment(m.failed());
            }
        }
    }
}
