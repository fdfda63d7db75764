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
        RecyclingAllocator a = new RecyclingAllocator(new RecyclingAllocator.Budget(64L << 20));
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
        RecyclingAllocator a = new RecyclingAllocator(new RecyclingAllocator.Budget(64L << 20));
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
        RecyclingAllocator a = new RecyclingAllocator(new RecyclingAllocator.Budget(64L << 20));
        int size = 1 << 24;
        ByteBuffer[] buffers = new ByteBuffer[(int) ((64L << 20) / size) + 1];
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

    @Test
    void allThreadsTogetherKeepNoMoreThanOneBudget() throws Exception {
        RecyclingAllocator.Budget budget = new RecyclingAllocator.Budget(4 << 20);
        int size = 1 << 20;
        RecyclingAllocator mine = new RecyclingAllocator(budget);
        ByteBuffer[] buffers = new ByteBuffer[3];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = mine.allocate(size);
        }
        for (ByteBuffer b : buffers) {
            mine.release(b);
        }
        assertThat(budget.kept().get()).isEqualTo(3L << 20);

        // another thread's pool may only fill what is left of the one budget
        Thread other = new Thread(() -> {
            RecyclingAllocator theirs = new RecyclingAllocator(budget);
            ByteBuffer x = theirs.allocate(size);
            ByteBuffer y = theirs.allocate(size);
            theirs.release(x);
            theirs.release(y); // over the budget: dropped
        });
        other.start();
        other.join();
        assertThat(budget.kept().get()).isEqualTo(4L << 20);

        // larger than a quarter of the budget: never kept
        RecyclingAllocator.Budget small = new RecyclingAllocator.Budget(4 << 20);
        RecyclingAllocator pool = new RecyclingAllocator(small);
        pool.release(pool.allocate(2 << 20));
        assertThat(small.kept().get()).isZero();
    }

    @Test
    void aDroppedPoolGivesItsShareBack() throws Exception {
        RecyclingAllocator.Budget budget = new RecyclingAllocator.Budget(4 << 20);
        Thread helper = new Thread(() -> {
            RecyclingAllocator pool = new RecyclingAllocator(budget);
            pool.release(pool.allocate(1 << 20));
        });
        helper.start();
        helper.join();
        assertThat(budget.kept().get()).isEqualTo(1L << 20);
        for (int i = 0; i < 100 && budget.kept().get() != 0; i++) {
            System.gc(); // the pool is unreachable: its cleaner runs after a collection
            Thread.sleep(20);
        }
        assertThat(budget.kept().get()).isZero();
    }
}
