package io.streamlake.core.silver;

import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import io.streamlake.table.Table;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import org.jspecify.annotations.Nullable;

/**
 * The rows of some silver files as one stream in key order, a key's rows together: a k-way merge of
 * files that are each sorted by key, as silver writes them. A file is opened only when the stream
 * reaches the lower bound of its keys (its statistics' minimums), so over files with disjoint key
 * ranges, which a version's files of one silver table are, it holds one or two files' row groups
 * at a time however many files there are. Files of several partitions overlap and are merged, which
 * holds one open file per partition.
 *
 * <p>A file that is not sorted by key (another engine's) is found out as the stream reads it: the
 * stream then throws {@link NotSorted}, and the caller reads the files another way.
 *
 * <p>One thread: not shared.
 */
final class SortedRows implements AutoCloseable {
    /** Thrown when the files turn out not to be in key order. */
    static final class NotSorted extends RuntimeException {
        private static final long serialVersionUID = 1L;
        /** The table version whose files these are, for the caller's record; set by the caller. */
        long version = -1;

        NotSorted(String file) {
            super("file " + file + " is not sorted by the silver key", null, false, false);
        }
    }

    /** One open file, at its current row. */
    private static final class Cursor {
        final DataFile file;
        final Iterator<Row> rows;
        Row row;
        Object key;

        Cursor(DataFile file, Iterator<Row> rows, Row row, Object key) {
            this.file = file;
            this.rows = rows;
            this.row = row;
            this.key = key;
        }
    }

    private final Table table;
    private final Schema schema;
    private final SilverKey key;
    private final PriorityQueue<Cursor> open = new PriorityQueue<>(Comparator.comparing(c -> c.key,
            ValueOrder.NATURAL));
    /** Files not opened yet, by the lower bound of their keys; those without one are opened at once. */
    private final List<DataFile> pending = new ArrayList<>();
    private final List<Object> bounds = new ArrayList<>();
    private int nextPending;
    /** The key of the row last taken, to check the whole stream's order. */
    private @Nullable Object last;

    /**
     * @param files data files of {@code table}, each sorted by key
     * @param schema the schema to read them with
     * @param key silver's key, of {@code schema}
     */
    SortedRows(Table table, List<DataFile> files, Schema schema, SilverKey key) {
        this.table = table;
        this.schema = schema;
        this.key = key;
        List<DataFile> bounded = new ArrayList<>();
        for (DataFile f : files) {
            if (key.bound(f.minValues()) == null) {
                openFile(f);
            } else {
                bounded.add(f);
            }
        }
        bounded.sort(Comparator.comparing(f -> key.bound(f.minValues()), ValueOrder.NATURAL));
        for (DataFile f : bounded) {
            pending.add(f);
            bounds.add(key.bound(f.minValues()));
        }
    }

    /**
     * @return the key of the next row, null when no row is left
     * @throws NotSorted if a file turns out not to be in key order
     */
    @Nullable
    Object peekKey() {
        // a file whose keys may start at or before the smallest key open must be open to compare
        while (nextPending < pending.size()
                && (open.isEmpty() || ValueOrder.NATURAL.compare(bounds.get(nextPending), open.peek().key) <= 0)) {
            openFile(pending.get(nextPending++));
        }
        Cursor c = open.peek();
        return c == null ? null : c.key;
    }

    /**
     * Adds the rows of the next key to {@code out}.
     *
     * @param k the next key, as {@link #peekKey()} returned it
     * @throws NotSorted if a file turns out not to be in key order
     */
    void take(Object k, List<Row> out) {
        // a key again, or a smaller one, means a file's statistics did not bound its keys
        if (last != null && ValueOrder.NATURAL.compare(last, k) >= 0) {
            throw new NotSorted(open.isEmpty() ? "?" : open.peek().file.path());
        }
        last = k;
        Object next = peekKey();
        while (next != null && ValueOrder.NATURAL.compare(next, k) == 0) {
            Cursor c = open.poll();
            out.add(c.row);
            advance(c);
            next = peekKey();
        }
    }

    private void openFile(DataFile f) {
        Iterator<Row> rows = table.read(f, schema);
        if (rows.hasNext()) {
            Row row = rows.next();
            open.add(new Cursor(f, rows, row, keyOf(f, row)));
        } else {
            closeQuietly(rows);
        }
    }

    private void advance(Cursor c) {
        if (!c.rows.hasNext()) {
            return; // the file's iterator closes itself at its end
        }
        Row row = c.rows.next();
        Object k = keyOf(c.file, row);
        if (ValueOrder.NATURAL.compare(c.key, k) > 0) {
            closeQuietly(c.rows);
            throw new NotSorted(c.file.path());
        }
        c.row = row;
        c.key = k;
        open.add(c);
    }

    private Object keyOf(DataFile f, Row row) {
        Object k = key.of(row);
        if (k == null) {
            throw new NotSorted(f.path()); // not a row silver wrote: read it the other way
        }
        return k;
    }

    @Override
    public void close() {
        for (Cursor c : open) {
            closeQuietly(c.rows);
        }
        open.clear();
    }

    private static void closeQuietly(Iterator<Row> rows) {
        if (rows instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // a reader's close only releases it: nothing of the data depends on it
            }
        }
    }
}
