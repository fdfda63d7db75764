package io.streamlake.event;

import java.time.Instant;
import java.util.Objects;

/**
 * The pipeline stopped on an error. Its tables are consistent; a new start resumes after the last
 * commit.
 *
 * @param pipeline the pipeline's name
 * @param at when it stopped
 * @param batches micro-batches this run committed to bronze (silver may hold fewer of them if it failed)
 * @param events events this run committed to bronze
 * @param cause the error (its message names no secret)
 */
public record PipelineFailed(String pipeline, Instant at, long batches, long events, Throwable cause)
        implements
            PipelineEvent {

    /** Checks the required components. */
    public PipelineFailed {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(cause, "cause");
    }
}
