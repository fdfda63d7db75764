package io.streamlake.event;

/**
 * The silver keys a merge changed, by kind: a key silver did not hold is inserted, a key whose rows
 * the merge removed is deleted, and a key whose rows it rewrote is updated (with SCD type 2: a key
 * whose history gained or changed versions).
 *
 * @param inserted keys new to silver
 * @param updated keys whose rows changed
 * @param deleted keys removed from silver (a delete, a tombstone or a truncate)
 */
public record RowChanges(long inserted, long updated, long deleted) {
    /** No change. */
    public static final RowChanges NONE = new RowChanges(0, 0, 0);

    /** @return all changed keys */
    public long total() {
        return inserted + updated + deleted;
    }

    /**
     * @param other more changes
     * @return the sum of both
     */
    public RowChanges plus(RowChanges other) {
        return new RowChanges(inserted + other.inserted, updated + other.updated, deleted + other.deleted);
    }
}
