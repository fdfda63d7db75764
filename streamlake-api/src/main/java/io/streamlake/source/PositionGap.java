package io.streamlake.source;

import java.util.Objects;

/**
 * Positions of a partition that were lost before they could be ingested: the source no longer
 * held them (retention passed) and the pipeline was told to skip ahead rather than fail. Reported
 * loudly in logs and in the run's progress.
 *
 * <pre>{@code
 * for (PositionGap gap : run.progress().gaps()) {
 *     alert("lost " + gap.count() + " events of " + gap.partition());
 * }
 * }</pre>
 *
 * @param partition the partition
 * @param fromPosition first lost position, inclusive
 * @param toPosition first position read after the gap, exclusive end of the gap
 */
public record PositionGap(SourcePartition partition, long fromPosition, long toPosition) {
    /** Checks the range. */
    public PositionGap {
        Objects.requireNonNull(partition, "partition");
        if (toPosition < fromPosition) {
            throw new IllegalArgumentException("gap end " + toPosition + " is before its start " + fromPosition);
        }
    }

    /** @return how many positions were lost (an upper bound where positions are not contiguous) */
    public long count() {
        return toPosition - fromPosition;
    }
}
