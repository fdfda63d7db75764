package io.streamlake.core.silver;

import io.streamlake.source.SourceRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

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

    /** @return true when no batch is held */
    public boolean isEmpty() {
        return batches.isEmpty();
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
     * Takes the batches that follow one another from {@code from} on, as long as they fit the bounds
     * (the first is taken whatever its size): the records of one merge.
     *
     * @param from the first version wanted; the first batch held must be at it
     * @param maxRecords stop before exceeding this many records
     * @param maxBytes stop before exceeding this many bytes
     * @return the records with each one's bronze version, or null when the first batch held is not at {@code from}
     */
    @Nullable
    Taken take(long from, long maxRecords, long maxBytes) {
        if (firstVersion() != from) {
            return null;
        }
        List<Held> chunk = new ArrayList<>();
        long records = 0;
        long bytes = 0;
        long next = from;
        for (Held h : batches) {
            if (h.version() != next || !chunk.isEmpty()
                    && (records + h.records().size() > maxRecords || bytes + h.bytes() > maxBytes)) {
                break;
            }
            chunk.add(h);
            records += h.records().size();
            bytes += h.bytes();
            next++;
        }
        for (int i = 0; i < chunk.size(); i++) {
            batches.pollFirst();
        }
        if (chunk.size() == 1) {
            Held h = chunk.get(0);
            return new Taken(h.records(), constant(h.records().size(), h.version()), h.version());
        }
        List<SourceRecord> all = new ArrayList<>((int) records);
        long[] versions = new long[(int) records];
        for (Held h : chunk) {
            Arrays.fill(versions, all.size(), all.size() + h.records().size(), h.version());
            all.addAll(h.records());
        }
        return new Taken(all, versions, next - 1);
    }

    private static long[] constant(int n, long value) {
        long[] a = new long[n];
        Arrays.fill(a, value);
        return a;
    }

    /** The records of one merge, each record's bronze version, and the last version among them. */
    record Taken(List<SourceRecord> records, long[] versions, long upTo) {
    }
}
