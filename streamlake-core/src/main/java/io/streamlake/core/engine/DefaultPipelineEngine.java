package io.streamlake.core.engine;

import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.silver.QuarantineReplay;
import io.streamlake.core.silver.SilverColumns;
import io.streamlake.spi.PipelineEngine;
import io.streamlake.table.Table;
import java.util.Objects;

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
        PipelineTables tables = PipelineTables.resolve(pipeline);
        Table silver = Objects.requireNonNull(tables.silver());
        Table quarantine = Objects.requireNonNull(tables.quarantine(), "a replay needs a quarantine table");
        if (quarantine.snapshot().version() < 0) {
            return 0; // nothing was ever quarantined
        }
        // with the columns the strategy stores, and silver's partitioning, as a run creates it
        SilverColumns.open(silver, pipeline.silverSchema().orElseThrow(), pipeline.mergeStrategy(),
                pipeline.partitionColumns(), silver.snapshot());
        return new QuarantineReplay(pipeline, silver, quarantine, tables.deleteMarkers()).run();
    }
}
