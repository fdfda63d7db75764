package io.streamlake.core.util;

/**
 * How many bytes the writers may hold, sized against the heap the JVM was given
 * ({@link Runtime#maxMemory()}) rather than fixed: a row group, a file that a merge or a compaction
 * reads whole, the recycled page buffers of all writer threads together, and the records of one silver
 * merge. With 256 MiB of heap a batch, its row group, a silver file being merged and the pools fit
 * beside one another;
 * with the default heap (a quarter of the machine) the sizes reach Parquet's usual ones and stop
 * there, as larger ones only cost memory.
 *
 * @param rowGroupBytes the buffered size at which a Parquet row group is written out
 * @param fileBytes about how many bytes a silver or compacted file holds at most
 * @param pooledBytes the most bytes of released page buffers kept for reuse, all threads together
 * @param mergeBytes the most raw record bytes one silver merge takes, however far silver has fallen
 *     behind: it holds their decoded rows beside the file being merged
 */
public record MemoryBudget(long rowGroupBytes, long fileBytes, long pooledBytes, long mergeBytes) {
    private static final long MIB = 1L << 20;

    /** The budget of this JVM's heap: computed once, as the heap's maximum does not change. */
    public static final MemoryBudget JVM = of(Runtime.getRuntime().maxMemory());

    /** @return the budget for a heap of at most {@code maxHeap} bytes */
    public static MemoryBudget of(long maxHeap) {
        return new MemoryBudget(clamp(maxHeap / 32, 4 * MIB, 128 * MIB), clamp(maxHeap / 16, 8 * MIB, 256 * MIB),
                clamp(maxHeap / 32, 4 * MIB, 64 * MIB), clamp(maxHeap / 24, 4 * MIB, 256 * MIB));
    }

    private static long clamp(long v, long min, long max) {
        return Math.max(min, Math.min(max, v));
    }
}
