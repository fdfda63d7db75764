package io.streamlake.event;

import io.streamlake.source.SourcePartition;
import java.util.Objects;

/**
 * The source positions of one partition that a micro-batch committed: those after
 * {@code afterPosition} up to and including {@code lastPosition}.
 *
 * @param partition the source partition
 * @param afterPosition the partition's committed position before the batch (exclusive), -1 if none
 * @param lastPosition the last position the batch committed (inclusive)
 */
public record PositionRange(SourcePartition partition, long afterPosition, long lastPosition) {

    /** Checks the range. */
    public PositionRange {
        Objects.requireNonNull(partition, "partition");
        if (lastPosition <= afterPosition) {
            throw new IllegalArgumentException("last position " + lastPosition + " is not after " + afterPosition);
        }
    }
}
