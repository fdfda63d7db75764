package io.streamlake.table;

import io.streamlake.schema.Schema;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One version of a table: its schema, its live data files and its progress markers.
 *
 * <pre>{@code
 * TableSnapshot s = table.snapshot();
 * long rows = s.files().stream().mapToLong(DataFile::rowCount).sum();
 * }</pre>
 */
public interface TableSnapshot {

    /** @return the version, or -1 when the table does not exist yet */
    long version();

    /** @return the schema, empty when the table does not exist yet */
    Optional<Schema> schema();

    /** @return the partition columns, in order; empty for an unpartitioned table */
    default List<String> partitionColumns() {
        return List.of();
    }

    /**
     * The data files of this version, in the order their rows arrived: the files of an earlier
     * commit before those of a later one, the files of one commit in the order they were
     * {@linkplain PendingCommit#add added}, and files that {@linkplain PendingCommit#replace replaced}
     * others in the place of those. Readers that care about arrival order (a bronze table read back,
     * bronze compaction) rely on it; tables that cannot keep it say so.
     *
     * @return the data files of this version
     */
    List<DataFile> files();

    /**
     * Settings recorded in the table itself (Delta: the metadata's {@code configuration}), such as
     * the silver key that StreamLake checks on every start.
     *
     * <pre>{@code
     * String key = table.snapshot().properties().get("streamlake.silver.key");
     * }</pre>
     *
     * @return the table's properties; empty by default, for tables that keep none
     */
    default Map<String, String> properties() {
        return Map.of();
    }

    /**
     * @param appId a progress marker id
     * @return the marker's version, empty if never set
     */
    OptionalLong transaction(String appId);
}
