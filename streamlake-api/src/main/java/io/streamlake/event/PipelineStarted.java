package io.streamlake.event;

import java.time.Instant;
import java.util.Objects;

/**
 * The pipeline opened its tables (finishing any silver work a crash left behind) and its source, and
 * polls from now on.
 *
 * @param pipeline the pipeline's name
 * @param at when it was ready
 * @param bronzeVersion the bronze table's version at the start
 * @param silverVersion the silver table's version at the start, -1 without silver
 */
public record PipelineStarted(String pipeline, Instant at, long bronzeVersion, long silverVersion)
        implements
            PipelineEvent {

    /** Checks the required components. */
    public PipelineStarted {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(at, "at");
    }
}
