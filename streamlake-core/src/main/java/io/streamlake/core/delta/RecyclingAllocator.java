package io.streamlake.core.delta;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
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
 * objects for G1) anew. A thread keeps at most {@value #MAX_KEPT_BYTES} bytes of released buffers.
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
    /** Arrays larger than this are not kept: a page that large is rare, and holding it is not. */
    private static final int MAX_POOLED = 1 << 26;
    /** The most bytes of released buffers a thread keeps: about two bronze files' worth of pages. */
    static final long MAX_KEPT_BYTES = 64L << 20;
    /**
     * Each thread's pool. Confined to its thread by the owner checks below; dropped with the thread
     * (the engine's writer threads end with their pipeline).
     */
    private static final ThreadLocal<RecyclingAllocator> PER_THREAD = ThreadLocal.withInitial(RecyclingAllocator::new);

    private final Thread owner = Thread.currentThread();
    /** Bytes in the free lists: owner thread only. */
    private long keptBytes;

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
        if (size > MAX_POOLED || Thread.currentThread() != owner) {
            return ByteBuffer.allocate(size);
        }
        int bucket = bucket(size);
        ArrayDeque<byte[]> q = free[bucket];
        byte[] array = q == null ? null : q.poll();
        if (array == null) {
            array = new byte[1 << bucket];
        } else {
            keptBytes -= array.length;
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
        if (length > MAX_POOLED || Integer.bitCount(length) != 1 || keptBytes + length > MAX_KEPT_BYTES) {
            return; // not one of ours either, or more than a thread keeps
        }
        int bucket = Integer.numberOfTrailingZeros(length);
        ArrayDeque<byte[]> q = free[bucket];
        if (q == null) {
            q = new ArrayDeque<>();
            free[bucket] = q;
        }
        q.push(array);
        keptBytes += length;
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
