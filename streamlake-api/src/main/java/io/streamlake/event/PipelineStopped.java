package io.streamlake.event;

import java.time.Instant;
import java.util.Objects;

/**
 * The pipeline stopped as asked, or caught up in a run until caught up.
 *
 * @param pipeline the pipeline's name
 * @param at when it stopped
 * @param batches micro-batches this run committed to bronze (silver may hold fewer of them if it failed)
 * @param events events this run committed to bronze
 */
public record PipelineStopped(String pipeline, Instant at, long batches, long events) implements PipelineEvent {

    /** Checks the required components. */
    public PipelineStopped {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(at, "at");
    }
}
