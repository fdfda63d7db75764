package io.streamlake.table;

import io.streamlake.schema.Row;

/**
 * Writes rows into one new data file that no commit references yet. Stage the result with
 * {@link PendingCommit#add(DataFile)}; a file never committed is an orphan that vacuum removes.
 *
 * <pre>{@code
 * DataFileWriter w = table.newDataFile(schema);
 * rows.forEach(w::write);
 * table.newCommit().add(w.finish()).commit("WRITE");
 * }</pre>
 */
public interface DataFileWriter extends AutoCloseable {

    /**
     * @param row a row of the schema the writer was opened with
     */
    void write(Row row);

    /** @return rows written so far */
    long rowCount();

    /**
     * Closes the file and computes its statistics.
     *
     * @return the finished file
     */
    DataFile finish();

    /** Abandons the file (deleting it where possible). Does nothing after {@link #finish()}. */
    @Override
    void close();
}
