package io.streamlake.merge;

import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
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
 * <p><b>A late update after a delete brings the key back.</b> Once a key is deleted, nothing of it
 * is left in silver, so an update that arrives after the delete but carries an older sequence value
 * is inserted as a new row. Keeping delete markers for a retention period, so that such updates are
 * ignored, is not done yet. Where this matters, use {@link MergeStrategies#scd2} (which keeps the
 * time of the delete in {@code __END_AT}) or soft deletes (a status column and no
 * {@code withDeletes}).
 */
public final class Scd1Strategy extends CdcStrategy<Scd1Strategy> {

    /** How rows of one key are ordered. */
    private enum Order {
        /** By the sequence column; ties go to the later arrival. */
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

    @Override
    public MergeDecision merge(@Nullable Row current, Row incoming) {
        if (options.isDelete(incoming)) {
            return current != null && notOlder(current, incoming) ? MergeDecision.delete() : MergeDecision.keep();
        }
        boolean replaces = switch (order) {
            case SEQUENCE -> current == null || notOlder(current, incoming);
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
