package io.streamlake.core.engine;

import io.streamlake.table.Erasure;
import io.streamlake.Pipeline;
import io.streamlake.PipelineEngine;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.silver.QuarantineReplay;
import io.streamlake.core.silver.SilverColumns;
import io.streamlake.core.silver.SilverStage;
import io.streamlake.core.util.Workers;
import io.streamlake.spi.BatchEngine;
import io.streamlake.spi.PipelineTables;
import io.streamlake.table.Table;
import io.streamlake.table.TableRef;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;

/**
 * The engine {@link Pipeline#start()} finds through {@link java.util.ServiceLoader}: the one place
 * that turns a description's table references into tables (paths into Delta tables). Internal, not
 * API.
 */
public final class DefaultPipelineEngine implements PipelineEngine {

    /** Called by the service loader. */
    public DefaultPipelineEngine() {
    }

    @Override
    public PipelineRun start(Pipeline pipeline, RunMode mode) {
        Pipeline valid = pipeline.validate();
        EngineRun run = new EngineRun(valid, mode, tables(valid));
        run.begin();
        return run;
    }

    @Override
    public long replayQuarantine(Pipeline pipeline) {
        PipelineTables tables = tables(pipeline);
        Table silver = Objects.requireNonNull(tables.silver());
        if (Objects.requireNonNull(tables.quarantine(), "a replay needs a quarantine table").snapshot().version() < 0) {
            return 0; // nothing was ever quarantined
        }
        // with the columns the strategy stores, and silver's partitioning, as a run creates it
        SilverColumns.open(silver, pipeline.silverSchema().orElseThrow(), pipeline.mergeStrategy(),
                pipeline.partitionColumns(), silver.snapshot());
        return replayQuarantine(pipeline, tables);
    }

    @Override
    public Erasure erase(Pipeline pipeline, Collection<?> keys) {
        Pipeline valid = pipeline.validate();
        PipelineTables tables = tables(valid);
        if (tables.silver() == null) {
            throw EngineErrors.eraseWithoutSilver(valid.name());
        }
        try (Workers workers = new Workers(valid.writerParallelism(), valid.name() + "-erase")) {
            SilverStage stage = new SilverStage(valid, tables.bronze(), tables.silver(), tables.quarantine(),
                    tables.deleteMarkers(), tables.changeFeed(), workers);
            stage.open(); // as a run opens silver: its columns, its key, and what a crash left undone
            return stage.erase(keys);
        }
    }

    @Override
    public PipelineTables tables(Pipeline pipeline) {
        Map<String, String> options = pipeline.storageOptions();
        return new PipelineTables(table(pipeline.bronze(), options),
                pipeline.silver().map(t -> table(t, options)).orElse(null),
                pipeline.quarantine().map(t -> table(t, options)).orElse(null),
                pipeline.silver().isEmpty() ? null : pipeline.deleteMarkers().map(t -> table(t, options)).orElse(null),
                pipeline.eventLog().map(t -> table(t, options)).orElse(null),
                pipeline.silver().isEmpty() ? null : pipeline.changeFeed().map(t -> table(t, options)).orElse(null));
    }

    /** A given instance as is, a path as a Delta table opened with the storage options (secrets). */
    private static Table table(TableRef ref, Map<String, String> storageOptions) {
        return ref.table().orElseGet(() -> DeltaTable.open(ref.path().orElseThrow(), storageOptions));
    }

    @Override
    public BatchEngine batchEngine(Pipeline pipeline, PipelineTables tables) {
        return new MicroBatchEngine(pipeline.validate(), tables);
    }

    @Override
    public long replayQuarantine(Pipeline pipeline, PipelineTables tables) {
        Table silver = Objects.requireNonNull(tables.silver(), "a replay needs a silver table");
        Table quarantine = Objects.requireNonNull(tables.quarantine(), "a replay needs a quarantine table");
        if (quarantine.snapshot().version() < 0) {
            return 0; // nothing was ever quarantined
        }
        return new QuarantineReplay(pipeline, silver, quarantine, tables.deleteMarkers()).run();
    }
}
