package io.streamlake.merge;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
 */
public final class Scd1Strategy extends CdcStrategy<Scd1Strategy> {

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
    private final @Nullable String sequenceColumn;

    private Scd1Strategy(Order order, @Nullable String sequenceColumn, ChangeOptions options) {
        super(options);
        this.order = order;
        this.sequenceColumn = sequenceColumn;
    }

    static Scd1Strategy latestBy(String sequenceColumn) {
        return new Scd1Strategy(Order.SEQUENCE, sequenceColumn, ChangeOptions.NONE);
    }

    static Scd1Strategy firstWins() {
        return new Scd1Strategy(Order.FIRST, null, ChangeOptions.NONE);
    }

    static Scd1Strategy lastWins() {
        return new Scd1Strategy(Order.LAST, null, ChangeOptions.NONE);
    }

    @Override
    Scd1Strategy with(ChangeOptions changed) {
        return new Scd1Strategy(order, sequenceColumn, changed);
    }

    /** @return the column that orders events, empty for {@code firstWins} and {@code lastWins} */
    public Optional<String> sequenceColumn() {
        return Optional.ofNullable(sequenceColumn);
    }

    @Override
    public List<String> sequenceColumns() {
        return sequenceColumn == null ? List.of() : List.of(sequenceColumn);
    }

    @Override
    boolean leavesMarkers() {
        return options.deleteWhen() != null || !options.ignoreTombstones();
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
        return replaces ? MergeDecision.upsert(options.apply(current, incoming)) : MergeDecision.keep();
    }

    /** Whether the incoming row is at least as new as the current one; without a sequence, arrival decides. */
    private boolean notOlder(Row current, Row incoming) {
        if (sequenceColumn == null) {
            return true;
        }
        return compareSequence(incoming.value(sequenceColumn), current.value(sequenceColumn)) >= 0;
    }

    /**
     * Whether the incoming row replaces the current one: newer, or as new and greater by the tie
     * rule ({@link CdcStrategy#compareTies}), so that equal sequence values resolve the same in any
     * arrival order; without a sequence, arrival decides.
     */
    private boolean newer(Row current, Row incoming) {
        if (sequenceColumn == null) {
            return true;
        }
        int c = compareSequence(incoming.value(sequenceColumn), current.value(sequenceColumn));
        return c > 0 || c == 0 && compareTies(options.apply(current, incoming), current) > 0;
    }

    @Override
    public void validate(Schema schema) {
        super.validate(schema);
        if (sequenceColumn != null) {
            requireSequence(schema, sequenceColumn);
        }
    }

    @Override
    String base() {
        return switch (order) {
            case SEQUENCE -> "latestBy(" + sequenceColumn + ")";
            case FIRST -> "firstWins()";
            case LAST -> "lastWins()";
        };
    }

}
