package io.streamlake.merge;

import io.streamlake.exceptions.ConfigurationException;
import java.util.ArrayList;
import java.util.List;
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
     * <p>Several columns order events as Delta Live Tables' {@code SEQUENCE BY struct(a, b)} does:
     * lexicographically, the first column first and the next only where it ties, each column by the
     * rules of {@link CdcStrategy#compareSequence}; the columns may be of different types.
     *
     * <pre>{@code
     * MergeStrategies.latestBy("updated_at");                 // SEQUENCE BY updated_at
     * MergeStrategies.latestBy("commit_ts", "change_no");     // SEQUENCE BY struct(commit_ts, change_no)
     * }</pre>
     *
     * <p>An event with a null in any of them has no sequence value, and is quarantined with reason
     * {@code NULL_SEQUENCE} naming that column.
     *
     * @param sequenceColumn a column of a comparable type (number, string, timestamp, date, decimal);
     *     with more columns, the most significant one
     * @param moreSequenceColumns further sequence columns, each deciding only where all before it tie
     * @return the strategy
     */
    public static Scd1Strategy latestBy(String sequenceColumn, String... moreSequenceColumns) {
        return Scd1Strategy.latestBy(columns(sequenceColumn, moreSequenceColumns));
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
     * <p>Several columns order events lexicographically, as in {@link #latestBy}; then the validity
     * columns are STRING columns holding the sequence value's text ({@link CompositeSequence}).
     *
     * <pre>{@code
     * MergeStrategies.scd2("updated_at");                  // __START_AT, __END_AT: TIMESTAMP
     * MergeStrategies.scd2("commit_ts", "change_no");      // __START_AT, __END_AT: STRING
     * }</pre>
     *
     * @param sequenceColumn a column of a comparable type (number, string, timestamp, date, decimal);
     *     with more columns, the most significant one
     * @param moreSequenceColumns further sequence columns, each deciding only where all before it tie
     * @return the strategy
     */
    public static Scd2Strategy scd2(String sequenceColumn, String... moreSequenceColumns) {
        return Scd2Strategy.by(columns(sequenceColumn, moreSequenceColumns));
    }

    /** @return the sequence columns, most significant first; each named once */
    private static List<String> columns(String first, String... more) {
        List<String> columns = new ArrayList<>(1 + more.length);
        columns.add(Objects.requireNonNull(first, "sequenceColumn"));
        for (String c : more) {
            if (columns.contains(Objects.requireNonNull(c, "sequenceColumn"))) {
                throw new ConfigurationException("sequence column '" + c + "' is named twice in " + columns
                        + " + " + c + "; name each column once, most significant first");
            }
            columns.add(c);
        }
        return List.copyOf(columns);
    }
}
