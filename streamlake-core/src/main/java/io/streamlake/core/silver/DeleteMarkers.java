package io.streamlake.core.silver;

import static io.streamlake.merge.CdcStrategy.compareSequence;

import io.streamlake.core.util.Tables;
import io.streamlake.core.util.Workers;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.ColumnSequenceStrategy;
import io.streamlake.merge.CompositeSequence;
import io.streamlake.merge.DeleteMarkerStrategy;
import io.streamlake.merge.HistoryStrategy;
import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delete markers of a {@code latestBy} or {@code scd2} silver table, kept in a Delta table of
 * their own, so that a late update older than a delete does not bring the key back (and, for SCD
 * type 2, a delete that arrives before the versions it ends still ends them) while plain Delta
 * readers of silver still see only live rows. A {@code latestBy} table has one row per recently
 * deleted key; an SCD type 2 table one row per recent delete, since a key's history can have several
 * gaps. For {@code latestBy(...).ignoreNullUpdates()} a key's row also keeps the sequence value
 * behind each column of its silver row that did not come with the row's newest event
 * ({@value #COLUMNS}), which never expires, so that partial updates resolve in any arrival order.
 *
 * <p><b>Exactly once without a two-table transaction.</b> A batch commits its marker changes
 * before silver, with the markers table's own progress marker. A crash between the two commits
 * leaves markers that already hold the batch while silver does not, and the batch is replayed. So
 * each marker row keeps the bronze version of the batch that wrote it and the marker it replaced:
 * a row written by a batch silver has not committed yet ({@code bronze_version} above silver's
 * progress marker) reads as the marker before it. The replay therefore starts from exactly the
 * state the lost batch started from, and a key the batch re-inserted (which cleared its marker) keeps
 * a row saying so until silver has caught up.
 *
 * <p>SCD type 2 delete markers need none of this: a key's deletes only grow (until they expire),
 * and {@link HistoryStrategy#mergeHistory(List, java.util.Collection, Row)} gives
 * the same history whether a delete comes before or after the other events. So a replay may start
 * from markers that already hold the lost batch's deletes, and its marker rows have no previous
 * values.
 *
 * <p>An SCD type 2 table also keeps here the events its versions absorbed
 * ({@link HistoryStrategy.History#absorbed()}): one row per event, marked by when
 * it was absorbed ({@value #ABSORBED_AT}), its sequence value in {@value #SEQUENCE} and its values in
 * columns {@value #EVENT_PREFIX} followed by the silver column's name. A key's absorbed events only
 * grow in a batch (a tombstone that removes the history clears them), and a row records the batch
 * that wrote it, so a replay reads only the rows of batches silver committed: the rows a lost batch
 * wrote are read as not there, and the replay writes the key's events again. They expire like
 * delete markers, a key's oldest first ({@link #expire}).
 *
 * <p><b>Time</b> is the source's: a batch's deletes are stamped with its latest record time, and a
 * marker older than the retention, measured from the latest record time seen, is ignored and later
 * expired (by {@link #expire}, which the engine runs with compaction). Replaying bronze sees the same
 * times, so it decides the same way.
 *
 * <p><b>Cost</b> follows the batch: markers are read from the files whose key range may hold the
 * batch's keys and merged with the same copy-on-write merger as silver.
 */
final class DeleteMarkers {
    private static final Logger LOG = LoggerFactory.getLogger(DeleteMarkers.class);

    static final String SEQUENCE = "delete_sequence";
    static final String DELETED_AT = "deleted_at";
    static final String VERSION = "bronze_version";
    static final String PREVIOUS_SEQUENCE = "previous_delete_sequence";
    static final String PREVIOUS_DELETED_AT = "previous_deleted_at";
    static final String COLUMNS = "column_sequences";
    static final String PREVIOUS_COLUMNS = "previous_column_sequences";
    /** When an SCD type 2 event became hidden beside silver: set on the rows of absorbed events only. */
    static final String ABSORBED_AT = "absorbed_at";
    /** Before each silver column's name, for an absorbed event's value of that column. */
    static final String EVENT_PREFIX = "event__";

    private final Table table;
    private final Schema schema;
    private final DeleteMarkerStrategy strategy;
    /** The strategy when it keeps sequence values beside silver, for a row or its columns; null otherwise. */
    private final @Nullable ColumnSequenceStrategy columnStrategy;
    /** The key of incoming and silver rows. */
    private final SilverKey keys;
    /** The same key's columns in marker rows. */
    private final SilverKey markerKeys;
    private final Duration retention;
    /** Whether marker rows also keep column sequences (partial updates, or the row's own). */
    private final boolean columns;
    /**
     * Whether silver leaves out a sequence column, so each key's row sequence is kept here, in the
     * column sequences under the name of the first sequence column (which never has a column
     * sequence of its own).
     */
    private final boolean rowSequences;
    /** The sequence columns' types, to read a stored sequence value back ({@link CompositeSequence#fromStored}). */
    private final List<DataType> sequenceTypes;
    private final String sequenceColumn;
    /** Whether rows also keep the events SCD type 2 versions absorbed ({@link HistoryStrategy.History#absorbed()}). */
    private final boolean history;
    private final Schema silverSchema;
    /** The silver columns an absorbed event keeps, each in a column {@value #EVENT_PREFIX} + its name. */
    private final List<String> eventColumns;
    private final String appId;
    private final SilverMerger merger;
    /** Latest source time seen by a committed batch: the clock markers expire by. */
    private volatile @Nullable Instant latestSeen;

    /**
     * What the markers table keeps of a key: its delete (the delete's sequence value and when it
     * happened), and for {@code latestBy(...).ignoreNullUpdates()} the sequence value behind each
     * column of its row ({@link ColumnSequenceStrategy#mergeColumns}); either may be absent.
     */
    record Marker(@Nullable Object sequence, @Nullable Instant deletedAt, Map<String, Object> columns) {
        Marker(@Nullable Object sequence, @Nullable Instant deletedAt) {
            this(sequence, deletedAt, Map.of());
        }

        /** @return the marker, or null when it holds nothing */
        static @Nullable Marker of(@Nullable Object sequence, @Nullable Instant deletedAt,
                Map<String, Object> columns) {
            return deletedAt == null && columns.isEmpty() ? null : new Marker(sequence, deletedAt, columns);
        }

        /** @return whether it holds a delete */
        boolean deletes() {
            return deletedAt != null;
        }
    }

    /** The state of a key while a batch folds: its silver row, or its marker, or neither. */
    private record Marked(@Nullable Row row, @Nullable Marker marker) {
    }

    DeleteMarkers(Table table, Schema silverSchema, List<String> keyColumns, DeleteMarkerStrategy strategy,
            String appId, long targetFileRows, Workers workers) {
        this.table = table;
        this.strategy = strategy;
        this.keys = SilverKey.of(silverSchema, keyColumns);
        this.retention = strategy.deleteRetention();
        this.appId = appId;
        this.columnStrategy = strategy instanceof ColumnSequenceStrategy c ? c : null;
        this.columns = columnStrategy != null
                && (columnStrategy.tracksColumnSequences() || columnStrategy.keepsRowSequences());
        this.rowSequences = columnStrategy != null && columnStrategy.keepsRowSequences();
        this.sequenceColumn = strategy.sequenceColumns().get(0);
        this.sequenceTypes = strategy.sequenceTypes(silverSchema);
        this.history = strategy instanceof HistoryStrategy;
        this.silverSchema = silverSchema;
        this.eventColumns = history ? eventColumns(silverSchema, keyColumns) : List.of();
        this.schema = schema(silverSchema, keyColumns, CompositeSequence.storedType(sequenceTypes), columns, history);
        this.markerKeys = keys.in(schema);
        this.merger = new SilverMerger(table, schema, keyColumns, MergeStrategies.lastWins(), targetFileRows, workers);
    }

    /**
     * The markers table's columns: the silver key, the marker, and the marker it replaced; with
     * {@code columns}, the column sequences of both too; with {@code history}, when an absorbed event
     * became hidden and its values ({@value #EVENT_PREFIX} and the silver column's name), null on
     * the rows of deletes.
     *
     * @param seqType the type that keeps a sequence value: the sequence column's, or STRING for a
     *     composite value's text ({@link CompositeSequence#storedType})
     */
    static Schema schema(Schema silver, List<String> keyColumns, DataType seqType, boolean columns,
            boolean history) {
        Schema.Builder b = Schema.builder();
        List<String> events = history ? eventColumns(silver, keyColumns) : List.of();
        for (String key : keyColumns) {
            if (List.of(SEQUENCE, DELETED_AT, VERSION, PREVIOUS_SEQUENCE, PREVIOUS_DELETED_AT, COLUMNS,
                    PREVIOUS_COLUMNS,
                    ABSORBED_AT).contains(key) || events.stream().anyMatch(c -> key.equals(EVENT_PREFIX + c))) {
                throw SilverErrors.keyNamesAMarkerColumn(key);
            }
            b.required(key, silver.field(key).orElseThrow().type());
        }
        b.optional(SEQUENCE, seqType)
                .optional(DELETED_AT, DataType.TIMESTAMP)
                .required(VERSION, DataType.LONG)
                .optional(PREVIOUS_SEQUENCE, seqType)
                .optional(PREVIOUS_DELETED_AT, DataType.TIMESTAMP);
        if (columns) {
            b.optional(COLUMNS, DataType.map(seqType)).optional(PREVIOUS_COLUMNS, DataType.map(seqType));
        }
        if (history) {
            b.optional(ABSORBED_AT, DataType.TIMESTAMP);
            for (String c : events) {
                b.optional(EVENT_PREFIX + c, silver.field(c).orElseThrow().type());
            }
        }
        return b.build();
    }

    /**
     * @return the declared silver columns an absorbed event keeps: all but the key's (the marker
     *     row's own) and the validity columns. Declared, not stored, so that the markers table's
     *     columns only grow as silver's declared schema does.
     */
    private static List<String> eventColumns(Schema silver, List<String> keyColumns) {
        List<String> out = new ArrayList<>();
        for (Field f : silver.fields()) {
            if (!keyColumns.contains(f.name()) && !f.name().equals(HistoryStrategy.START_AT)
                    && !f.name().equals(HistoryStrategy.END_AT)) {
                out.add(f.name());
            }
        }
        return out;
    }

    Table table() {
        return table;
    }

    /**
     * Starts a batch: reads the markers of its keys as they were when silver consumed
     * {@code consumed}.
     *
     * @param incoming the batch's rows
     * @param tombstones which of them are tombstones
     * @param consumed silver's progress marker the batch starts from
     * @param now the batch's latest source time
     * @return the batch, or null when neither a delete nor a marker touches it (the plain merge applies)
     */
    @Nullable
    Batch<?> begin(List<Row> incoming, BitSet tombstones, long consumed, Instant now) {
        TableSnapshot snapshot = snapshot();
        // a tombstone deletes one row per key and leaves a marker; history forgets the key's whole history
        boolean deletes = !tombstones.isEmpty() && !history;
        for (int i = 0; i < incoming.size() && !deletes; i++) {
            deletes = !tombstones.get(i) && isDelete(incoming.get(i));
        }
        if (strategy instanceof HistoryStrategy h && snapshot.files().isEmpty()) {
            // nothing remembered yet, but the batch may absorb events or delete: it costs no I/O
            return new HistoryBatch(h, snapshot, Map.of(), Map.of(), now);
        }
        if (!deletes && !columns && snapshot.files().isEmpty()) {
            return null; // the common case costs no I/O
        }
        Set<Object> batchKeys = new HashSet<>();
        for (Row r : incoming) {
            batchKeys.add(keys.of(r));
        }
        Map<Object, List<Row>> stored = merger.lookup(snapshot.files(), batchKeys);
        Instant cutoff = now.minus(retention);
        if (strategy instanceof HistoryStrategy h) {
            Map<Object, List<Object>> live = new HashMap<>();
            Map<Object, List<Row>> hidden = new HashMap<>();
            for (Map.Entry<Object, List<Row>> e : stored.entrySet()) {
                for (Row stored1 : e.getValue()) {
                    Row r = widen(stored1);
                    Instant at = (Instant) r.value(DELETED_AT);
                    if (at != null && !at.isBefore(cutoff)) {
                        live.computeIfAbsent(e.getKey(), k -> new ArrayList<>(1)).add(markerSequence(r, SEQUENCE));
                    } else if (r.value(ABSORBED_AT) != null && version(r) <= consumed) {
                        // An absorbed event a batch silver has not committed is not there yet: a
                        // replay after a crash starts from exactly what the lost batch started from.
                        hidden.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(r);
                    }
                }
            }
            return new HistoryBatch(h, snapshot, live, hidden, now);
        }
        Map<Object, Row> last = new HashMap<>();
        Map<Object, Marker> live = new HashMap<>();
        for (Map.Entry<Object, List<Row>> e : stored.entrySet()) {
            Row r = e.getValue().get(e.getValue().size() - 1);
            last.put(e.getKey(), r);
            Marker m = asOf(r, consumed);
            if (m != null && m.deletes() && m.deletedAt().isBefore(cutoff)) {
                m = Marker.of(null, null, m.columns()); // the delete expired; the column sequences never do
            }
            if (m != null) {
                live.put(e.getKey(), m);
            }
        }
        if (!deletes && !columns && live.isEmpty()
                && last.values().stream().allMatch(r -> version(r) <= consumed)) {
            return null;
        }
        return new Batch1(snapshot, last, live, consumed, now);
    }

    /** A predicate that throws here throws again in the merge, which leaves the row out and quarantines it. */
    private boolean isDelete(Row row) {
        try {
            return strategy.isDelete(row);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** @return the row's marker as of silver's progress {@code consumed}, null for none */
    private @Nullable Marker asOf(Row r, long consumed) {
        boolean committed = version(r) <= consumed;
        Instant at = (Instant) r.value(committed ? DELETED_AT : PREVIOUS_DELETED_AT);
        Map<String, Object> sequences = columnsOf(r, committed ? COLUMNS : PREVIOUS_COLUMNS);
        if (sequenceTypes.size() > 1 && !sequences.isEmpty()) {
            Map<String, Object> read = new HashMap<>();
            sequences.forEach((c, v) -> read.put(c, read(v)));
            sequences = read;
        }
        return Marker.of(at == null ? null : markerSequence(r, committed ? SEQUENCE : PREVIOUS_SEQUENCE), at,
                sequences);
    }

    /** @return the sequence value a marker row keeps in this column (one of the sequence columns' types, or a composite's text) */
    private @Nullable Object markerSequence(Row r, String column) {
        return read(r.value(column));
    }

    /** @return a sequence value as the markers table keeps it, read back */
    private @Nullable Object read(@Nullable Object stored) {
        try {
            return CompositeSequence.fromStored(stored, sequenceTypes);
        } catch (IllegalArgumentException e) {
            throw otherSequence(DataType.STRING, e);
        }
    }

    /** @return column sequences as the markers table keeps them: composite values as their text */
    private @Nullable Map<String, Object> stored(@Nullable Marker m) {
        if (m == null || m.columns().isEmpty()) {
            return null;
        }
        if (sequenceTypes.size() == 1) {
            return m.columns(); // one column's values are kept as they are
        }
        Map<String, Object> out = new HashMap<>();
        m.columns().forEach((c, v) -> out.put(c, Objects.requireNonNull(CompositeSequence.toStored(v))));
        return out;
    }

    /**
     * The markers table as it is now, checked to keep sequence values of this strategy's type: a
     * table written for other sequence columns holds values this one cannot read or compare. An INT
     * column read as LONG is the one change that fits (a sequence column widened from INT to LONG).
     */
    private TableSnapshot snapshot() {
        TableSnapshot snapshot = table.snapshot();
        DataType kept = snapshot.schema().flatMap(t -> t.field(SEQUENCE)).map(f -> f.type()).orElse(null);
        DataType wanted = schema.require(SEQUENCE).type();
        if (kept != null && !kept.equals(wanted) && !(kept.equals(DataType.INT) && wanted.equals(DataType.LONG))) {
            throw otherSequence(kept, null);
        }
        return snapshot;
    }

    private ConfigurationException otherSequence(DataType kept, @Nullable Exception cause) {
        return SilverErrors.markersOfOtherSequence(table.location(), kept, cause, strategy, strategy.sequenceColumns(),
                schema.require(SEQUENCE).type(), sequenceTypes.size() > 1);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> columnsOf(Row r, String column) {
        Object v = columns ? r.value(column) : null;
        return v == null ? Map.of() : (Map<String, Object>) v;
    }

    private static long version(Row r) {
        return (Long) Objects.requireNonNull(r.value(VERSION));
    }

    /** Called after silver committed a batch: markers expire by the latest source time committed. */
    void committed(Instant batchTime) {
        Instant seen = latestSeen;
        if (seen == null || batchTime.isAfter(seen)) {
            latestSeen = batchTime;
        }
    }

    /**
     * Removes markers older than the retention, and rows of re-inserted keys that silver has caught
     * up with. Reads only files whose statistics say they hold such rows.
     *
     * @param consumed silver's progress marker now: rows of later batches are kept
     * @return markers removed
     */
    long expire(long consumed) {
        Instant seen = latestSeen;
        TableSnapshot snapshot = snapshot();
        if (seen == null || snapshot.files().isEmpty()) {
            return 0;
        }
        Instant cutoff = seen.minus(retention);
        PendingCommit commit = table.newCommit();
        long removed = 0;
        boolean changed = false;
        for (DataFile f : snapshot.files()) {
            if (history) {
                if (!mayHoldBefore(f, DELETED_AT, cutoff) && !mayHoldBefore(f, ABSORBED_AT, cutoff)) {
                    continue;
                }
                List<Row> keep = expireHistory(f, consumed, cutoff);
                if (keep.size() < f.rowCount()) {
                    commit.remove(f);
                    if (!keep.isEmpty()) {
                        commit.add(Tables.writeFile(table, schema, keep));
                    }
                    removed += f.rowCount() - keep.size();
                    changed = true;
                }
                continue;
            }
            boolean allCommitted = f.max(VERSION).map(v -> (Long) v <= consumed).orElse(false);
            boolean oldOrCleared = f.min(DELETED_AT).map(m -> ((Instant) m).isBefore(cutoff)).orElse(true)
                    || f.nullCounts().getOrDefault(DELETED_AT, 1L) > 0;
            if (!oldOrCleared) {
                continue;
            }
            if (allCommitted && !columns && f.max(DELETED_AT).map(m -> ((Instant) m).isBefore(cutoff)).orElse(false)
                    && f.nullCounts().getOrDefault(DELETED_AT, 1L) == 0) {
                commit.remove(f); // every marker in it expired: no need to read it
                removed += f.rowCount();
                changed = true;
                continue;
            }
            List<Row> keep = new ArrayList<>();
            boolean trimmed = false;
            Iterator<Row> rows = table.read(f, schema);
            while (rows.hasNext()) {
                Row r = rows.next();
                Instant at = (Instant) r.value(DELETED_AT);
                if (version(r) > consumed || (at != null && !at.isBefore(cutoff))) {
                    keep.add(r);
                } else if (!columnsOf(r, COLUMNS).isEmpty()) {
                    // the delete expired (or there is none); the column sequences never do
                    trimmed |= at != null;
                    keep.add(at == null ? r : r.with(SEQUENCE, null).with(DELETED_AT, null));
                }
            }
            if (keep.size() < f.rowCount() || trimmed) {
                commit.remove(f);
                if (!keep.isEmpty()) {
                    commit.add(Tables.writeFile(table, schema, keep));
                }
                removed += f.rowCount() - keep.size();
                changed = true;
            }
        }
        if (!changed) {
            return 0;
        }
        // Fence: a batch that moved the markers in the meantime wins, and this waits for the next round.
        commit.expectTransaction(appId, snapshot.transaction(appId).orElse(-1)).commit("DELETE");
        LOG.info("expired {} delete markers older than {} from {}", removed, cutoff, table.location());
        return removed;
    }

    /** @return whether the file may hold a value of the column before the cutoff (it does when its statistics do not say) */
    private static boolean mayHoldBefore(DataFile f, String column, Instant cutoff) {
        Optional<Object> min = f.min(column);
        if (min.isPresent()) {
            return ((Instant) min.get()).isBefore(cutoff);
        }
        Long nulls = f.nullCounts().get(column);
        return nulls == null || nulls < f.rowCount(); // all null: nothing there to expire
    }

    /**
     * The rows of an SCD type 2 markers file that stay: deletes within the retention, and of each
     * key's absorbed events those above the newest one past the retention. Forgetting in sequence
     * order keeps what is known of a key a suffix of its events: every event after the newest
     * forgotten one is still known, so a late event among them is still placed exactly, and one
     * among forgotten events splits its version as before the events were kept. Rows of batches
     * silver has not committed stay.
     */
    private List<Row> expireHistory(DataFile f, long consumed, Instant cutoff) {
        List<Row> rows = new ArrayList<>();
        Iterator<Row> it = table.read(f, schema);
        while (it.hasNext()) {
            rows.add(widen(it.next()));
        }
        Map<Object, Object> forgetUpTo = new HashMap<>();
        for (Row r : rows) {
            Instant absorbed = (Instant) r.value(ABSORBED_AT);
            if (absorbed != null && version(r) <= consumed && absorbed.isBefore(cutoff)) {
                forgetUpTo.merge(markerKeys.of(r), markerSequence(r, SEQUENCE),
                        (a, b) -> compareSequence(a, b) >= 0 ? a : b);
            }
        }
        List<Row> keep = new ArrayList<>(rows.size());
        for (Row r : rows) {
            Instant at = (Instant) r.value(DELETED_AT);
            boolean stays;
            if (version(r) > consumed) {
                stays = true;
            } else if (r.value(ABSORBED_AT) != null) {
                Object upTo = forgetUpTo.get(markerKeys.of(r));
                stays = upTo == null || compareSequence(markerSequence(r, SEQUENCE), upTo) > 0;
            } else {
                stays = at != null && !at.isBefore(cutoff);
            }
            if (stays) {
                keep.add(r);
            }
        }
        return keep;
    }

    /**
     * One batch's markers, as the fold that merges the batch into silver: what the batch starts from
     * and, once the merge settled each key, what it commits.
     *
     * @param <S> a key's state while the batch folds
     */
    interface Batch<S> extends SilverMerger.KeyFold<S> {
        /**
         * Commits the markers the batch changed, before silver's commit, with the markers table's
         * progress marker.
         *
         * @param upTo the bronze version the batch brings silver to
         */
        void commit(long upTo);
    }

    /** One {@code latestBy} batch: a key's state is its row, or its marker, or both. */
    private final class Batch1 implements Batch<Object> {
        private final TableSnapshot snapshot;
        private final Map<Object, Row> stored;
        private final Map<Object, Marker> live;
        private final long consumed;
        private final Instant now;
        private final Map<Object, Optional<Marker>> settled = new ConcurrentHashMap<>();

        private Batch1(TableSnapshot snapshot, Map<Object, Row> stored, Map<Object, Marker> live, long consumed,
                Instant now) {
            this.snapshot = snapshot;
            this.stored = stored;
            this.live = live;
            this.consumed = consumed;
            this.now = now;
        }

        @Override
        public Object load(@Nullable Object state, Row stored) {
            return stored;
        }

        @Override
        public @Nullable Object apply(Object key, @Nullable Object state, Row incoming, boolean tombstone) {
            if (!rowSequences) {
                return fold(key, state, incoming, tombstone);
            }
            // silver leaves the sequence column out: the strategy sees the row with the value kept here
            Row stored = rowOf(state);
            Marker kept = state instanceof Marked m ? m.marker() : live.get(key);
            Row row = stored;
            Object sequence = kept == null ? null : kept.columns().get(sequenceColumn);
            if (row != null && sequence != null) {
                row = Objects.requireNonNull(columnStrategy).withKeptSequence(row, sequence);
            }
            Object result = fold(key, row == stored ? state : state instanceof Marked m ? new Marked(row, m.marker())
                    : row, incoming, tombstone);
            Row after = rowOf(result);
            if (after == row) {
                return row == stored ? result : state(key, stored, markerOf(key, result)); // unchanged
            }
            Marker m = markerOf(key, result);
            Map<String, Object> columns = new HashMap<>(m == null ? Map.of() : m.columns());
            if (after != null) {
                columns.put(sequenceColumn, Objects.requireNonNull(strategy.sequenceOf(after)));
            } else {
                columns.remove(sequenceColumn);
            }
            return state(key, after, Marker.of(m == null ? null : m.sequence(), m == null ? null : m.deletedAt(),
                    columns));
        }

        private @Nullable Marker markerOf(Object key, @Nullable Object state) {
            return state instanceof Marked m ? m.marker() : live.get(key);
        }

        private @Nullable Object fold(Object key, @Nullable Object state, Row incoming, boolean tombstone) {
            Row row;
            Marker marker;
            if (state instanceof Marked m) {
                row = m.row();
                marker = m.marker();
            } else {
                row = (Row) state;
                marker = live.get(key);
            }
            if (tombstone) {
                MergeDecision d = strategy.onTombstone(row, incoming);
                return switch (d.kind()) {
                    case KEEP -> state(key, row, marker);
                    // A tombstone has no sequence value: it deletes what it saw, so it is as new as the row.
                    case DELETE -> state(key, null, row == null ? marker : new Marker(strategy.sequenceOf(row), now));
                    case UPSERT -> state(key, SilverMerger.checkKey(key, d.row(), keys, strategy), null);
                };
            }
            Object sequence = strategy.sequenceOf(incoming);
            boolean delete = strategy.isDelete(incoming);
            if (!delete && marker != null && marker.deletes() && compareSequence(sequence, marker.sequence()) <= 0) {
                return state(key, row, marker); // older than the delete: it must not bring the key back
            }
            if (columnStrategy != null && columnStrategy.tracksColumnSequences()) {
                return mergeColumns(key, row, marker, incoming, sequence, delete);
            }
            MergeDecision d = strategy.merge(row, incoming);
            return switch (d.kind()) {
                case UPSERT -> state(key, SilverMerger.checkKey(key, d.row(), keys, strategy), null);
                case DELETE -> state(key, null, new Marker(sequence, now));
                case KEEP ->
                    delete && row == null && (marker == null || compareSequence(sequence, marker.sequence()) >= 0)
                            // a delete of a key silver does not hold: remembered, so the insert it overtook stays out
                            ? state(key, null, new Marker(sequence, now))
                            : state(key, row, marker);
            };
        }

        /**
         * Partial updates: every delete leaves a marker, also one older than the row (which only
         * empties columns), and the row carries its column sequences in the marker.
         */
        private @Nullable Object mergeColumns(Object key, @Nullable Row row, @Nullable Marker marker, Row incoming,
                Object sequence, boolean delete) {
            Marker deleted = marker;
            if (delete && (marker == null || !marker.deletes() || compareSequence(sequence, marker.sequence()) > 0)) {
                deleted = new Marker(sequence, now, marker == null ? Map.of() : marker.columns());
            }
            if (row == null && delete) {
                return state(key, null, Marker.of(deleted.sequence(), deleted.deletedAt(), Map.of()));
            }
            ColumnSequenceStrategy.PartialRow p = Objects.requireNonNull(columnStrategy).mergeColumns(row,
                    marker == null ? Map.of() : marker.columns(), incoming);
            Row merged = p.row() == null ? null : SilverMerger.checkKey(key, p.row(), keys, strategy);
            return state(key, merged, deleted == null ? Marker.of(null, null, p.sequences())
                    : Marker.of(deleted.sequence(), deleted.deletedAt(), merged == null ? Map.of() : p.sequences()));
        }

        /**
         * A bare row (or null) stands for "the marker the batch started from", so the common case, a
         * key that never had a marker, costs no wrapper per event.
         */
        private @Nullable Object state(Object key, @Nullable Row row, @Nullable Marker marker) {
            return Objects.equals(marker, live.get(key)) ? row : new Marked(row, marker);
        }

        @Override
        public void emit(Object state, List<Row> out) {
            Row row = rowOf(state);
            if (row != null) {
                out.add(row);
            }
        }

        @Override
        public boolean sameRows(@Nullable Object a, @Nullable Object b) {
            return Objects.equals(rowOf(a), rowOf(b));
        }

        @Override
        public void settled(Object key, @Nullable Object state) {
            Marker m = state instanceof Marked k ? k.marker() : live.get(key);
            if (m == null && !live.containsKey(key) && !stored.containsKey(key)) {
                return; // no marker before or after, and no row of it in the markers table: nothing to commit
            }
            settled.put(key, Optional.ofNullable(m));
        }

        private static @Nullable Row rowOf(@Nullable Object state) {
            return state instanceof Marked m ? m.row() : (Row) state;
        }

        /**
         * Each row records the batch's bronze version and the marker it replaced, so a replay after
         * a crash starts from the same markers.
         */
        @Override
        public void commit(long upTo) {
            List<Row> rows = new ArrayList<>();
            BitSet removals = new BitSet();
            for (Map.Entry<Object, Optional<Marker>> e : settled.entrySet()) {
                Object key = e.getKey();
                Marker after = e.getValue().orElse(null);
                Marker before = live.get(key);
                Row old = stored.get(key);
                if (after == null && before == null) {
                    if (old != null) {
                        removals.set(rows.size());
                        rows.add(markerKeys.set(Row.builder(schema), key).set(VERSION, upTo).build());
                    }
                } else if (old == null || version(old) > consumed || !Objects.equals(after, before)) {
                    Row.Builder b = markerKeys.set(Row.builder(schema), key)
                            .set(SEQUENCE, after == null ? null : CompositeSequence.toStored(after.sequence()))
                            .set(DELETED_AT, after == null ? null : after.deletedAt())
                            .set(VERSION, upTo)
                            .set(PREVIOUS_SEQUENCE,
                                    before == null ? null : CompositeSequence.toStored(before.sequence()))
                            .set(PREVIOUS_DELETED_AT, before == null ? null : before.deletedAt());
                    if (columns) {
                        b.set(COLUMNS, stored(after)).set(PREVIOUS_COLUMNS, stored(before));
                    }
                    rows.add(b.build());
                }
            }
            if (!rows.isEmpty()) {
                commitRows(snapshot, upTo, files -> merger.merge(files, rows, removals));
            }
        }
    }

    /**
     * One SCD type 2 batch: the exact history fold, starting each key from the deletes its markers
     * remember and the events its versions absorbed, adding a marker row for each delete the batch
     * brings and replacing the key's absorbed events when they changed.
     */
    private final class HistoryBatch extends HistoryFold implements Batch<HistoryFold.Versions> {
        private final TableSnapshot snapshot;
        private final Map<Object, List<Object>> live;
        /** Each key's rows of absorbed events, as silver's progress marker has committed them. */
        private final Map<Object, List<Row>> hidden;
        private final Instant now;
        private final Map<Object, List<Object>> added = new ConcurrentHashMap<>();
        /** The absorbed events of the keys whose events changed, as the batch leaves them. */
        private final Map<Object, List<Row>> absorbedAfter = new ConcurrentHashMap<>();

        private HistoryBatch(HistoryStrategy strategy, TableSnapshot snapshot, Map<Object, List<Object>> live,
                Map<Object, List<Row>> hidden, Instant now) {
            super(strategy, keys);
            this.snapshot = snapshot;
            this.live = live;
            this.hidden = hidden;
            this.now = now;
        }

        @Override
        List<Object> markers(Object key) {
            return live.getOrDefault(key, List.of());
        }

        @Override
        List<Row> absorbed(Object key) {
            List<Row> rows = hidden.get(key);
            if (rows == null) {
                return List.of();
            }
            List<Row> events = new ArrayList<>(rows.size());
            for (Row r : rows) {
                events.add(event(key, r));
            }
            return events;
        }

        @Override
        boolean exact() {
            return true;
        }

        @Override
        public void settled(Object key, @Nullable Versions state) {
            List<Object> before = markers(key);
            if (state != null && state.deletes().size() > before.size()) {
                // The fold only appends, so the batch's deletes are the tail.
                added.put(key, List.copyOf(state.deletes().subList(before.size(), state.deletes().size())));
            }
            // Absorbed events only grow, unless a tombstone cleared them.
            if (state != null && (state.cleared()
                    || state.absorbed().size() != hidden.getOrDefault(key, List.of()).size())) {
                absorbedAfter.put(key, state.absorbed());
            }
        }

        @Override
        public void commit(long upTo) {
            Set<Object> changed = new HashSet<>(added.keySet());
            changed.addAll(absorbedAfter.keySet());
            List<Row> triggers = new ArrayList<>(changed.size());
            for (Object key : changed) {
                triggers.add(markerKeys.set(Row.builder(schema), key).set(VERSION, upTo).build());
            }
            if (!triggers.isEmpty()) {
                commitRows(snapshot, upTo, files -> merger.merge(new HistoryRows(upTo), files, triggers, new BitSet()));
            }
        }

        /** An absorbed event as the strategy sees it, from its marker row. */
        private Row event(Object key, Row marker) {
            Row.Builder b = keys.set(Row.builder(silverSchema), key);
            for (String c : eventColumns) {
                b.set(c, marker.value(EVENT_PREFIX + c));
            }
            Row event = b.build();
            // the validity of an absorbed event, as HistoryStrategy.History#absorbed() says
            return event.with(HistoryStrategy.START_AT, CompositeSequence.toStored(sequence(event)));
        }

        /** An absorbed event's marker row, written by this batch. */
        private Row marker(Object key, Row event, long upTo) {
            Row.Builder b =
                    markerKeys.set(Row.builder(schema), key).set(SEQUENCE, CompositeSequence.toStored(sequence(event)))
                            .set(ABSORBED_AT, now).set(VERSION, upTo);
            for (String c : eventColumns) {
                b.set(EVENT_PREFIX + c, event.value(c));
            }
            return b.build();
        }

        /**
         * A key's marker rows after the batch: its delete rows and the batch's new deletes, and its
         * absorbed events, which keep the rows (and times) they were written with.
         */
        private final class HistoryRows implements SilverMerger.KeyFold<List<Row>> {
            private final long upTo;

            HistoryRows(long upTo) {
                this.upTo = upTo;
            }

            @Override
            public List<Row> load(@Nullable List<Row> state, Row stored) {
                List<Row> rows = state == null ? new ArrayList<>(1) : state;
                rows.add(widen(stored));
                return rows;
            }

            @Override
            public List<Row> apply(Object key, @Nullable List<Row> state, Row trigger, boolean tombstone) {
                List<Row> stored = state == null ? List.of() : state;
                List<Row> deletes = new ArrayList<>();
                List<Row> events = new ArrayList<>();
                for (Row r : stored) {
                    (r.value(ABSORBED_AT) == null ? deletes : events).add(r);
                }
                for (Object sequence : added.getOrDefault(key, List.of())) {
                    if (deletes.stream().noneMatch(r -> compareSequence(markerSequence(r, SEQUENCE), sequence) == 0)) {
                        deletes.add(markerKeys.set(Row.builder(schema), key)
                                .set(SEQUENCE, CompositeSequence.toStored(sequence))
                                .set(DELETED_AT, now).set(VERSION, upTo).build());
                    }
                }
                List<Row> after = absorbedAfter.get(key);
                if (after != null) {
                    Map<Row, Row> kept = new HashMap<>();
                    for (Row r : hidden.getOrDefault(key, List.of())) {
                        kept.put(event(key, r), r);
                    }
                    events = new ArrayList<>(after.size());
                    for (Row event : after) {
                        Row row = kept.get(event);
                        events.add(row != null ? row : marker(key, event, upTo));
                    }
                }
                deletes.sort((a, b) -> compareSequence(markerSequence(a, SEQUENCE), markerSequence(b, SEQUENCE)));
                events.sort((a, b) -> compareSequence(markerSequence(a, SEQUENCE), markerSequence(b, SEQUENCE)));
                List<Row> rows = new ArrayList<>(deletes.size() + events.size());
                rows.addAll(deletes);
                rows.addAll(events);
                return rows;
            }

            @Override
            public void emit(List<Row> state, List<Row> out) {
                out.addAll(state);
            }
        }
    }

    /** @return a marker row with the markers table's current columns (a table may return rows as written) */
    private Row widen(Row r) {
        if (r.schema().equals(schema)) {
            return r;
        }
        Row.Builder b = Row.builder(schema);
        for (int i = 0; i < schema.size(); i++) {
            int from = r.schema().indexOf(schema.field(i).name());
            if (from >= 0) {
                b.set(i, r.value(from));
            }
        }
        return b.build();
    }

    /**
     * Merges marker rows into the markers table and commits them with the markers table's progress
     * marker, fenced on the progress the batch started from: a batch that another instance
     * committed in the meantime wins, and this one is retried from silver's new marker.
     */
    private void commitRows(TableSnapshot snapshot, long upTo, Function<List<DataFile>, SilverMerger.Result> merge) {
        TableSnapshot s = snapshot;
        if (s.version() < 0 || s.schema().map(t -> schema.fields().stream().anyMatch(f -> t.indexOf(f.name()) < 0))
                .orElse(true)) {
            // a table written before partial updates kept column sequences, or before SCD type 2 kept
            // absorbed events (or silver declared more columns), gains the columns
            s = table.create(schema);
        }
        merge.apply(s.files()).stage(table).expectTransaction(appId, snapshot.transaction(appId).orElse(-1))
                .setTransaction(appId, upTo).commit("MERGE");
    }

}
