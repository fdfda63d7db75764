package io.streamlake.core.silver;

import io.streamlake.source.SourceRecord;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Batches that bronze committed and whose records the engine still holds in memory, in version
 * order, so that silver merges them without reading bronze's files back. {@link SilverStage#catchUp}
 * takes them out as it decodes them: once decoded, nothing refers to their raw bytes and the
 * collector can free them while the merge runs (a retry after a lost commit race reads bronze).
 *
 * <p>Threads: the thread that calls {@code catchUp} only; the engine fills one per merge on that
 * thread from what the ingesting thread handed over.
 */
public final class HeldBatches {
    /** One bronze commit's records, as committed at {@code version}; {@code bytes} of keys and values. */
    record Held(long version, List<SourceRecord> records, long bytes) {
    }

    private final ArrayDeque<Held> batches = new ArrayDeque<>();

    /**
     * @param version the bronze version that committed these records, higher than any added before
     * @param records every record of that commit
     * @param bytes their keys' and values' bytes
     */
    public void add(long version, List<SourceRecord> records, long bytes) {
        Held last = batches.peekLast();
        if (last != null && last.version() >= version) {
            throw new IllegalArgumentException("bronze version " + version + " added after " + last.version());
        }
        batches.addLast(new Held(version, records, bytes));
    }

    /** Forgets the batches at or below a version: silver already holds them. */
    void dropThrough(long version) {
        while (!batches.isEmpty() && batches.peekFirst().version() <= version) {
            batches.pollFirst();
        }
    }

    /** @return the version of the first batch held, or -1 when none is */
    long firstVersion() {
        Held first = batches.peekFirst();
        return first == null ? -1 : first.version();
    }

    /**
     * Moves the held batches that follow one another from {@code from} on into a merge, as long as
     * they fit it.
     *
     * @param in the merge being gathered
     * @param from the first version wanted
     * @return the version after the last one taken; {@code from} when none was
     */
    long takeInto(MergeInput in, long from) {
        long next = from;
        for (Held h; (h = batches.peekFirst()) != null && h.version() == next
                && in.fits(h.records().size(), h.bytes());) {
            batches.pollFirst();
            in.addAll(h.records(), h.version(), h.bytes());
            next++;
        }
        return next;
    }
}
