package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
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
}
