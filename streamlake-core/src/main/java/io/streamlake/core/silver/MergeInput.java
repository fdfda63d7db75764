package io.streamlake.core.silver;

import io.streamlake.source.BatchLimits;
import io.streamlake.source.SourceRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The records of one silver merge, each with the bronze version it came from, gathered version by
 * version (whole versions only, held in memory or read back from bronze) until the merge's bounds
 * are reached. Bounds are checked between versions: the first version is taken whatever its size,
 * and a merge ends after the version that reaches a bound, so it holds at most one bronze batch more
 * than its bounds.
 *
 * <p>Threads: the merging thread's only.
 */
final class MergeInput {
    private final long maxRecords;
    private final long maxBytes;
    private final List<SourceRecord> records = new ArrayList<>();
    private long[] versions = new long[1024];
    private long bytes;
    private long upTo = -1;

    MergeInput(long maxRecords, long maxBytes) {
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
    }

    /** @return true once a bound is reached: no further version joins this merge */
    boolean full() {
        return records.size() >= maxRecords || bytes >= maxBytes;
    }

    /** @return true if a whole version of this size may join: the merge is empty, or it stays within bounds */
    boolean fits(int count, long size) {
        return records.isEmpty() || records.size() + count <= maxRecords && bytes + size <= maxBytes;
    }

    /** Adds one version's records, held in memory. */
    void addAll(List<SourceRecord> batch, long version, long size) {
        ensure(records.size() + batch.size());
        Arrays.fill(versions, records.size(), records.size() + batch.size(), version);
        records.addAll(batch);
        bytes += size;
    }

    /** Adds one record read back from bronze. */
    void add(SourceRecord r, long version) {
        ensure(records.size() + 1);
        versions[records.size()] = version;
        records.add(r);
        bytes += BatchLimits.bytes(r);
    }

    private void ensure(int size) {
        if (size > versions.length) {
            versions = Arrays.copyOf(versions, Math.max(size, versions.length * 2));
        }
    }

    /** @param version the last bronze version this merge covers (a version may hold no record) */
    void end(long version) {
        upTo = version;
    }

    /** @return the last bronze version this merge covers */
    long upTo() {
        return upTo;
    }

    /** @return the records gathered, in version order */
    List<SourceRecord> records() {
        return records;
    }

    /** @return each record's bronze version, in record order */
    long[] versions() {
        return Arrays.copyOf(versions, records.size());
    }
}
