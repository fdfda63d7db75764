package io.streamlake;

import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourcePartition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of a run's progress, cheap to take at any time. Its figures are this run's: they start
 * from zero at each start of the pipeline (a restart, a new process). For figures across runs, keep
 * the {@link io.streamlake.event.BatchCommitted} events a {@link io.streamlake.event.PipelineListener}
 * receives; the tables' versions are cumulative by nature.
 *
 * <pre>{@code
 * PipelineProgress p = run.progress();
 * System.out.printf("%d events, %.0f events/s, bronze v%d%n", p.eventsIngested(), p.eventsPerSecond(), p.bronzeVersion());
 * }</pre>
 *
 * @param state where the run is
 * @param batches micro-batches committed by this run
 * @param eventsIngested events this run committed to bronze
 * @param silverRowsChanged silver rows this run inserted, replaced or deleted
 * @param bronzeVersion latest bronze table version this run knows, -1 if none
 * @param silverVersion latest silver table version this run knows, -1 if none or no silver table
 * @param elapsed time since the run started
 * @param failure the failure message when {@code state} is FAILED, else null
 * @param gaps positions the source skipped because it no longer held them (empty unless a source
 *     was configured to skip lost positions instead of failing)
 * @param quarantined records this run wrote to the quarantine table
 * @param expectations pass and fail counts of each expectation in this run, and of decoding (named
 *     {@code decode})
 * @param recordsBehind records the source held beyond what it handed out at the last poll, per
 *     partition (the lag, as of that poll, not cumulative); a partition is missing when its source
 *     cannot tell cheaply ({@link io.streamlake.source.SourceReader#recordsBehind()}), empty before
 *     the first poll
 */
public record PipelineProgress(
        State state,
        long batches,
        long eventsIngested,
        long silverRowsChanged,
        long bronzeVersion,
        long silverVersion,
        Duration elapsed,
        @Nullable String failure,
        List<PositionGap> gaps,
        long quarantined,
        List<ExpectationMetrics> expectations,
        Map<SourcePartition, Long> recordsBehind) {

    /** The life cycle of a run. */
    public enum State {
        /** Opening the source and tables. */
        STARTING,
        /** Polling and committing. */
        RUNNING,
        /** Paused between batches by an operator ({@link PipelineRun#pause()}). */
        PAUSED,
        /** Stopped as asked, or caught up in {@link RunMode#UNTIL_CAUGHT_UP}. */
        STOPPED,
        /** Stopped by an error; see {@link PipelineProgress#failure()}. */
        FAILED
    }

    /** Checks the required components. */
    public PipelineProgress {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(elapsed, "elapsed");
        gaps = List.copyOf(gaps);
        expectations = List.copyOf(expectations);
        recordsBehind = Map.copyOf(recordsBehind);
    }

    /** @return events per second over the whole run */
    public double eventsPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : eventsIngested / seconds;
    }
}
