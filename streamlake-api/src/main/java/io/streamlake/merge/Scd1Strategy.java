package io.streamlake.merge;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * One row per key (slowly changing dimension type 1): the built-ins
 * {@link MergeStrategies#latestBy}, {@link MergeStrategies#firstWins()} and
 * {@link MergeStrategies#lastWins()}, with the options of {@link CdcStrategy}.
 *
 * <pre>{@code
 * Scd1Strategy strategy = MergeStrategies.latestBy("updated_at")
 *     .withDeletes(r -> "DELETE".equals(r.string("op")))
 *     .dropColumns("op");
 * strategy.merge(current, incoming); // pure: try it in a unit test
 * }</pre>
 *
 * <h2>Deletes</h2>
 * A delete event deletes the key when it is not older than the current row: with
 * {@code latestBy}, when its sequence value is greater than or equal to the current row's (an older
 * delete must not delete a newer row); with {@code firstWins} and {@code lastWins}, which have no
 * sequence, always. A delete for a key that silver does not hold changes nothing.
 *
 * <h2>Equal sequence values</h2>
 * With {@code latestBy}, the result never depends on the order in which events with one sequence
 * value arrive: a delete wins over an update with the same value (it deletes the row, and its marker
 * keeps the update out), and of two updates with the same value, the one whose stored values are
 * greater stays, comparing column by column in schema order, null first.
 *
 * <h2>Delete markers</h2>
 * Once a key is deleted nothing of it is left in silver, so an update that arrives after the delete
 * but carries an older sequence value would bring the key back. {@code latestBy} therefore keeps a
 * <em>delete marker</em> (the key, the delete's sequence value and when it was deleted) for
 * {@linkplain #keepDeletesFor a retention}, {@value CdcStrategy#DEFAULT_DELETE_RETENTION_DAYS} days by default:
 * an incoming row whose sequence value is less than or equal to the marker's is dropped; a newer
 * one inserts the key again and clears the marker. A delete for a key silver does not hold leaves a
 * marker too, so a delete that overtakes the insert it deletes still wins. A tombstone has no
 * sequence value: its marker takes the sequence value of the row it deleted. After the retention an
 * older update inserts the key again, as it did before the delete. The engine keeps the markers in
 * a Delta table of their own next to silver (see {@code Pipeline.withDeleteMarkers}), so plain Delta
 * readers of silver see only live rows.
 *
 * <p>Time is the source's time (Kafka record time, Event Hubs enqueued time): a marker is stamped
 * with the latest record time of the batch that deleted the key, and expires once the pipeline has
 * seen records more than the retention younger. Replaying bronze therefore decides the same way,
 * and a pipeline that was stopped for a while still holds the markers its late updates need.
 * {@code firstWins} and {@code lastWins} have no sequence to compare, so they keep no markers.
 *
 * <h2>Truncates</h2>
 * {@link #withTruncates} names records that empty silver, as {@code APPLY AS TRUNCATE WHEN} does in
 * Delta Live Tables: a truncate record with sequence value {@code t} removes every row whose
 * sequence value is {@code <= t} and keeps out every event with such a value, whenever it arrives;
 * events with a greater value survive. Only {@code latestBy} offers it (see {@link #withTruncates}
 * for why), and {@link Scd2Strategy} has no such option, as in Delta Live Tables. A truncate acts on
 * the whole table, not on one key, so the engine applies it and {@link #merge} never sees a
 * truncate record.
 */
public final class Scd1Strategy extends CdcStrategy<Scd1Strategy>
        implements
            ColumnSequenceStrategy,
            TruncatingStrategy {

    /** How rows of one key are ordered. */
    private enum Order {
        /** By the sequence column; ties by {@link CdcStrategy#compareTies}. */
        SEQUENCE,
        /** The first arrival stays. */
        FIRST,
        /** The last arrival replaces. */
        LAST
    }

    private final Order order;
    /** The sequence columns, most significant first; empty for {@code firstWins} and {@code lastWins}. */
    private final List<String> sequenceColumns;
    /** Here and not in {@link ChangeOptions}, which SCD type 2 shares: a history cannot be truncated. */
    private final @Nullable Predicate<Row> truncateWhen;

    private Scd1Strategy(Order order, List<String> sequenceColumns, ChangeOptions options,
            @Nullable Predicate<Row> truncateWhen) {
        super(options);
        this.order = order;
        this.sequenceColumns = sequenceColumns;
        this.truncateWhen = truncateWhen;
    }

    /** @param sequenceColumns at least one column, most significant first */
    static Scd1Strategy latestBy(List<String> sequenceColumns) {
        return new Scd1Strategy(Order.SEQUENCE, sequenceColumns, ChangeOptions.NONE, null);
    }

    static Scd1Strategy firstWins() {
        return new Scd1Strategy(Order.FIRST, List.of(), ChangeOptions.NONE, null);
    }

    static Scd1Strategy lastWins() {
        return new Scd1Strategy(Order.LAST, List.of(), ChangeOptions.NONE, null);
    }

    @Override
    Scd1Strategy with(ChangeOptions changed) {
        return new Scd1Strategy(order, sequenceColumns, changed, truncateWhen);
    }

    /**
     * Empties silver as of a truncate record's sequence value ({@code APPLY AS TRUNCATE WHEN} in
     * Delta Live Tables), for sources that say "the table was truncated" with a record of their own
     * (Debezium's {@code op = 't'}, a CDC tool's {@code TRUNCATE} operation).
     *
     * <pre>{@code
     * pipeline.withMergeStrategy(MergeStrategies.latestBy("sequenceNum")
     *     .withDeletes(r -> "DELETE".equals(r.string("operation")))
     *     .withTruncates(r -> "TRUNCATE".equals(r.string("operation")))
     *     .dropColumns("operation"));
     * // events, in any arrival order and batching:
     * //   {"userId": 124, "name": "Raul", "operation": "INSERT", "sequenceNum": 1}
     * //   {"userId": 125, "name": "Mercedes", "operation": "UPDATE", "sequenceNum": 6}
     * //   {"userId": null, "operation": "TRUNCATE", "sequenceNum": 3}
     * // silver: only 125, the one event newer than the truncate
     * }</pre>
     *
     * <p>A truncate record with sequence value {@code t} removes every silver row whose sequence
     * value is less than or equal to {@code t}, and every event with such a value is ignored, in the
     * same batch and in every later one, whether it arrived before or after the truncate; an event
     * with a greater value is merged as usual. So silver depends only on the events, not on their
     * arrival order, batching or restarts. A truncate record inserts nothing. The engine keeps the
     * greatest truncate value in silver's table properties, written in the same commit as the rows it
     * removed; a truncate older than that one changes nothing.
     *
     * <p>A truncate record needs no key: the predicate is asked about each record as decoded,
     * before the key check (and before transforms and expectations, which are written for change
     * events), so every column but the sequence column may be null. A truncate record whose sequence
     * value is null cannot say up to where silver is emptied: the pipeline quarantines it with reason
     * {@code NULL_SEQUENCE}, like any event without one. The predicate should cope with a row of
     * nulls: a record it throws on is quarantined with reason {@code MERGE_FAILED}.
     *
     * <p>Sequence values compare as {@code latestBy} compares them. With {@link #ignoreNullUpdates()},
     * a row newer than the truncate keeps values that an older event filled in if that event was
     * merged before the truncate arrived, as any late event is resolved against what silver holds.
     *
     * @param isTruncate true for records that truncate silver; it sees the whole decoded record,
     *     with null in every column the record leaves out (the key too)
     * @return a copy that truncates on matching records
     * @throws ConfigurationException for {@code firstWins} and {@code lastWins}: they order events by
     *     arrival, and records of different source partitions have no arrival order between them, so
     *     what a truncate removed would depend on how the partitions happened to interleave
     */
    public Scd1Strategy withTruncates(Predicate<Row> isTruncate) {
        Objects.requireNonNull(isTruncate, "isTruncate");
        if (sequenceColumns.isEmpty()) {
            throw new ConfigurationException(this + ".withTruncates(...): a truncate empties silver as of its"
                    + " sequence value, and " + base() + " has no sequence column. Arrival order cannot stand in for"
                    + " one: records of different source partitions have no order between them, so what a truncate"
                    + " removed would depend on how the partitions interleaved in a batch. Order events by a column:"
                    + " MergeStrategies.latestBy(column).withTruncates(...)");
        }
        return new Scd1Strategy(order, sequenceColumns, options, isTruncate);
    }

    /**
     * Whether the strategy has truncate records ({@link #withTruncates}).
     *
     * <pre>{@code
     * MergeStrategies.latestBy("seq").withTruncates(r -> "TRUNCATE".equals(r.string("op"))).truncates(); // true
     * MergeStrategies.latestBy("seq").truncates();                                                     // false
     * }</pre>
     *
     * @return whether a record can truncate silver
     */
    @Override
    public boolean truncates() {
        return truncateWhen != null;
    }

    /**
     * Asks the predicate of {@link #withTruncates}, as the engine does for every decoded record.
     *
     * <pre>{@code
     * Row truncate = Row.of(looseSchema, null, null, "TRUNCATE", 3L);   // no key
     * strategy.isTruncate(truncate);                                     // true
     * }</pre>
     *
     * @param decoded a decoded record, possibly without a key
     * @return whether it is a truncate record; false when the strategy has none
     */
    @Override
    public boolean isTruncate(Row decoded) {
        return truncateWhen != null && truncateWhen.test(decoded);
    }

    /**
     * @return the column that orders events, the most significant one when several do
     *     ({@link #sequenceColumns()} lists them all); empty for {@code firstWins} and {@code lastWins}
     */
    public Optional<String> sequenceColumn() {
        return sequenceColumns.stream().findFirst();
    }

    @Override
    public List<String> sequenceColumns() {
        return sequenceColumns;
    }

    @Override
    boolean leavesMarkers() {
        return options.deleteWhen() != null || !options.ignoreTombstones();
    }

    /**
     * @return whether the engine keeps, for each key, the sequence value behind each column
     *     ({@link #mergeColumns}): {@code latestBy} with {@link #ignoreNullUpdates()}
     */
    @Override
    public boolean tracksColumnSequences() {
        return !sequenceColumns.isEmpty() && options.ignoreNullUpdates();
    }

    /**
     * @return whether silver leaves out a sequence column ({@code dropColumns} or
     *     {@code keepColumns}, as DLT's {@code COLUMNS * EXCEPT (sequenceNum)}), so the engine keeps each
     *     key's sequence value beside silver, in the delete-marker table; with several sequence
     *     columns any of them may be left out, and the whole value is kept
     */
    @Override
    public boolean keepsRowSequences() {
        return sequenceColumns.stream().anyMatch(c -> !options.stores(c));
    }

    @Override
    public boolean keepsKeyState() {
        return keepsDeleteMarkers() || tracksColumnSequences() || keepsRowSequences();
    }

    /**
     * The merge of {@code latestBy(...).ignoreNullUpdates()} that does not depend on arrival order:
     * each column takes its value from the newest event that set it (a non-null value), and a delete
     * older than the row empties the columns no newer event set. So every arrival order of the same
     * events gives the same row. Pure; the engine keeps the sequences beside silver, in the
     * delete-marker table, with the key's delete marker: every delete leaves one (also a delete older
     * than the row, which only empties columns), and an event not newer than the marker is dropped
     * before this is called, so a delete wins over an update with the same sequence value.
     *
     * <pre>{@code
     * Scd1Strategy s = MergeStrategies.latestBy("seq").ignoreNullUpdates();
     * PartialRow r = s.mergeColumns(null, Map.of(), event(seq 3, status "PAID", note null));
     * r = s.mergeColumns(r.row(), r.sequences(), event(seq 1, status "CREATED", note "gift"));
     * // r.row(): seq 3, status PAID (newer), note gift (set by seq 1 only); r.sequences(): {note=1}
     * }</pre>
     *
     * @param current the key's row, or null when silver holds none
     * @param sequences the sequences of {@code current} as {@link PartialRow#sequences()}; empty
     *     for a key without a row
     * @param incoming the event
     * @return the row and its sequences; a null row when a delete at least as new as the row deletes it
     * @throws IllegalStateException if the strategy does not {@link #tracksColumnSequences()}
     */
    @Override
    public PartialRow mergeColumns(@Nullable Row current, Map<String, Object> sequences, Row incoming) {
        if (!tracksColumnSequences()) {
            throw new IllegalStateException(this + " keeps no column sequences; mergeColumns is for"
                    + " latestBy(column).ignoreNullUpdates()");
        }
        Object e = sequenceOf(incoming);
        Object rowSeq = current == null ? null : sequenceOf(current);
        boolean delete = options.isDelete(incoming);
        if (delete && (current == null || compareSequence(e, rowSeq) >= 0)) {
            return new PartialRow(null, Map.of());
        }
        Object newest = compareSequence(e, rowSeq) > 0 ? e : rowSeq;
        Schema schema = incoming.schema();
        Row.Builder b = Row.builder(schema);
        Map<String, Object> out = new HashMap<>();
        for (int i = 0; i < schema.size(); i++) {
            String name = schema.field(i).name();
            int part = sequenceColumns.indexOf(name);
            if (part >= 0) {
                // also when silver leaves it out: the engine keeps it beside silver
                b.set(i, CompositeSequence.component(newest, part));
                continue;
            }
            if (!options.stores(name)) {
                continue;
            }
            Object cur = current == null ? null : current.value(i);
            Object seq = sequences.containsKey(name) ? sequences.get(name) : cur != null ? rowSeq : null;
            Object value = cur;
            Object inc = incoming.value(i);
            if (delete) {
                // a delete older than the row: what only older events set is gone (the delete's
                // marker keeps events up to it out, so the column is as if never set)
                if (compareSequence(seq, e) <= 0) {
                    value = null;
                    seq = null;
                }
            } else if (inc != null) {
                int c = compareSequence(e, seq);
                if (c > 0 || c == 0 && compareValues(inc, cur) > 0) {
                    value = inc; // the newest event that set the column; a tie goes to the greater value
                    seq = e;
                }
            }
            b.set(i, value);
            if (value != null ? compareSequence(seq, newest) != 0 : seq != null) {
                out.put(name, seq);
            }
        }
        return new PartialRow(b.build(), out);
    }

    @Override
    public MergeDecision merge(@Nullable Row current, Row incoming) {
        if (options.isDelete(incoming)) {
            return current != null && notOlder(current, incoming) ? MergeDecision.delete() : MergeDecision.keep();
        }
        boolean replaces = switch (order) {
            case SEQUENCE -> current == null || newer(current, incoming);
            case FIRST -> current == null;
            case LAST -> true;
        };
        return replaces ? MergeDecision.upsert(options.apply(current, incoming, sequenceColumns))
                : MergeDecision.keep();
    }

    /** Whether the incoming row is at least as new as the current one; without a sequence, arrival decides. */
    private boolean notOlder(Row current, Row incoming) {
        if (sequenceColumns.isEmpty()) {
            return true;
        }
        return compareSequence(sequenceOf(incoming), sequenceOf(current)) >= 0;
    }

    /**
     * Whether the incoming row replaces the current one: newer, or as new and greater by the tie
     * rule ({@link CdcStrategy#compareTies}), so that equal sequence values resolve the same in any
     * arrival order; without a sequence, arrival decides.
     */
    private boolean newer(Row current, Row incoming) {
        if (sequenceColumns.isEmpty()) {
            return true;
        }
        int c = compareSequence(sequenceOf(incoming), sequenceOf(current));
        return c > 0 || c == 0 && compareTies(options.apply(current, incoming, sequenceColumns), current) > 0;
    }

    @Override
    public void validate(Schema schema) {
        super.validate(schema);
        // truncates remove silver's rows by their stored sequence values
        requireSequence(schema, truncateWhen != null);
    }

    @Override
    String base() {
        return switch (order) {
            case SEQUENCE -> "latestBy(" + String.join(", ", sequenceColumns) + ")";
            case FIRST -> "firstWins()";
            case LAST -> "lastWins()";
        };
    }

    @Override
    public String toString() {
        return super.toString() + (truncateWhen == null ? "" : ".withTruncates(...)");
    }
}
