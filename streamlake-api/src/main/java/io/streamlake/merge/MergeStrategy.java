package io.streamlake.merge;

import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
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
 */
@FunctionalInterface
public interface MergeStrategy {

    /**
     * @param current the key's row now, or null if the table has none
     * @param incoming the new row for the key
     * @return the decision
     */
    MergeDecision merge(@Nullable Row current, Row incoming);

    /**
     * Checks, when the pipeline starts, that the strategy fits the silver schema (for example that
     * a sequence column exists).
     *
     * @param schema the silver schema
     * @throws io.streamlake.exceptions.ConfigurationException if it does not fit
     */
    default void validate(Schema schema) {
    }
}
