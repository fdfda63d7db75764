package io.streamlake.table;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The sink SPI: a transactional table of rows with atomic multi-file commits and progress markers.
 * StreamLake ships a Delta Lake implementation (any local path or Hadoop URI); the testkit ships an
 * in-memory one. Implementations are thread-safe.
 *
 * <pre>{@code
 * Table bronze = ...;
 * bronze.create(schema);
 * try (DataFileWriter w = bronze.newDataFile(schema)) {
 *     rows.forEach(w::write);
 *     bronze.newCommit().add(w.finish()).setTransaction("app", 7).commit("WRITE");
 * }
 * }</pre>
 */
public interface Table {

    /** @return where the table lives, for messages (never with credentials) */
    String location();

    /** @return the latest committed version */
    TableSnapshot snapshot();

    /**
     * Creates the table with this schema if it does not exist, or checks that the existing table's
     * schema can hold rows of it.
     *
     * @param schema the schema rows will have
     * @return the snapshot after creation
     * @throws io.streamlake.exceptions.SchemaMismatchException naming both schemas if they differ
     */
    TableSnapshot create(Schema schema);

    /**
     * Creates a partitioned table, or checks an existing one: its schema as {@link #create(Schema)}
     * does, and that it is partitioned by exactly these columns. {@link #create(Schema)} is this with
     * no partition columns. Tables that cannot partition refuse any.
     *
     * <pre>{@code
     * table.create(schema, List.of("order_date"));
     * }</pre>
     *
     * @param schema the schema rows will have
     * @param partitionColumns columns of the schema whose values split the table into partitions
     *     ({@link PartitionValues#supports} tells which types can)
     * @return the snapshot after creation
     * @throws io.streamlake.exceptions.ConfigurationException naming both lists if the table exists
     *     with other partition columns, or if a column cannot partition
     */
    default TableSnapshot create(Schema schema, List<String> partitionColumns) {
        if (!partitionColumns.isEmpty()) {
            throw new ConfigurationException("table " + location() + " cannot be partitioned"
                    + " (by " + partitionColumns + "): its implementation does not support partition columns");
        }
        return create(schema);
    }

    /**
     * @param schema the schema of the rows to write
     * @return a writer of one new, uncommitted data file
     */
    DataFileWriter newDataFile(Schema schema);

    /**
     * Opens a data file of one partition of a partitioned table: every row written must hold these
     * partition values (or the writer refuses it).
     *
     * <pre>{@code
     * DataFileWriter w = table.newDataFile(schema, PartitionValues.of(row, List.of("order_date")));
     * }</pre>
     *
     * @param schema the schema of the rows to write
     * @param partitionValues each partition column's value as text ({@link PartitionValues#of}); empty
     *     for an unpartitioned table
     * @return a writer of one new, uncommitted data file
     */
    default DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues) {
        if (!partitionValues.isEmpty()) {
            throw new ConfigurationException("table " + location() + " cannot write"
                    + " partitioned data files: its implementation does not support partition columns");
        }
        return newDataFile(schema);
    }

    /**
     * Opens a data file as {@link #newDataFile(Schema, Map)} does, with a hint for its encoding: the
     * rows hold mostly distinct values in {@code distinctColumns}, such as a key's columns in a file
     * of one row per key. A Parquet writer then skips the dictionary for them, which would hash every
     * value only to store each once. The default ignores the hint.
     *
     * @param distinctColumns columns whose values repeat rarely in this file; a hint only
     * @return a writer of one new, uncommitted data file
     */
    default DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues,
            Set<String> distinctColumns) {
        return newDataFile(schema, partitionValues);
    }

    /**
     * @param file a data file of this table
     * @param schema the schema to read it with
     * @return its rows, in the order they were written
     */
    Iterator<Row> read(DataFile file, Schema schema);

    /**
     * @param fromVersion first version, inclusive
     * @param toVersion last version, inclusive
     * @return the data-changing additions of each version in the range, in version order, without
     *     those of versions that also remove data ({@link TableChange}: they rewrite rows delivered before)
     */
    List<TableChange> changes(long fromVersion, long toVersion);

    /**
     * The table's commits in a range of versions, each with what {@link PendingCommit#withUserMetadata}
     * attached, in version order. Versions whose log was cleaned up (log retention) are not returned.
     *
     * <p>The default is unsupported, for tables that keep no history.
     *
     * @param fromVersion first version, inclusive
     * @param toVersion last version, inclusive
     * @return the commits in the range
     * @throws UnsupportedOperationException for a table that keeps no history
     */
    default List<TableCommit> history(long fromVersion, long toVersion) {
        throw new UnsupportedOperationException(getClass().getName() + " keeps no commit history");
    }

    /**
     * The data files each version in a range removed and added with a change of data, and when it
     * was committed: what silver's change feed compares to find the rows a version changed. Files a
     * version only rearranged (a compaction, {@code dataChange = false}) are left out, and versions
     * that changed no data are not returned. A removed file is given with the statistics it was added
     * with, where the table still knows them.
     *
     * <p>The default is unsupported, for tables that keep no history.
     *
     * @param fromVersion first version, inclusive
     * @param toVersion last version, inclusive
     * @return the versions in the range that changed data, in version order
     * @throws UnsupportedOperationException for a table that keeps no history
     */
    default List<FileChanges> fileChanges(long fromVersion, long toVersion) {
        throw new UnsupportedOperationException(getClass().getName() + " keeps no history of removed files");
    }

    /**
     * Deletes the data files that no version within the table's retention needs, as Delta's
     * {@code VACUUM} does: neither in the latest version nor removed by a version within
     * {@code delta.deletedFileRetentionDuration}, and older than that retention themselves (so a file
     * being written for a commit in flight is never one of them). It commits nothing.
     *
     * <p>The default deletes nothing, for tables that keep no files on storage.
     *
     * @return what it deleted
     */
    default Vacuumed vacuum() {
        return Vacuumed.NOTHING;
    }

    /** @return an empty commit based on the latest version */
    PendingCommit newCommit();
}
