package io.streamlake.core.silver;

import io.streamlake.event.RowChanges;
import static io.streamlake.merge.CdcStrategy.compareSequence;

import io.streamlake.core.util.Workers;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.CompositeSequence;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.TruncatingStrategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.ForwardingTable;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableSnapshot;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The truncates of a {@code latestBy} silver table ({@link TruncatingStrategy}, {@code withTruncates}): a truncate
 * record with sequence value {@code t} removes the rows whose sequence value is {@code <= t} and keeps
 * out every event with such a value, whenever it arrives.
 *
 * <p><b>One watermark, kept with the data.</b> The greatest truncate value seen (the watermark) is a
 * table property of silver, set in the same commit as the rows it removed and silver's progress
 * marker. Every batch reads it from the snapshot it starts from, so a batch replayed after a crash
 * starts from exactly the watermark the lost commit started from, and a restart keeps it. After every
 * commit silver holds no row at or below it, so only a batch that raises it looks at silver's files.
 * Because a batch drops its own events at or below the new watermark before merging (whether they
 * came before or after the truncate), and silver's older rows go in the same commit, silver depends
 * only on the events and not on their order or batching.
 *
 * <p><b>Cost follows the data.</b> A batch that raises the watermark removes the files whose
 * statistics say every row is at or below it without reading them, keeps those whose rows are all
 * above it untouched, and rewrites only the others. The batch's merge reads those through a view that
 * hides truncated rows; a file the merge rewrites anyway is rewritten once, by the merge, and the rest
 * are rewritten here, so one commit removes each file at most once and adds no file it removes.
 */
final class Truncation {
    private static final Logger LOG = LoggerFactory.getLogger(Truncation.class);

    /**
     * The table property naming the column the watermark is a value of; for several sequence
     * columns, their names as a JSON array ({@code ["commit_ts","change_no"]}).
     */
    static final String COLUMN_PROPERTY = "streamlake.silver.truncate.column";
    /** The table property holding the watermark, as text ({@link CompositeSequence#encode}). */
    static final String THROUGH_PROPERTY = "streamlake.silver.truncate.through";

    private final Table silver;
    /** The declared schema, of the batch's rows. */
    private final Schema schema;
    /** The stored schema, which silver's files are read and rewritten with. */
    private final Schema stored;
    private final MergeStrategy strategy;
    /** The {@code latestBy} strategy, null for another (no truncate can apply). */
    private final @Nullable TruncatingStrategy latest;
    /** The sequence columns as {@link #COLUMN_PROPERTY} records them, null when the strategy has none. */
    private final @Nullable String column;
    private final SilverMerger merger;
    private final Workers workers;

    /**
     * @param silver the silver table
     * @param columns its declared and stored schemas
     * @param strategy the pipeline's strategy; truncates apply to a {@code latestBy} one
     * @param merger the batch merger of silver
     */
    Truncation(Table silver, SilverColumns columns, MergeStrategy strategy, SilverMerger merger, Workers workers) {
        this.silver = silver;
        this.schema = columns.declared();
        this.stored = columns.stored();
        this.strategy = strategy;
        this.latest = strategy instanceof TruncatingStrategy s && !s.sequenceColumns().isEmpty() ? s : null;
        this.column = latest == null ? null : columnsText(latest.sequenceColumns());
        this.merger = merger;
        this.workers = workers;
    }

    /**
     * Refuses a table truncated by a strategy that cannot keep honouring the truncate: one that
     * orders events by another column or by arrival, or keeps SCD type 2 history. A pipeline without
     * {@code withTruncates} but with the same {@code latestBy} column keeps honouring it: the table was
     * emptied, and events older than that stay out.
     *
     * @param snapshot silver as read on start
     * @throws ConfigurationException if the table was truncated and the strategy cannot honour it
     */
    void refuseMismatch(TableSnapshot snapshot) {
        watermark(snapshot);
    }

