package io.streamlake.core.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.CommitConflicted;
import io.streamlake.event.PipelineListener;
import io.streamlake.event.PipelineStarted;
import io.streamlake.event.PositionsSkipped;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Publishes a pipeline's events as Micrometer meters. Nothing is registered until you ask: add the
 * listener to each pipeline you want measured, with the registry your service already exports
 * (Prometheus, Datadog, CloudWatch, ...). Every meter is tagged {@code pipeline} with the pipeline's
 * name, so one listener may serve several pipelines; the names and their other tags are the
 * constants below, listed with their units in {@code METRICS_DOCS.md}.
 *
 * <pre>{@code
 * MeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * Pipeline pipeline = Pipeline.from(source).bronze(bronzePath).silver(silverPath, "order_id")
 *         .withListener(PipelineMetrics.listener(registry));
 * }</pre>
 *
 * <p>Counters count what this process committed (they start from zero with the process and survive
 * a pipeline's restart inside it); the monitoring system's rates and increases make totals of them.
 * The meters are updated on each pipeline's threads, one event at a time, as its events arrive, and read by the registry's
 * thread whenever it publishes: every meter is thread-safe, and the gauges' state is volatile.
 *
 * <p>Micrometer is an optional dependency of streamlake-core: this class, the only one that names
 * it, loads only when called, so an application without Micrometer needs nothing of it.
 */
public final class PipelineMetrics {
    /** Events committed to bronze (counter; tag {@code pipeline}). */
    public static final String EVENTS = "streamlake.events";
    /** Their keys' and values' bytes (counter, bytes; tag {@code pipeline}). */
    public static final String BYTES = "streamlake.bytes";
    /** Micro-batches committed (counter; tag {@code pipeline}). */
    public static final String BATCHES = "streamlake.batches";
    /** Where each batch's time went (timer, seconds; tags {@code pipeline}, {@code phase}). */
    public static final String BATCH_DURATION = "streamlake.batch.duration";
    /**
     * Silver keys a merge changed (counter; tags {@code pipeline} and {@code change}: {@code inserted},
     * {@code updated} or {@code deleted}).
     */
    public static final String SILVER_ROWS_CHANGED = "streamlake.silver.rows.changed";
    /** Data files committed (counter; tags {@code pipeline} and {@code table}: {@code bronze} or {@code silver}). */
    public static final String FILES_ADDED = "streamlake.files.added";
    /** Data files silver's merges removed, rewritten or emptied (counter; tags {@code pipeline}, {@code table}). */
    public static final String FILES_REMOVED = "streamlake.files.removed";
    /** Silver commits lost to another instance and merged again (counter; tags {@code pipeline}, {@code table}). */
    public static final String COMMIT_RETRIES = "streamlake.commit.retries";
    /** Records failing a quarantine expectation, or decoding (counter; tags {@code pipeline}, {@code rule}). */
    public static final String RECORDS_QUARANTINED = "streamlake.records.quarantined";
    /** Records failing a drop expectation (counter; tags {@code pipeline}, {@code rule}). */
    public static final String RECORDS_DROPPED = "streamlake.records.dropped";
    /** Records passing an expectation (counter; tags {@code pipeline}, {@code rule}, {@code action}). */
    public static final String EXPECTATION_PASSED = "streamlake.expectation.passed";
    /** Records failing an expectation (counter; tags {@code pipeline}, {@code rule}, {@code action}). */
    public static final String EXPECTATION_FAILED = "streamlake.expectation.failed";
    /** Batches dropped because another instance committed first (counter; tags {@code pipeline}, {@code table}). */
    public static final String COMMIT_CONFLICTS = "streamlake.commit.conflicts";
    /** Gaps the source skipped (counter; tags {@code pipeline}, {@code partition}). */
    public static final String SOURCE_GAPS = "streamlake.source.gaps";
    /** Positions lost in those gaps (counter; tags {@code pipeline}, {@code partition}). */
    public static final String SOURCE_POSITIONS_LOST = "streamlake.source.positions.lost";
    /** Seconds since the last commit, NaN before the first (gauge, seconds; tag {@code pipeline}). */
    public static final String COMMIT_AGE = "streamlake.commit.age";
    /** Records the source holds beyond the last batch (gauge; tags {@code pipeline}, {@code partition}). */
    public static final String SOURCE_RECORDS_BEHIND = "streamlake.source.records.behind";

    private PipelineMetrics() {
    }

    /**
     * A listener that records the events of every pipeline it is added to in {@code registry}.
     *
     * @param registry where the meters go
     * @return the listener, for {@code Pipeline.withListener}
     */
    public static PipelineListener listener(MeterRegistry registry) {
        return new Listener(registry);
    }

    /** Routes each event to its pipeline's meters. */
    private static final class Listener implements PipelineListener {
        private final MeterRegistry registry;
        /**
         * Per pipeline name. Concurrent: a listener added to several pipelines is called on each
         * one's threads at once (one pipeline's events come one at a time).
         */
        private final ConcurrentMap<String, PipelineMeters> pipelines = new ConcurrentHashMap<>();

        Listener(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        private PipelineMeters meters(String pipeline) {
            return pipelines.computeIfAbsent(pipeline, name -> new PipelineMeters(registry, name));
        }

        @Override
        public void onStarted(PipelineStarted event) {
            meters(event.pipeline()); // registers the pipeline's meters at zero, before its first batch
        }

        @Override
        public void onBatchCommitted(BatchCommitted event) {
            meters(event.pipeline()).batchCommitted(event);
        }

        @Override
        public void onPositionsSkipped(PositionsSkipped event) {
            meters(event.pipeline()).positionsSkipped(event.gap());
        }

        @Override
        public void onCommitConflicted(CommitConflicted event) {
            meters(event.pipeline()).commitConflicted(event.table());
        }
    }
}
