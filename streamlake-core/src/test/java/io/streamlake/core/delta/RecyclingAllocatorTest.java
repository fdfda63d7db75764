package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RecyclingAllocatorTest {

    @Test
    void handsOutExactlySizedBuffersAndReusesReleasedArrays() {
        RecyclingAllocator a = new RecyclingAllocator();
        ByteBuffer first = a.allocate(1000);
        assertThat(first.capacity()).isEqualTo(1000);
        assertThat(first.remaining()).isEqualTo(1000);
        assertThat(first.array()).hasSize(1024);
        first.put(0, (byte) 7);
        a.release(first);

        ByteBuffer second = a.allocate(600); // same power-of-two bucket
        assertThat(second.array()).isSameAs(first.array());
        assertThat(second.capacity()).isEqualTo(600);
        assertThat(second.position()).isZero();

        ByteBuffer third = a.allocate(1000); // the array is in use: a new one
        assertThat(third.array()).isNotSameAs(first.array());
    }

    @Test
    void ignoresBuffersItDidNotHandOut() {
        RecyclingAllocator a = new RecyclingAllocator();
        ByteBuffer foreign = ByteBuffer.allocate(1000);
        a.release(foreign);
        a.release(ByteBuffer.wrap(new byte[2048], 16, 100).slice());
        a.release(ByteBuffer.allocateDirect(1024));
        assertThat(a.allocate(1000).array()).isNotSameAs(foreign.array());
        assertThat(a.allocate(0).capacity()).isZero();
        assertThat(a.isDirect()).isFalse();
    }

    @Test
    void eachThreadKeepsItsOwnPoolAndAnotherThreadNeverTouchesIt() throws Exception {
        RecyclingAllocator mine = RecyclingAllocator.ofThisThread();
        assertThat(RecyclingAllocator.ofThisThread()).isSameAs(mine); // the next file takes the same pool
        ByteBuffer kept = mine.allocate(4096);
        mine.release(kept);

        AtomicReference<RecyclingAllocator> theirs = new AtomicReference<>();
        AtomicReference<ByteBuffer> fromMine = new AtomicReference<>();
        Thread other = new Thread(() -> {
            theirs.set(RecyclingAllocator.ofThisThread());
            fromMine.set(mine.allocate(4096)); // a file handed to another thread: a plain buffer
            mine.release(ByteBuffer.wrap(new byte[8192])); // and its release is not pooled
        });
        other.start();
        other.join();
        assertThat(theirs.get()).isNotSameAs(mine);
        assertThat(fromMine.get().array()).isNotSameAs(kept.array()).hasSize(4096);
        assertThat(mine.allocate(4096).array()).isSameAs(kept.array()); // still here for its owner
        assertThat(mine.allocate(8192).array()).hasSize(8192);
    }

    @Test
    void keepsNoMoreThanItsLimit() {
        RecyclingAllocator a = new RecyclingAllocator();
        int size = 1 << 24;
        ByteBuffer[] buffers = new ByteBuffer[(int) (RecyclingAllocator.MAX_KEPT_BYTES / size) + 1];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = a.allocate(size);
        }
        for (ByteBuffer b : buffers) {
            a.release(b);
        }
        Set<byte[]> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < buffers.length; i++) {
            handedOut.add(a.allocate(size).array());
        }
        long reused = Arrays.stream(buffers).filter(b -> handedOut.contains(b.array())).count();
        assertThat(reused).isEqualTo(buffers.length - 1);
    }
}
