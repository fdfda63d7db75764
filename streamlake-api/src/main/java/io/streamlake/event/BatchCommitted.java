package io.streamlake.event;

import io.streamlake.quality.ExpectationMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A micro-batch reached bronze, and silver caught up with it.
 *
 * @param pipeline the pipeline's name
 * @param at when silver (or bronze, without silver) committed
 * @param batch the batch's number in this run, from 1
 * @param events events committed to bronze
 * @param bytes their keys' and values' bytes
 * @param positions the source positions committed, per partition
 * @param bronzeVersion the bronze version committed
 * @param silverVersion silver's version after the batch, -1 without silver
 * @param silverRowsChanged silver rows inserted, replaced or deleted
 * @param quarantined records of the batch written to the quarantine table
 * @param expectations pass and fail counts of each expectation (and of decoding, named
 *     {@code decode}) in this batch
 * @param bronzeTime from the poll's return to the bronze commit
 * @param silverTime from the bronze commit to silver's
 */
public record BatchCommitted(String pipeline, Instant at, long batch, int events, long bytes,
        List<PositionRange> positions, long bronzeVersion, long silverVersion, long silverRowsChanged,
        long quarantined, List<ExpectationMetrics> expectations, Duration bronzeTime, Duration silverTime)
        implements
            PipelineEvent {

    /** Checks the required components and copies the lists. */
    public BatchCommitted {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(at, "at");
        positions = List.copyOf(positions);
        expectations = List.copyOf(expectations);
        Objects.requireNonNull(bronzeTime, "bronzeTime");
        Objects.requireNonNull(silverTime, "silverTime");
    }
}
