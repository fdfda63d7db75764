package io.streamlake.merge;

import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Decides, per key, how an incoming row changes the silver table. Pure: no I/O, no state, so it is
 * unit-testable on its own. The engine applies it to each incoming row in arrival order (bronze
 * order), starting from the row the table holds for the key, so duplicates within a batch and
 * across batches are resolved the same way.
 *
 * <pre>{@code
 * MergeStrategy keepHighestAmount = (current, incoming) ->
 *     current == null || ((BigDecimal) incoming.value("amount")).compareTo((BigDecimal) current.value("amount")) > 0
 *         ? MergeDecision.upsert(incoming)
 *         : MergeDecision.keep();
 * pipeline.withMergeStrategy(keepHighestAmount);
 * }</pre>
 *
 * <p>The built-ins in {@link MergeStrategies} add deletes, partial updates, column lists and SCD
 * type 2 history on top of this contract; see {@link CdcStrategy}.
 */
@FunctionalInterface
public interface MergeStrategy {

    /**
     * @param current the key's row now, or null if the table has none
     * @param incoming the new row for the key
     * @return the decision; an upserted row must keep the incoming row's key
     */
    MergeDecision merge(@Nullable Row current, Row incoming);

    /**
     * The columns whose values order a key's events, if the strategy orders them by value (as
     * {@code latestBy} and SCD type 2 do). A record without a sequence value has no place in that
     * order, so the engine quarantines it with a reason naming the column instead of merging it, as
     * Delta Live Tables refuses NULL sequence values. Empty by default: arrival order.
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at").sequenceColumns();   // [updated_at]
     * }</pre>
     *
     * @return the sequence columns, most significant first; empty when events are ordered by arrival
     */
    default List<String> sequenceColumns() {
        return List.of();
    }

    /**
     * Decides what a tombstone does: a record with a key and no value, which Kafka's compacted
     * topics use to say "this key is gone". It has no sequence value and no other columns, so it is
     * not passed to {@link #merge}. By default it deletes the key.
     *
     * <pre>{@code
     * MergeStrategy keepOnTombstone = new MergeStrategy() {
     *     public MergeDecision merge(Row current, Row incoming) { return MergeDecision.upsert(incoming); }
     *     public MergeDecision onTombstone(Row current, Row keyOnly) { return MergeDecision.keep(); }
     * };
     * }</pre>
     *
     * @param current the key's row now, or null if the table has none
     * @param keyOnly a row that holds only the key (every other column is null)
     * @return the decision; {@link MergeDecision#delete()} by default
     */
    default MergeDecision onTombstone(@Nullable Row current, Row keyOnly) {
        return MergeDecision.delete();
    }

    /**
     * The columns of the declared silver schema that the silver table stores: the engine creates the
     * table with these, and writes each row without the others. The decoder, transforms,
     * expectations and {@link #merge} still see every declared column (the rows read back from silver
     * hold null in the others), so a column can steer the merge, such as an {@code op} that deletes,
     * without being stored. By default every declared column is stored; the built-in strategies
     * leave out what {@link CdcStrategy#dropColumns} and {@link CdcStrategy#keepColumns} say.
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at").dropColumns("op").storedSchema(schema);   // schema without op
     * }</pre>
     *
     * @param declared the declared silver schema ({@code Pipeline.withSchema})
     * @return the declared schema's stored columns, in its order, each as declared; it must hold the
     *     key, the sequence columns and the partition columns
     */
    default Schema storedSchema(Schema declared) {
        return declared;
    }

    /**
     * Checks, when the pipeline starts, that the strategy fits the silver schema (for example that
     * a sequence column exists).
     *
     * @param schema the silver schema
     * @throws io.streamlake.exceptions.ConfigurationException if it does not fit
     */
    default void validate(Schema schema) {
    }

    /**
     * Checks that the strategy fits the silver schema and key, for strategies that must know the
     * key (for example one that stores only some columns must store the key). The engine calls it
     * when it opens the silver table; by default it is {@link #validate(Schema)}.
     *
     * @param schema the silver schema
     * @param keyColumns the silver key's columns, most significant first
     * @throws io.streamlake.exceptions.ConfigurationException if it does not fit
     */
    default void validate(Schema schema, List<String> keyColumns) {
        validate(schema);
    }
}
