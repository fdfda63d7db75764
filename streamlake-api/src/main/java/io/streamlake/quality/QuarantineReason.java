package io.streamlake.quality;

/**
 * Why a record went to the quarantine table, as the kind of failure: the quarantine's {@code reason}
 * column holds the constant's name, next to {@code rule} (which rule set it aside) and {@code error}
 * (what was wrong, in words). Query by kind to fix a class of records at once:
 *
 * <pre>{@code
 * SELECT reason, count(*) FROM silver_quarantine GROUP BY reason
 * }</pre>
 *
 * <p>Rows quarantined before this column existed hold null.
 */
public enum QuarantineReason {
    /** The bytes are not well-formed JSON, or there is content after the object. */
    MALFORMED_JSON,
    /** The value is JSON but not an object (an array, a scalar). */
    NOT_AN_OBJECT,
    /** A field's value cannot be converted to its column's type (including numbers beyond its range). */
    WRONG_TYPE,
    /** The key column is missing or null. */
    MISSING_KEY,
    /** A required column is missing or null. */
    NULL_REQUIRED,
    /** The bytes are not valid UTF-8. */
    NOT_UTF8,
    /** The value is larger than the pipeline's {@code withMaxValueBytes} limit. */
    TOO_LARGE,
    /** A string holds an unpaired UTF-16 surrogate (a JSON escape such as {@code "\ud800"}), which UTF-8 cannot store. */
    UNPAIRED_SURROGATE,
    /** The decoder failed in a way it does not foresee: a bug to report; the record is kept all the same. */
    DECODER_FAILED,
    /** A tombstone (a record without a value) whose key is missing or does not fit the key column. */
    TOMBSTONE_WITHOUT_KEY,
    /** A transform threw on the record. */
    TRANSFORM_FAILED,
    /** A transform produced a value the table cannot store (such as an unpaired surrogate). */
    UNSTORABLE_VALUE,
    /** The record broke an expectation whose action is QUARANTINE. */
    EXPECTATION_FAILED,
    /** An expectation whose action is QUARANTINE threw on the record instead of deciding. */
    EXPECTATION_THREW,
    /** The strategy's sequence column is null, so the event has no place in its key's order. */
    NULL_SEQUENCE,
    /**
     * The merge strategy threw on the record (a custom strategy's bug, or a delete predicate that
     * cannot decide); the batch's other records are merged without it.
     */
    MERGE_FAILED
}
