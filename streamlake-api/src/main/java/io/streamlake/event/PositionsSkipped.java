package io.streamlake.event;

import io.streamlake.source.PositionGap;
import java.time.Instant;
import java.util.Objects;

/**
 * The source no longer held some positions and skipped them, as it was told to
 * ({@code skipLostPositions()}): data loss, to alert on.
 *
 * @param pipeline the pipeline's name
 * @param at when the source reported it
 * @param gap the lost positions
 */
public record PositionsSkipped(String pipeline, Instant at, PositionGap gap) implements PipelineEvent {

    /** Checks the required components. */
    public PositionsSkipped {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(gap, "gap");
    }
}
