package io.streamlake.table;

import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.Iterator;
import java.util.List;

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
     * @param schema the schema of the rows to write
     * @return a writer of one new, uncommitted data file
     */
    DataFileWriter newDataFile(Schema schema);

    /**
     * @param file a data file of this table
     * @param schema the schema to read it with
     * @return its rows, in the order they were written
     */
    Iterator<Row> read(DataFile file, Schema schema);

    /**
     * @param fromVersion first version, inclusive
     * @param toVersion last version, inclusive
     * @return the data-changing additions of each version in the range, in version order
     */
    List<TableChange> changes(long fromVersion, long toVersion);

    /** @return an empty commit based on the latest version */
    PendingCommit newCommit();
}
