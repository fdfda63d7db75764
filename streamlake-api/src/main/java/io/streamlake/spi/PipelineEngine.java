package io.streamlake.spi;

import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;

/**
 * The engine that runs a {@link Pipeline}, found with {@link java.util.ServiceLoader}.
 * {@code streamlake-core} provides it; applications never call this directly.
 *
 * <pre>{@code
 * // META-INF/services/io.streamlake.spi.PipelineEngine in streamlake-core names the implementation
 * PipelineRun run = pipeline.start();
 * }</pre>
 */
public interface PipelineEngine {

    /**
     * @param pipeline a validated pipeline description
     * @param mode how long to run
     * @return the running pipeline
     */
    PipelineRun start(Pipeline pipeline, RunMode mode);

    /**
     * @param pipeline a validated pipeline with silver and quarantine tables
     * @return records that left the quarantine
     */
    long replayQuarantine(Pipeline pipeline);
}
