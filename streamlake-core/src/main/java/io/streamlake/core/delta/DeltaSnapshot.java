package io.streamlake.core.delta;

import io.delta.standalone.Snapshot;
import io.delta.standalone.types.StructType;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.TableSnapshot;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * One version of a Delta table. Everything but the version is computed on first use: a bronze
 * table's file list is large, and most callers only want a transaction marker.
 */
final class DeltaSnapshot implements TableSnapshot {
    private final DeltaTable table;
    private final long version;
    private final @Nullable Snapshot snapshot;
    private volatile @Nullable Optional<Schema> schema;
    private volatile @Nullable List<DataFile> files;

    DeltaSnapshot(DeltaTable table, long version, @Nullable Snapshot snapshot) {
        this.table = table;
        this.version = version;
        this.snapshot = snapshot;
    }

    static DeltaSnapshot absent(DeltaTable table) {
        return new DeltaSnapshot(table, -1, null);
    }

    @Override
    public long version() {
        return version;
    }

    @Override
    public Optional<Schema> schema() {
        Optional<Schema> s = schema;
        if (s == null) {
            StructType struct = snapshot == null ? null : snapshot.getMetadata().getSchema();
            s = struct == null ? Optional.empty() : Optional.of(DeltaSchemas.fromDelta(struct, table.location()));
            schema = s;
        }
        return s;
    }

    @Override
    public List<String> partitionColumns() {
        Snapshot s = snapshot;
        return s == null ? List.of() : List.copyOf(s.getMetadata().getPartitionColumns());
    }

    @Override
    public List<DataFile> files() {
        List<DataFile> f = files;
        if (f == null) {
            synchronized (this) {
                f = files;
                if (f == null) {
                    f = load();
                    files = f;
                }
            }
        }
        return f;
    }

    private List<DataFile> load() {
        Snapshot s = snapshot;
        return s == null ? List.of() : table.liveFiles(s).files();
    }

    @Override
    public Map<String, String> properties() {
        Snapshot s = snapshot;
        return s == null ? Map.of() : Map.copyOf(s.getMetadata().getConfiguration());
    }

    /** Answered by the table's {@link TxnMarkers}: no state replay per snapshot. */
    @Override
    public OptionalLong transaction(String appId) {
        if (snapshot == null) {
            return OptionalLong.empty();
        }
        long v = table.markers().version(table.log(), version, appId);
        return v < 0 ? OptionalLong.empty() : OptionalLong.of(v);
    }

    @Override
    public String toString() {
        return "DeltaSnapshot[" + table.location() + " @ " + version + "]";
    }
}