    /**
     * Starts a batch: drops from {@code prepared} the events at or below the watermark the batch
     * brings silver to, and plans which of silver's files the truncate removes or rewrites.
     *
     * @param snapshot silver as the batch starts from
     * @param prepared the batch; its rows are filtered in place
     * @return the batch's truncation, which does nothing when there is no watermark
     */
    Batch begin(TableSnapshot snapshot, RecordPreparer.Prepared prepared) {
        Object stored = watermark(snapshot);
        Object incoming = prepared.truncateAt;
        boolean raises = compareSequence(incoming, stored) > 0;
        Object through = raises ? incoming : stored;
        if (through == null) {
            return new Batch(snapshot.files(), merger, null, null, List.of(), List.of(), 0);
        }
        long ignored = dropOlder(prepared, through);
        if (ignored > 0) {
            LOG.debug("{} events at or below the truncate watermark {} = {} of {} ignored", ignored, column, through,
                    silver.location());
        }
        if (!raises) {
            return new Batch(snapshot.files(), merger, null, null, List.of(), List.of(), 0);
        }
        boolean boundsAgree = boundsAgree(through);
        List<DataFile> kept = new ArrayList<>();
        List<DataFile> dropped = new ArrayList<>();
        List<DataFile> filtered = new ArrayList<>();
        long droppedRows = 0;
        for (DataFile f : snapshot.files()) {
            switch (boundsAgree ? fate(f, through) : Fate.FILTER) {
                case DROP -> {
                    dropped.add(f);
                    droppedRows += Math.max(0, f.rowCount());
                }
                case KEEP -> kept.add(f);
                case FILTER -> {
                    kept.add(f);
                    filtered.add(f);
                }
            }
        }
        LOG.info("truncating {} through {} = {}: {} files removed unread, {} to rewrite, {} kept", silver.location(),
                column, through, dropped.size(), filtered.size(), kept.size() - filtered.size());
        View view = filtered.isEmpty() ? null : new View(filtered, through);
        return new Batch(kept, view == null ? merger : merger.over(view), through, view, dropped, filtered,
                droppedRows);
    }

    /**
     * @return the recorded watermark, null for none
     * @throws ConfigurationException if it belongs to another column than the strategy's, or does not parse
     */
    private @Nullable Object watermark(TableSnapshot snapshot) {
        Map<String, String> properties = snapshot.properties();
        String recordedColumn = properties.get(COLUMN_PROPERTY);
        String through = properties.get(THROUGH_PROPERTY);
        if (recordedColumn == null || through == null) {
            return null;
        }
        if (!recordedColumn.equals(column)) {
            throw SilverErrors.truncatedByOtherSequence(silver.location(), recordedColumn, through, strategy, column);
        }
        List<DataType> types = Objects.requireNonNull(latest).sequenceTypes(schema);
        try {
            return CompositeSequence.decode(through, types);
        } catch (RuntimeException e) {
            throw SilverErrors.unreadableWatermark(silver.location(), through, THROUGH_PROPERTY, column, types, e);
        }
    }

    /** @return the sequence columns as {@link #COLUMN_PROPERTY} records them: one name as it is, several as a JSON array */
    private static String columnsText(List<String> columns) {
        return columns.size() == 1 ? columns.get(0) : CompositeSequence.of(columns).toString();
    }

    /** @return events removed: the batch's rows at or below the watermark (tombstones have no sequence and stay) */
    private long dropOlder(RecordPreparer.Prepared prepared, Object through) {
        List<Row> rows = prepared.rows;
        BitSet tombstones = prepared.tombstones;
        TruncatingStrategy s = Objects.requireNonNull(latest);
        return prepared.retain(i -> tombstones.get(i) || compareSequence(s.sequenceOf(rows.get(i)), through) > 0);
    }

    /** What a truncate does to a file. */
    private enum Fate {
        /** Every row is at or below the watermark: remove the file unread. */
        DROP,
        /** Every row is above it: leave the file alone. */
        KEEP,
        /** Some may be either: read it and keep the rows above. */
        FILTER
    }

    /**
     * Statistics are per column, so for several sequence columns only the first one's decide, by the
     * watermark's first component: a file whose first column is below it throughout is dropped, one
     * above it throughout is kept, and one that reaches it is read, since there the next column decides.
     */
    private Fate fate(DataFile f, Object through) {
        List<String> columns = Objects.requireNonNull(latest).sequenceColumns();
        String c = columns.get(0);
        Object first = CompositeSequence.component(through, 0);
        Object min = f.min(c).orElse(null);
        Object max = f.max(c).orElse(null);
        long nulls = f.nullCounts().getOrDefault(c, -1L);
        // A null sequence value is older than any other, so rows without one go too.
        boolean allNull = f.rowCount() >= 0 && nulls == f.rowCount();
        int top = max == null ? 1 : compareSequence(max, first);
        if (allNull || (max != null && (top < 0 || top == 0 && columns.size() == 1))) {
            return Fate.DROP;
        }
        boolean noNulls = columns.stream().allMatch(n -> f.nullCounts().getOrDefault(n, -1L) == 0);
        if (min != null && noNulls && compareSequence(min, first) > 0) {
            return Fate.KEEP;
        }
        return Fate.FILTER;
    }

    /**
     * Whether file statistics may be compared with this watermark. Statistics order values as
     * {@code latestBy} does (strings by code point too), except that they order -0.0 and 0.0 alike
     * while {@link Double#compareTo} does not, which matters only for a watermark of zero: then each
     * file is read. Only the first sequence column's statistics are compared ({@link #fate}).
     */
    private static boolean boundsAgree(Object through) {
        return !(CompositeSequence.component(through, 0) instanceof Double d) || d != 0.0;
    }

