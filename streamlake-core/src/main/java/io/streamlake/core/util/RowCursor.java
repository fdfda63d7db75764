package io.streamlake.core.util;

import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import org.jspecify.annotations.Nullable;

/**
 * The rows of one data file, one at a time, held as the file's format decoded them: a merge that
 * copies most rows of a file into a new one as they are ({@link #copyTo}) turns into {@link Row}s
 * only the few it touches ({@link #row()}, {@link #value(int)}). A table offers cursors when it
 * implements {@link Source}; silver's merge asks for one and reads the file as rows when it gets
 * none.
 *
 * <pre>{@code
 * RowCursor rows = table instanceof RowCursor.Source s ? s.cursor(file, schema) : null;
 * while (rows.next()) {
 *     if (touched(rows.value(0))) { out.write(change(rows.row())); }
 *     else if (rows.copyTo(out) < 0) { out.write(rows.row()); }
 * }
 * }</pre>
 *
 * <p>One thread uses a cursor. It is closed at its end, and by {@link #close()} when given up on.
 */
public interface RowCursor extends AutoCloseable {
    /**
     * Moves to the next row.
     *
     * @return false at the end of the file
     */
    boolean next();

    /**
     * @param column a column's position in the cursor's schema
     * @return the current row's value there, as a {@link Row} holds it
     */
    @Nullable
    Object value(int column);

    /** @return the current row, of the cursor's schema */
    Row row();

    /**
     * Writes the current row into a file as it is, if the file is one that can take it so (in
     * practice, a new file of the same table and schema).
     *
     * @return the bytes of the row's strings and binaries, or -1 if nothing was written: the caller
     *     then writes {@link #row()}
     */
    long copyTo(DataFileWriter writer);

    @Override
    void close();

    /** A table whose data files can be read through cursors. */
    interface Source {
        /**
         * @param file one of the table's data files
         * @param schema the schema the caller reads and writes the table's rows with
         * @return a cursor over the file's rows, or null when the file must be read as rows (a file
         *     the cursor could not copy exactly)
         */
        @Nullable
        RowCursor cursor(DataFile file, Schema schema);
    }
}
