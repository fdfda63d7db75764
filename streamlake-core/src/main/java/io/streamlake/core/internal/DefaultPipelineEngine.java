package io.streamlake.core.internal;

import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.spi.PipelineEngine;

/** The engine {@link Pipeline#start()} finds through {@link java.util.ServiceLoader}. Internal, not API. */
public final class DefaultPipelineEngine implements PipelineEngine {

    /** Called by the service loader. */
    public DefaultPipelineEngine() {
    }

    @Override
    public PipelineRun start(Pipeline pipeline, RunMode mode) {
        EngineRun run = new EngineRun(pipeline.validate(), mode);
        run.begin();
        return run;
    }
}
