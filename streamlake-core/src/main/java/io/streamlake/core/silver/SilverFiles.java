package io.streamlake.core.silver;

import io.streamlake.core.util.FileSequence;
import io.streamlake.core.util.MemoryBudget;
import io.streamlake.core.util.RowCursor;
import io.streamlake.core.util.Tables;
import io.streamlake.core.util.Workers;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.Table;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Silver's files as every merge path reads and writes them: rows widened to the declared schema as
 * read and narrowed to the stored one as written ({@link SilverColumns}), and files cut between keys
 * only, so key ranges stay disjoint. Files are cut by bytes as well as by rows: the one-pass merge
 * of a sorted file streams ({@link SortedOutput}), but the other paths (a file out of key order,
 * overlapping files, a partitioned table, a table smaller than a file) and compaction hold a file's
 * rows, so a file's bytes bound the memory of merging it; by rows alone, a silver file of 1 MB
 * values held gigabytes.
 *
 * @param table the table, or a view of it (such as without the rows a truncate removes)
 * @param columns what silver stores of the declared schema
 * @param key the silver key of the declared schema
 * @param targetFileRows about how many rows a written file holds
 * @param targetFileBytes about how many bytes a written file's rows hold on the heap at most
 *     ({@link #bytes(Row)}), which is what merging it holds on the paths that do not stream
 * @param workers the batch's helper threads, for reads and writes that split
 * @param parallelFiles how many files a write on the workers makes at least, when it has
 *     {@link #MIN_PARALLEL_FILE_ROWS} rows for each: a table smaller than one file is then merged by as
 *     many threads at once, one per file, instead of one; 1 for a single file
 */
record SilverFiles(Table table, SilverColumns columns, SilverKey key, long targetFileRows, long targetFileBytes,
        Workers workers, int parallelFiles) {

    /**
     * The most rows a {@link SortedOutput} holds before its first change, rather than writes; it holds
     * fewer when their bytes reach a quarter of {@link #targetFileBytes} ({@link SortedOutput#holds}).
     */
    static final int HOLD_ROWS = 256;

    /** The fewest rows of a file that a write splits off only to merge on more threads. */
    static final int MIN_PARALLEL_FILE_ROWS = 10_000;

    /** Files of the heap's {@link MemoryBudget#fileBytes()} at most. */
    SilverFiles(Table table, SilverColumns columns, SilverKey key, long targetFileRows, Workers workers,
            int parallelFiles) {
        this(table, columns, key, targetFileRows, MemoryBudget.JVM.fileBytes(), workers, parallelFiles);
    }

    /** Files of the heap's {@link MemoryBudget#fileBytes()} at most, never split for parallel merges. */
    SilverFiles(Table table, SilverColumns columns, SilverKey key, long targetFileRows, long targetFileBytes,
            Workers workers) {
        this(table, columns, key, targetFileRows, targetFileBytes, workers, 1);
    }

    /**
     * @param compactionMinFiles the pipeline's {@code compactionMinFiles}: small files split for
     *     parallel merges stay fewer, so compaction never joins them again only for the next merge to
     *     split them
     * @return how many files a write on the workers makes at least: one per worker thread
     */
    static int parallelFiles(Workers workers, int compactionMinFiles) {
        return Math.max(1, Math.min(workers.parallelism(), compactionMinFiles - 1));
    }

    /** @return the same files seen through another view of the table */
    SilverFiles over(Table view) {
        return new SilverFiles(view, columns, key, targetFileRows, targetFileBytes, workers, parallelFiles);
    }

    /** @return a file's rows, of the declared schema */
    Iterator<Row> read(DataFile file) {
        return columns.read(table, file);
    }

    /** Reads the marked files on all cores, keeping the rows of these keys. */
    Map<Integer, List<Row>> readAll(List<DataFile> files, BitSet which, KeyGroups keys) {
        List<Integer> positions = which.stream().boxed().toList();
        List<Supplier<List<Row>>> reads = new ArrayList<>();
        for (int f : positions) {
            reads.add(() -> {
                List<Row> rows = new ArrayList<>();
                Iterator<Row> it = read(files.get(f));
                while (it.hasNext()) {
                    Row row = it.next();
                    if (keys.contains(key.of(row))) {
                        rows.add(row);
                    }
                }
                return rows;
            });
        }
        List<List<Row>> results = workers.all(reads);
        Map<Integer, List<Row>> out = new HashMap<>();
        for (int i = 0; i < positions.size(); i++) {
            out.put(positions.get(i), results.get(i));
        }
        return out;
    }

    /** Sorts one partition's rows by key, stably so a key's rows (SCD2 versions) keep their order, and writes them. */
    List<DataFile> sortAndWrite(List<Row> rows, Map<String, @Nullable String> partition) {
        rows.sort(key::compare);
        return write(rows, false, partition);
    }

    /**
     * Splits rows sorted by key into files of about targetFileRows and at most about
     * targetFileBytes, evenly sized, cutting only between keys so that key ranges stay disjoint.
     *
     * @param parallel whether to write the files on the workers: not when the caller already runs on
     *     them, where nested writes would only queue
     */
    List<DataFile> write(List<Row> sorted, boolean parallel) {
        return write(sorted, parallel, Map.of());
    }

    private List<DataFile> write(List<Row> sorted, boolean parallel, Map<String, @Nullable String> partition) {
        if (sorted.isEmpty()) {
            return List.of();
        }
        // One walk over the values, kept per row for the cuts below: a file's rows are far larger
        // than the caches, so a second walk would fetch every value from memory again. Only strings,
        // binaries and maps are looked at; any other value counts as boxed without being touched.
        int[] variable = variableWidth(columns.declared());
        long fixed = rowBytes(columns.declared().size())
                + FIXED_VALUE_BYTES * (columns.declared().size() - variable.length);
        int[] rowBytes = new int[sorted.size()];
        long totalBytes = 0;
        for (int i = 0; i < rowBytes.length; i++) {
            long b = fixed + bytes(sorted.get(i), variable);
            rowBytes[i] = (int) Math.min(Integer.MAX_VALUE, b);
            totalBytes += b;
        }
        long byRows = (sorted.size() + targetFileRows - 1) / targetFileRows;
        long byBytes = (totalBytes + targetFileBytes - 1) / targetFileBytes;
        long fileCount = Math.max(1, Math.max(byRows, byBytes));
        if (parallel && fileCount < parallelFiles) {
            // written, and merged next time, on every worker: the merge of a small table is its latency
            fileCount = Math.max(fileCount, Math.min(parallelFiles, sorted.size() / MIN_PARALLEL_FILE_ROWS));
        }
        // Even by what sets the count, bytes or rows; the other only as its target, so that rows of
        // uneven sizes do not cut early and leave one more, small file.
        boolean bytesSetCount = byBytes == fileCount && byBytes > byRows;
        long perFile = bytesSetCount ? targetFileRows : (sorted.size() + fileCount - 1) / fileCount;
        long perFileBytes = bytesSetCount ? (totalBytes + fileCount - 1) / fileCount : targetFileBytes;
        List<Supplier<DataFile>> writes = new ArrayList<>((int) Math.min(fileCount, 1 << 16));
        // a key's values repeat rarely in a file of one row per key (and of few in SCD type 2)
        Set<String> distinct = Set.copyOf(key.columns());
        int start = 0;
        while (start < sorted.size()) {
            int end = start;
            long fileBytes = 0;
            while (end < sorted.size() && end - start < perFile && (end == start || fileBytes < perFileBytes)) {
                fileBytes += rowBytes[end++];
            }
            while (end < sorted.size() && key.compare(sorted.get(end - 1), sorted.get(end)) == 0) {
                end++;
            }
            List<Row> slice = sorted.subList(start, end);
            writes.add(() -> Tables.writeFile(table, columns.stored(), partition, distinct, columns.narrow(slice)));
            start = end;
        }
        if (parallel) {
            return workers.all(writes);
        }
        List<DataFile> files = new ArrayList<>(writes.size());
        writes.forEach(w -> files.add(w.get()));
        return files;
    }

    /**
     * @param file a file of the table, sorted by key as ours are; null for none (an empty table)
     * @return its rows as the one-pass merge walks them: copied as they are where the table can
     *     ({@link RowCursor}), else read as rows
     */
    SortedInput sortedInput(@Nullable DataFile file) {
        if (file == null) {
            return new RowInput(Collections.emptyIterator());
        }
        RowCursor cursor = table instanceof RowCursor.Source s ? s.cursor(file, columns.stored()) : null;
        return cursor == null ? new RowInput(read(file)) : new CursorInput(cursor);
    }

    /**
     * A file's rows, one at a time, for a merge that copies most of them into its output as they are
     * ({@link SortedOutput#copy}) and looks into only the few its batch touches. One thread uses it.
     */
    interface SortedInput extends AutoCloseable {
        /** @return whether there is a next row, which becomes the current one */
        boolean next();

        /** @return the current row's key */
        @Nullable
        Object key();

        /** @return the current row, of the declared schema */
        Row row();

        /** @return whether rows are copied as they are, never becoming rows, where the output allows */
        boolean copies();

        /**
         * Writes the current row into a file as it is, if the file can take it so.
         *
         * @return about the heap the row takes, as {@link SilverFiles#bytes(Row)} counts it; -1 if it was
         *     not written
         */
        long copyTo(DataFileWriter writer);

        @Override
        void close();
    }

    /** Rows read as rows: another table's file, or one this library's cursor cannot copy. */
    private final class RowInput implements SortedInput {
        private final Iterator<Row> rows;
        private @Nullable Row current;

        RowInput(Iterator<Row> rows) {
            this.rows = rows;
        }

        @Override
        public boolean next() {
            current = rows.hasNext() ? rows.next() : null;
            return current != null;
        }

        @Override
        public @Nullable Object key() {
            return key.of(row());
        }

        @Override
        public Row row() {
            return Objects.requireNonNull(current, "no current row");
        }

        @Override
        public boolean copies() {
            return false;
        }

        @Override
        public long copyTo(DataFileWriter writer) {
            return -1;
        }

        @Override
        public void close() {
            if (rows instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    // the file was read or given up on: nothing is lost with it
                }
            }
        }
    }

    /** Rows of our own file, copied column value by column value; only touched ones become rows. */
    private final class CursorInput implements SortedInput {
        private final RowCursor cursor;
        private final SilverKey storedKey = key.in(columns.stored());
        /** The heap of a stored row's fixed-width values and of its strings' headers. */
        private final long rowHeap;

        CursorInput(RowCursor cursor) {
            this.cursor = cursor;
            Schema stored = columns.stored();
            int variable = variableWidth(stored).length;
            this.rowHeap = rowBytes(stored.size()) + FIXED_VALUE_BYTES * (stored.size() - variable) + 40L * variable;
        }

        @Override
        public boolean next() {
            return cursor.next();
        }

        @Override
        public @Nullable Object key() {
            return storedKey.of(cursor);
        }

        @Override
        public Row row() {
            return columns.widen(cursor.row());
        }

        @Override
        public boolean copies() {
            return true;
        }

        @Override
        public long copyTo(DataFileWriter writer) {
            long bytes = cursor.copyTo(writer);
            return bytes < 0 ? -1 : rowHeap + bytes;
        }

        @Override
        public void close() {
            cursor.close();
        }
    }

    /**
     * @param expectedRows about how many rows the output will hold, what sizes its files evenly;
     *     {@link SortedOutput#expect} refines it as the rows come
     * @param parallel whether to write the files on the workers, as {@link #write(List, boolean)}
     *     does; such an output holds its rows until {@link SortedOutput#finish}
     * @return an output for rows that come sorted by key, of an unpartitioned table
     */
    SortedOutput sortedOutput(long expectedRows, boolean parallel) {
        return new SortedOutput(expectedRows, parallel, false);
    }

    /**
     * @param split whether to cut the files written as they come into as many as a parallel write
     *     would ({@link #parallelFiles}, {@link #MIN_PARALLEL_FILE_ROWS} rows each at least), so that
     *     a table smaller than a file, merged as one unit, is merged on every worker next time; its
     *     files are then cut before the first change too, and a merge that changes nothing leaves
     *     those it finished as orphans, never committed, for vacuum
     * @return an output as {@link #sortedOutput(long, boolean)}, not parallel
     */
    SortedOutput sortedOutput(long expectedRows, boolean parallel, boolean split) {
        return new SortedOutput(expectedRows, parallel, split);
    }

    /**
     * Rows sorted by key, written into files as they come instead of gathered first: a merge of one
     * file then holds its reader's and its writer's row groups, not the file's rows (a file of 1 MB
     * values was 16 rows of 1 MB each beside the merge's own, on each worker). Files are cut as
     * {@link #write(List, boolean)} cuts them: between keys only, about evenly by rows or bytes,
     * whichever sets their count; the total, unknown until the end, is projected from the rows
     * expected (which the caller refines as it goes) and the bytes of the rows so far (a file's rows
     * are alike in size, as a rule).
     *
     * <p>A merge that changes nothing keeps no file: until {@link #changed} says a row changed, the
     * first {@link #HOLD_ROWS} rows are held (a small file's merge then writes nothing at all), and
     * the rows after them go into one file, never cut, which an output closed without
     * {@link #finish} abandons (deletes), as it does whatever file it was writing. Rows are held no
     * longer than that because holding them makes them rows: a merge that touches only a file's last
     * keys (new orders, the common case) copied its other rows as rows.
     *
     * <p>What it holds is bounded by bytes too, as {@link #bytes(Row)} counts them: at most a quarter
     * of {@link #targetFileBytes} before the first change, and a whole {@code targetFileBytes} in a
     * parallel output, which writes its rows as they come past that. A file's size on disk does not
     * bound its rows' (a compacted file of 1 MB values that compress well held 80 of them in 13 MB),
     * and 256 such rows on each worker ran a 256 MiB heap out of memory.
     * One thread uses it.
     */
    final class SortedOutput implements AutoCloseable {
        private long expectedRows;
        private final boolean parallel;
        /** Whether files are cut for the workers, as {@link #sortedOutput(long, boolean, boolean)} says. */
        private final boolean split;
        private final int[] variable = variableWidth(columns.declared());
        private final long fixed = rowBytes(columns.declared().size())
                + FIXED_VALUE_BYTES * (columns.declared().size() - variable.length);
        private final Set<String> distinct = Set.copyOf(key.columns());
        private final List<Row> held = new ArrayList<>();
        /** The bytes of the rows held, as {@link #heap(Row)} counts them. */
        private long heldBytes;
        private final FileSequence files = new FileSequence(
                () -> table.newDataFile(columns.stored(), Map.of(), distinct));
        private boolean streaming;
        /** Whether {@link #changed} was called: files are cut only then, so an unchanged output is one file. */
        private boolean changed;
        /** The key of the row written last: files are cut between keys only. */
        private @Nullable Object lastKey;
        private boolean cutDue;
        private long fileRows;
        private long fileBytes;
        private long rows;
        private long bytes;
        /** Rows given to {@link #add}, held or written. */
        private long added;
        /** Where the file being written ends, by rows and bytes, as last projected. */
        private long perFile;
        private long perFileBytes;

        private SortedOutput(long expectedRows, boolean parallel, boolean split) {
            this.expectedRows = expectedRows;
            this.parallel = parallel;
            this.split = split;
        }

        /** @param rows about how many rows the output will hold, as projected from what came so far */
        void expect(long rows) {
            expectedRows = rows;
        }

        /** @return how many rows {@link #add} was given so far, written or held */
        long added() {
            return added;
        }

        /** Adds the next row; its key is the last one's or greater. */
        void add(Row row) {
            if (holds()) {
                hold(row);
            } else {
                put(row, key.of(row));
            }
        }

        /**
         * Counts the next row and says whether it is held rather than written; past what an output
         * holds, writes what it held and streams from now on.
         */
        private boolean holds() {
            added++;
            if (!streaming && (parallel ? heldBytes >= targetFileBytes
                    : held.size() >= HOLD_ROWS || heldBytes >= targetFileBytes / 4)) {
                stream();
            }
            return !streaming;
        }

        private void hold(Row row) {
            held.add(row);
            heldBytes += heap(row);
        }

        /**
         * Adds an input's current row as it is, the next in key order: copied into the file being
         * written where it can be, without becoming a row.
         *
         * @param rowKey its key, as {@link SortedInput#key} gave it
         */
        void copy(SortedInput in, @Nullable Object rowKey) {
            if (holds()) {
                hold(in.row());
                return;
            }
            beforeRow(rowKey);
            long b = in.copyTo(files.current());
            afterRow(rowKey, b < 0 ? writeRow(in.row()) : b);
        }

        /** A row changed: what is held is written, and every row from now on as it comes. */
        void changed() {
            changed = true;
            if (!streaming && !parallel) {
                stream();
            }
        }

        /** Writes what is held, and from now on every row as it comes. */
        private void stream() {
            streaming = true;
            for (int i = 0; i < held.size(); i++) {
                put(held.get(i), key.of(held.get(i)));
            }
            held.clear();
            heldBytes = 0;
        }

        private void put(Row row, @Nullable Object rowKey) {
            beforeRow(rowKey);
            afterRow(rowKey, writeRow(row));
        }

        /** Writes a row into the file being written; returns about the heap it takes. */
        private long writeRow(Row row) {
            files.current().write(columns.narrow(row));
            return heap(row);
        }

        /** @return about the heap a row takes, as {@link SilverFiles#bytes(Row)} counts it */
        private long heap(Row row) {
            return fixed + SilverFiles.bytes(row, variable);
        }

        /** Cuts the file before a row of another key, once the file is full. */
        private void beforeRow(@Nullable Object rowKey) {
            if (files.writing() && cutDue && (changed || split) && ValueOrder.NATURAL.compare(lastKey, rowKey) != 0) {
                files.cut();
            }
            if (!files.writing()) {
                fileRows = 0;
                fileBytes = 0;
                cutDue = false;
            }
        }

        /** Counts a row written, of about {@code b} bytes of heap, and sees whether the file is full. */
        private void afterRow(@Nullable Object rowKey, long b) {
            fileRows++;
            fileBytes += b;
            rows++;
            bytes += b;
            lastKey = rowKey;
            if (!cutDue) {
                if (fileRows < 64 || (fileRows & 63) == 0) {
                    // Not at every row of a large file: the projection moves slowly, and this is the
                    // merge's per-row path (a million rows a merge). A file of few rows, large ones,
                    // looks at every row.
                    project();
                }
                // Cut for the workers, the last file takes the rows past the projection (new keys
                // at the end) rather than a file of its own, however few.
                cutDue = (fileRows >= perFile && !(split && rows + perFile / 2 > Math.max(expectedRows, rows)))
                        || fileBytes >= perFileBytes;
            }
        }

        /** Sizes the files evenly for the rows and bytes projected from what came so far. */
        private void project() {
            long total = Math.max(expectedRows, rows);
            long totalBytes = (long) ((double) bytes / rows * total);
            long byRows = (total + targetFileRows - 1) / targetFileRows;
            long byBytes = (totalBytes + targetFileBytes - 1) / targetFileBytes;
            long count = Math.max(1, Math.max(byRows, byBytes));
            if (split && count < parallelFiles) {
                count = Math.max(count, Math.min(parallelFiles, total / MIN_PARALLEL_FILE_ROWS));
            }
            boolean bytesSetCount = byBytes == count && byBytes > byRows;
            perFile = bytesSetCount ? targetFileRows : (total + count - 1) / count;
            perFileBytes = bytesSetCount ? (totalBytes + count - 1) / count : targetFileBytes;
        }

        /** @return the files written; none if no row changed */
        List<DataFile> finish() {
            if (parallel && !streaming) {
                return write(held, true);
            }
            return files.finish();
        }

        /** Abandons the file being written, if {@link #finish} was not called. */
        @Override
        public void close() {
            files.close();
        }
    }

    /** @return the positions of the columns whose values vary in size: strings, binaries and maps */
    private static int[] variableWidth(Schema schema) {
        int[] positions = new int[schema.size()];
        int n = 0;
        for (int i = 0; i < schema.size(); i++) {
            switch (schema.field(i).type().kind()) {
                case STRING, BINARY, MAP -> positions[n++] = i;
                default -> {
                    // fixed width: counted as 8
                }
            }
        }
        return Arrays.copyOf(positions, n);
    }

    /** @return the bytes of the values at these positions, as {@link #bytes(Object)} counts them */
    private static long bytes(Row row, int[] positions) {
        long n = 0;
        for (int p : positions) {
            n += bytes(row.value(p));
        }
        return n;
    }

    /**
     * About what a row holds on the heap, as the merge holds a file's rows: the row and its array of
     * values, a string or binary by its length and its headers, a map by its entries, anything else
     * {@link #FIXED_VALUE_BYTES}. A walk over the row's values, without allocation.
     */
    static long bytes(Row row) {
        int columns = row.schema().size();
        long n = rowBytes(columns);
        for (int i = 0; i < columns; i++) {
            n += bytes(row.value(i));
        }
        return n;
    }

    /** The heap a fixed-width value takes, boxed: a Long, an Instant, a small BigDecimal. */
    static final long FIXED_VALUE_BYTES = 24;

    /** @return the heap of a row of this many columns, without its values: the row and its array */
    private static long rowBytes(int columns) {
        return 32 + 4L * columns;
    }

    private static long bytes(@Nullable Object v) {
        if (v instanceof String s) {
            return 40 + s.length(); // the String and its array; Latin-1 is one byte a character
        }
        if (v instanceof byte[] b) {
            return 16 + b.length;
        }
        if (v instanceof Map<?, ?> m) {
            long n = 48;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                n += 32 + bytes(e.getKey()) + bytes(e.getValue());
            }
            return n;
        }
        return FIXED_VALUE_BYTES;
    }
}
