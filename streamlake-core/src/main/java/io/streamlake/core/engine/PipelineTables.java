package io.streamlake.core.engine;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.table.Table;
import io.streamlake.table.TableRef;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The tables a pipeline runs on, resolved once from its description: by the streaming run, the
 * quarantine replay and the testkit's driver alike, which may wrap them (fault injection) before
 * handing them to the engine. Internal, not API.
 *
 * @param bronze the bronze table
 * @param silver the silver table, null for a bronze-only pipeline
 * @param quarantine the quarantine table, null to stop on records that cannot enter silver
 * @param deleteMarkers the delete-marker table, null when the strategy keeps none or silver is absent
 */
public record PipelineTables(Table bronze, @Nullable Table silver, @Nullable Table quarantine,
        @Nullable Table deleteMarkers) {

    /** @throws NullPointerException if bronze is null */
    public PipelineTables {
        Objects.requireNonNull(bronze, "bronze");
    }

    /**
     * @param pipeline a description
     * @return its tables, opened with its storage options (no I/O until they are used)
     */
    public static PipelineTables resolve(Pipeline pipeline) {
        Map<String, String> options = pipeline.storageOptions();
        return new PipelineTables(resolve(pipeline.bronze(), options),
                pipeline.silver().map(t -> resolve(t, options)).orElse(null),
                pipeline.quarantine().map(t -> resolve(t, options)).orElse(null),
                pipeline.silver().isEmpty() ? null : pipeline.deleteMarkers().map(t -> resolve(t, options)).orElse(null));
    }

    /**
     * @param ref a table reference
     * @param storageOptions Hadoop settings for path tables (secrets)
     * @return the table: a given instance as is, a path as a Delta table
     */
    public static Table resolve(TableRef ref, Map<String, String> storageOptions) {
        return ref.table().orElseGet(() -> DeltaTable.open(ref.path().orElseThrow(), storageOptions));
    }
}
