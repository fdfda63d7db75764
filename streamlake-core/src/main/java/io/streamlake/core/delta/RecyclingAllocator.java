package io.streamlake.core.delta;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.apache.parquet.bytes.ByteBufferAllocator;

/**
 * Heap buffers that Parquet releases are kept and handed out again instead of new ones: a column
 * writer allocates and frees its page buffers for every page, and a new array is a zeroed one, which
 * cost a bronze writer more than a quarter of its time. Buffers come in power-of-two sizes, each
 * handed out as a slice of the requested size. One instance per data file, dropped with it, so at
 * most the file's peak of buffers is kept.
 *
 * <p>Not thread-safe, and it need not be: it is confined to the one file (and so the one thread)
 * that owns it. That holds only because {@link ParquetColumnFile} builds every file's Parquet
 * properties with a values-writer factory of their own; with Parquet's JVM-wide default factory,
 * value writers of other files took their buffers from whichever allocator was built last, and two
 * threads on these unsynchronized deques handed one array to two pages. Making this class
 * thread-safe would have hidden that, not fixed it.
 */
final class RecyclingAllocator implements ByteBufferAllocator {
    /** Arrays larger than this are not kept: a page that large is rare, and holding it is not. */
    private static final int MAX_POOLED = 1 << 26;

    @SuppressWarnings("unchecked") private final ArrayDeque<byte[]>[] free = new ArrayDeque[27];

    @Override
    public ByteBuffer allocate(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative buffer size " + size);
        }
        if (size > MAX_POOLED) {
            return ByteBuffer.allocate(size);
        }
        int bucket = bucket(size);
        ArrayDeque<byte[]> q = free[bucket];
        byte[] array = q == null ? null : q.poll();
        if (array == null) {
            array = new byte[1 << bucket];
        }
        return ByteBuffer.wrap(array, 0, size).slice();
    }

    @Override
    public void release(ByteBuffer b) {
        if (!b.hasArray() || b.arrayOffset() != 0) {
            return; // not one of ours
        }
        byte[] array = b.array();
        int length = array.length;
        if (length > MAX_POOLED || Integer.bitCount(length) != 1) {
            return; // not one of ours either: left to the garbage collector
        }
        int bucket = Integer.numberOfTrailingZeros(length);
        ArrayDeque<byte[]> q = free[bucket];
        if (q == null) {
            q = new ArrayDeque<>();
            free[bucket] = q;
        }
        q.push(array);
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
