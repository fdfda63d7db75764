package io.streamlake.merge;

import java.util.Objects;

/**
 * The built-in merge strategies. Each returns an immutable {@link CdcStrategy} whose options
 * (deletes, partial updates, column lists) return copies.
 *
 * <pre>{@code
 * pipeline.withMergeStrategy(MergeStrategies.latestBy("updated_at")); // SCD type 1 by sequence
 * pipeline.withMergeStrategy(MergeStrategies.firstWins());            // insert-only dedupe
 * pipeline.withMergeStrategy(MergeStrategies.latestBy("updated_at")   // CDC with deletes
 *     .withDeletes(r -> "DELETE".equals(r.string("op")))
 *     .dropColumns("op"));
 * pipeline.withMergeStrategy(MergeStrategies.scd2("updated_at")       // SCD type 2 history
 *     .trackHistoryOn("status"));
 * }</pre>
 */
public final class MergeStrategies {
    private MergeStrategies() {
    }

    /**
     * Latest wins by a sequence column (SCD type 1): an incoming row replaces the current one when
     * its sequence value is greater, so out-of-order events are resolved by the value, not by
     * arrival. Equal sequence values resolve to the row that arrived last (bronze order), which is
     * deterministic. A pipeline quarantines an event whose sequence value is null (reason
     * {@code NULL_SEQUENCE}) before it reaches the strategy; called directly, the strategy treats
     * null as older than any value. Records that empty the table: {@link Scd1Strategy#withTruncates}.
     *
     * @param sequenceColumn a column of a comparable type (number, string, timestamp, date, decimal)
     * @return the strategy
     */
    public static Scd1Strategy latestBy(String sequenceColumn) {
        return Scd1Strategy.latestBy(Objects.requireNonNull(sequenceColumn, "sequenceColumn"));
    }

    /**
     * First wins: the first row seen for a key is kept and later ones are ignored (insert-only
     * deduplication).
     *
     * @return the strategy
     */
    public static Scd1Strategy firstWins() {
        return Scd1Strategy.firstWins();
    }

    /**
     * Last arrival wins: every incoming row replaces the current one. The default strategy.
     *
     * @return the strategy
     */
    public static Scd1Strategy lastWins() {
        return Scd1Strategy.lastWins();
    }

    /**
     * SCD type 2: silver keeps every version of a key with its validity in {@code __START_AT} and
     * {@code __END_AT}, ordered by a sequence column; out-of-order events are inserted into the
     * history where they belong. The silver schema must declare both columns with the sequence
     * column's type; see {@link Scd2Strategy}.
     *
     * @param sequenceColumn a column of a comparable type (number, string, timestamp, date, decimal)
     * @return the strategy
     */
    public static Scd2Strategy scd2(String sequenceColumn) {
        return Scd2Strategy.by(Objects.requireNonNull(sequenceColumn, "sequenceColumn"));
    }
}
