package io.streamlake.event;

import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.source.SourcePartition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A micro-batch reached bronze, and silver caught up with it. Silver merges beside bronze, over
 * every bronze commit since its last merge at once: the events of the batches one merge covered come
 * together, in batch order, right after that merge, and its silver figures (changes, files,
 * retries, quarantined, expectations, decode/merge/commit timings) go with the last of them, the
 * others carrying none, so that sums over events add up.
 *
 * @param pipeline the pipeline's name
 * @param at when silver (or bronze, without silver) committed
 * @param batch the batch's number in this run, from 1
 * @param events events committed to bronze
 * @param bytes their keys' and values' bytes
 * @param positions the source positions committed, per partition
 * @param bronzeVersion the bronze version committed
 * @param silverVersion silver's version after the batch, -1 without silver
 * @param silverChanges the silver keys inserted, updated and deleted by the merge that covered the batch
 *     (with the last batch it covered)
 * @param bronzeFiles data files the bronze commit added
 * @param silverFilesAdded data files silver's commits added
 * @param silverFilesRemoved data files silver's commits removed (rewritten or emptied)
 * @param silverRetries times silver lost its commit race to another instance and merged again
 * @param quarantined records of the batch written to the quarantine table
 * @param expectations pass and fail counts of each expectation (and of decoding, named
 *     {@code decode}) in this batch
 * @param timings where the batch's time went, by phase
 * @param recordsBehind records the source held beyond this batch when it was polled, per partition
 *     (the lag); a partition is missing when its source cannot tell cheaply (see
 *     {@code SourceReader.recordsBehind()}), and the map is empty when no partition can
 */
public record BatchCommitted(String pipeline, Instant at, long batch, int events, long bytes,
        List<PositionRange> positions, long bronzeVersion, long silverVersion, RowChanges silverChanges,
        int bronzeFiles, int silverFilesAdded, int silverFilesRemoved, int silverRetries, long quarantined,
        List<ExpectationMetrics> expectations, BatchTimings timings,
        Map<SourcePartition, Long> recordsBehind)
        implements
            PipelineEvent {

    /** Checks the required components and copies the lists and the map. */
    public BatchCommitted {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(at, "at");
        positions = List.copyOf(positions);
        expectations = List.copyOf(expectations);
        Objects.requireNonNull(silverChanges, "silverChanges");
        Objects.requireNonNull(timings, "timings");
        recordsBehind = Map.copyOf(recordsBehind);
    }

    /** @return the silver keys the batch changed, of every kind */
    public long silverRowsChanged() {
        return silverChanges.total();
    }

    /** @return from the poll's return to the bronze commit ({@link BatchTimings#bronze()}) */
    public Duration bronzeTime() {
        return timings.bronze();
    }

    /** @return from the bronze commit to silver's ({@link BatchTimings#silver()}) */
    public Duration silverTime() {
        return timings.silver();
    }
}
