package io.streamlake.core.internal;

import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.spi.PipelineEngine;
import io.streamlake.table.Table;

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

    @Override
    public long replayQuarantine(Pipeline pipeline) {
        Table silver = Tables.resolve(pipeline.silver().orElseThrow(), pipeline.storageOptions());
        Table quarantine = Tables.resolve(pipeline.quarantine().orElseThrow(), pipeline.storageOptions());
        if (quarantine.snapshot().version() < 0) {
            return 0; // nothing was ever quarantined
        }
        // with the columns the strategy stores, and silver's partitioning, as a run creates it
        SilverColumns.open(silver, pipeline.silverSchema().orElseThrow(), pipeline.mergeStrategy(),
                pipeline.partitionColumns(), silver.snapshot());
        return new QuarantineReplay(pipeline, silver, quarantine).run();
    }
}
