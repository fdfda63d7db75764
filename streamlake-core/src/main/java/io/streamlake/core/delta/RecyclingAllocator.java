package io.streamlake.core.delta;

import io.streamlake.core.util.MemoryBudget;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.parquet.bytes.ByteBufferAllocator;

/**
 * Heap buffers that Parquet releases are kept and handed out again instead of new ones: a column
 * writer allocates and frees its page buffers for every page, and a new array is a zeroed one, which
 * cost a bronze writer more than a quarter of its time. Buffers come in power-of-two sizes, each
 * handed out as a slice of the requested size.
 *
 * <p>One pool per thread ({@link #ofThisThread()}), kept from file to file: a file's compressed
 * pages are held until its row group is written, at the file's end, so a pool of its own never gave
 * them back before it was dropped, and every bronze file allocated its pages (megabytes, humongous
 * objects for G1) anew.
 *
 * <p>What all pools keep together is bounded by one {@link Budget}, sized against the heap
 * ({@link MemoryBudget#pooledBytes()}: 16 MiB of a 256 MiB heap, at most 64 MiB), not per thread:
 * with 64 MiB per thread, the bronze writer's thread, the helper threads and silver's thread each
 * filled a pool of their own over the first batches, until the pools held half of a 256 MiB heap and
 * the next batch's row group no longer fitted. A pool dropped with its thread gives its share of the
 * budget back (a {@link Cleaner} action), so helper threads that come and go do not use it up.
 *
 * <p>Not thread-safe, and it need not be: only its owner thread takes from the pool or gives to it.
 * A call from any other thread (a file handed to another thread, or closed on one) gets a plain
 * buffer and its release is left to the garbage collector, so two threads never share the
 * unsynchronized deques. That holds only because {@link ParquetColumnFile} builds every file's
 * Parquet properties with a values-writer factory of their own; with Parquet's JVM-wide default
 * factory, value writers of other files took their buffers from whichever allocator was built last.
 * Two files open at once on one thread share the pool safely: a buffer is in one file's hands from
 * its allocation to its release.
 */
final class RecyclingAllocator implements ByteBufferAllocator {
    /**
     * The bytes that all pools of the JVM may keep. Shared by every thread: safe, as it is only
     * counted through atomic operations, and a pool that cannot reserve its share drops the buffer.
     */
    static final Budget JVM_BUDGET = new Budget(MemoryBudget.JVM.pooledBytes());
    /**
     * Gives a dead thread's share back. Shared: {@link Cleaner} is thread-safe, and its actions only
     * touch the atomic counters.
     */
    private static final Cleaner CLEANER = Cleaner.create();
    /**
     * Each thread's pool. Confined to its thread by the owner checks below; dropped with the thread
     * (the engine's writer threads end with their pipeline).
     */
    private static final ThreadLocal<RecyclingAllocator> PER_THREAD = ThreadLocal
            .withInitial(() -> new RecyclingAllocator(JVM_BUDGET));

    /**
     * What pools together may keep, and what they keep now.
     *
     * @param limit the most bytes all pools of this budget keep together
     * @param kept the bytes they keep now
     */
    record Budget(long limit, AtomicLong kept) {
        Budget(long limit) {
            this(limit, new AtomicLong());
        }

        /** Arrays larger than this are not kept: a quarter of the budget, so that one page cannot take all of it. */
        long largestPooled() {
            return Math.min(1 << 26, limit / 4);
        }
    }

    private final Thread owner = Thread.currentThread();
    private final Budget budget;
    /** Bytes in this pool's free lists: written by the owner thread only, read by the cleaner after it. */
    private final AtomicLong keptBytes = new AtomicLong();

    /** A pool for the calling thread that keeps what the budget allows. */
    RecyclingAllocator(Budget budget) {
        this.budget = budget;
        AtomicLong mine = keptBytes;
        AtomicLong shared = budget.kept();
        CLEANER.register(this, () -> shared.addAndGet(-mine.get())); // holds no reference to the pool
    }

    @SuppressWarnings("unchecked") private final ArrayDeque<byte[]>[] free = new ArrayDeque[27];

    /** @return the calling thread's pool */
    static RecyclingAllocator ofThisThread() {
        return PER_THREAD.get();
    }

    @Override
    public ByteBuffer allocate(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative buffer size " + size);
        }
        if (size > budget.largestPooled() || Thread.currentThread() != owner) {
            return ByteBuffer.allocate(size);
        }
        int bucket = bucket(size);
        ArrayDeque<byte[]> q = free[bucket];
        byte[] array = q == null ? null : q.poll();
        if (array == null) {
            array = new byte[1 << bucket];
        } else {
            keptBytes.addAndGet(-array.length);
            budget.kept().addAndGet(-array.length);
        }
        return ByteBuffer.wrap(array, 0, size).slice();
    }

    @Override
    public void release(ByteBuffer b) {
        if (!b.hasArray() || b.arrayOffset() != 0 || Thread.currentThread() != owner) {
            return; // not one of ours, or not on our thread: left to the garbage collector
        }
        byte[] array = b.array();
        int length = array.length;
        if (length > budget.largestPooled() || Integer.bitCount(length) != 1) {
            return; // not one of ours either
        }
        if (budget.kept().addAndGet(length) > budget.limit()) {
            budget.kept().addAndGet(-length);
            return; // the pools keep enough: left to the garbage collector
        }
        int bucket = Integer.numberOfTrailingZeros(length);
        ArrayDeque<byte[]> q = free[bucket];
        if (q == null) {
            q = new ArrayDeque<>();
            free[bucket] = q;
        }
        q.push(array);
        keptBytes.addAndGet(length);
    }

    @Override
    public boolean isDirect() {
        return false;
    }

    /** @return the power of two of the smallest pooled size that holds {@code size} bytes */
    private static int bucket(int size) {
        return size <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(size - 1);
    }
}