    /** One batch's truncation: the files its merge sees and what it adds to silver's commit. */
    final class Batch {
        private final List<DataFile> files;
        private final SilverMerger batchMerger;
        private final @Nullable Object raisedTo;
        private final @Nullable View view;
        private final List<DataFile> dropped;
        private final List<DataFile> filtered;
        private final long droppedRows;

        private Batch(List<DataFile> files, SilverMerger batchMerger, @Nullable Object raisedTo, @Nullable View view,
                List<DataFile> dropped, List<DataFile> filtered, long droppedRows) {
            this.files = files;
            this.batchMerger = batchMerger;
            this.raisedTo = raisedTo;
            this.view = view;
            this.dropped = dropped;
            this.filtered = filtered;
            this.droppedRows = droppedRows;
        }

        /** @return silver's files for the batch's merge: those the truncate does not remove unread */
        List<DataFile> files() {
            return files;
        }

        /** @return the merger for the batch, which does not see truncated rows */
        SilverMerger merger() {
            return batchMerger;
        }

        /**
         * @param merged what the batch's merge staged, over {@link #files()}
         * @return that, with the truncate's removes and rewrites added
         */
        SilverMerger.Result finish(SilverMerger.Result merged) {
            if (raisedTo == null) {
                return merged;
            }
            Set<String> rewritten = new HashSet<>();
            merged.removed().forEach(f -> rewritten.add(f.path()));
            List<DataFile> removed = new ArrayList<>(dropped);
            removed.addAll(merged.removed());
            List<DataFile> added = new ArrayList<>(merged.added());
            List<Supplier<@Nullable DataFile>> rewrites = new ArrayList<>();
            for (DataFile f : filtered) {
                if (!rewritten.contains(f.path())) {
                    removed.add(f);
                    rewrites.add(() -> rewrite(f));
                }
            }
            for (DataFile f : workers.all(rewrites)) {
                if (f != null) {
                    added.add(f);
                }
            }
            long hidden = view == null ? 0 : view.hidden();
            // rows a truncate removes are deleted keys
            return new SilverMerger.Result(removed, added,
                    merged.changes().plus(new RowChanges(0, 0, droppedRows + hidden)));
        }

        /** @return a file of the rows of {@code f} above the watermark, null when none is */
        private @Nullable DataFile rewrite(DataFile f) {
            // Stored rows as read are written back as they are: no need to widen them to the declared schema.
            Iterator<Row> rows = Objects.requireNonNull(view).read(f, stored);
            if (!rows.hasNext()) {
                return null;
            }
            // Rows stay in the file's order (by key, as written), so key ranges stay disjoint.
            try (DataFileWriter w = f.partitionValues().isEmpty() ? silver.newDataFile(stored)
                    : silver.newDataFile(stored, f.partitionValues())) {
                rows.forEachRemaining(w::write);
                return w.finish();
            }
        }

        /**
         * Records a raised watermark in the commit, which must be silver's commit of this batch.
         *
         * @return the commit
         */
        PendingCommit record(PendingCommit commit) {
            if (raisedTo != null) {
                commit.setProperties(Map.of(COLUMN_PROPERTY, Objects.requireNonNull(column),
                        THROUGH_PROPERTY, CompositeSequence.encode(raisedTo)));
            }
            return commit;
        }
    }

    /**
     * Silver as a truncate leaves it: the rows of the given files at or below the watermark are not
     * read. Everything else is silver's own. Counts the rows it hid, once per file.
     */
    private final class View extends ForwardingTable {
        private final Set<String> paths = new HashSet<>();
        private final Object through;
        private final Map<String, Long> hidden = new ConcurrentHashMap<>();

        View(List<DataFile> files, Object through) {
            super(silver);
            files.forEach(f -> paths.add(f.path()));
            this.through = through;
        }

        long hidden() {
            return hidden.values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public Iterator<Row> read(DataFile file, Schema s) {
            Iterator<Row> rows = super.read(file, s);
            return paths.contains(file.path()) ? new Above(file.path(), rows) : rows;
        }

        /** The rows above the watermark. */
        private final class Above implements Iterator<Row> {
            private final String path;
            private final Iterator<Row> rows;
            private @Nullable Row next;
            private long skipped;

            Above(String path, Iterator<Row> rows) {
                this.path = path;
                this.rows = rows;
            }

            @Override
            public boolean hasNext() {
                while (next == null && rows.hasNext()) {
                    Row r = rows.next();
                    if (compareSequence(Objects.requireNonNull(latest).sequenceOf(r), through) > 0) {
                        next = r;
                    } else {
                        skipped++;
                    }
                }
                if (next == null) {
                    hidden.put(path, skipped); // a file read twice hides the same rows twice: count them once
                }
                return next != null;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Row r = next;
                next = null;
                return r;
            }
        }
    }
}
