package io.streamlake.core.delta;

import io.streamlake.schema.Row;
import java.io.IOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.parquet.hadoop.ParquetReader;
import org.jspecify.annotations.Nullable;

/**
 * The rows of one data file. It closes the file when the last row has been read; callers that
 * stop early close it through {@link AutoCloseable}.
 */
final class ParquetRowIterator implements Iterator<Row>, AutoCloseable {
    private final DeltaTable table;
    private final String file;
    private @Nullable ParquetReader<Row> reader;
    private @Nullable Row next;

    ParquetRowIterator(DeltaTable table, String file, ParquetReader<Row> reader) {
        this.table = table;
        this.file = file;
        this.reader = reader;
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        ParquetReader<Row> r = reader;
        if (r == null) {
            return false;
        }
        try {
            next = r.read();
        } catch (IOException | RuntimeException e) {
            close();
            throw table.readFailure(file, e);
        }
        if (next == null) {
            close();
            return false;
        }
        return true;
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more rows in data file " + file);
        }
        Row row = next;
        next = null;
        return row;
    }

    @Override
    public void close() {
        ParquetReader<Row> r = reader;
        reader = null;
        if (r != null) {
            try {
                r.close();
            } catch (IOException e) {
                // Every row was read or the caller gave up on the file: nothing left to lose.
            }
        }
    }
}
