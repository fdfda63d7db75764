package io.streamlake.source;

/**
 * An optional ability of a {@link Source}: when it opens, it checks that each partition still holds
 * the position right after the one committed in bronze (the marker, or the start position), and
 * fails naming the partition and the lost range when it does not; told to, it continues at the
 * earliest position it holds instead and reports the lost range as a {@link PositionGap}. The Kafka
 * source and the native Event Hubs source implement it.
 *
 * <p>A source that hands over to a live one, such as a Capture archive followed by the live stream,
 * tests the live source for this ability: one that has it checks the hand-over position itself and
 * is told to skip when the combined source skips; for one that has not, the hand-over compares the
 * live stream's first positions with the archive's last.
 *
 * <pre>{@code
 * Source live = skip && source instanceof GapCheckingSource checking ? checking.skipLostPositions() : source;
 * }</pre>
 */
public interface GapCheckingSource extends Source {
    /**
     * When a partition no longer holds the position after its committed one, continue at the earliest
     * position it holds instead of failing; the lost range is logged and reported as a {@link PositionGap}.
     *
     * @return a copy that skips and reports lost positions
     */
    GapCheckingSource skipLostPositions();
}
