package io.streamlake.merge;

import io.streamlake.schema.Row;

/**
 * An optional ability of a {@link MergeStrategy} that keeps the latest row per key by sequence
 * value: truncate records, which empty silver as of their sequence value. The engine asks
 * {@link #isTruncate} of every decoded record when {@link #truncates()}, removes silver's rows
 * up to the truncate's sequence value instead of merging the record, records that value in the
 * table as a watermark, and keeps out every later event at or below it, also in a later run whose
 * strategy has no truncates but orders events by the same {@link #sequenceColumns()}.
 *
 * <pre>{@code
 * if (strategy instanceof TruncatingStrategy t && t.truncates() && t.isTruncate(decoded)) {
 *     // empty silver up to t.sequenceOf(decoded), and remember the watermark
 * }
 * }</pre>
 *
 * <p>{@link Scd1Strategy} implements it. It is a capability rather than part of
 * {@link MergeStrategy} because a truncate acts on the whole table, not on one key, so
 * {@link #merge} never sees one; it extends {@link DeleteMarkerStrategy} because the watermark is a
 * delete marker for every key, compared with {@link #sequenceOf}.
 */
public interface TruncatingStrategy extends DeleteMarkerStrategy {

    /** @return whether a record can truncate silver (a predicate was set) */
    boolean truncates();

    /**
     * @param decoded a decoded record, possibly without a key
     * @return whether it is a truncate record; false when the strategy has none
     */
    boolean isTruncate(Row decoded);
}
