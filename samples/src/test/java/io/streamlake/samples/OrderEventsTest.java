package io.streamlake.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class OrderEventsTest {

    @Test
    void everyEventHasExactlyOnePartitionAndPositionInOrder() {
        for (long[] c : new long[][] {{1000, 100, 4}, {1003, 7, 4}, {10, 100, 4}, {0, 5, 3}, {50, 1, 2}}) {
            OrderEvents events = new OrderEvents(c[0], c[1], (int) c[2]);
            BitSet seen = new BitSet();
            long total = 0;
            for (int p = 0; p < c[2]; p++) {
                long previous = -1;
                for (long pos = 0; pos < events.size(p); pos++) {
                    long i = events.eventIndex(p, pos);
                    assertThat(i).isGreaterThan(previous).isLessThan(c[0]);
                    assertThat((i % c[1]) % c[2]).isEqualTo(p);
                    assertThat(seen.get((int) i)).isFalse();
                    seen.set((int) i);
                    previous = i;
                }
                total += events.size(p);
            }
            assertThat(total).isEqualTo(c[0]);
        }
    }

    @Test
    void eventsAreDeterministicAndStatusesProgress() {
        OrderEvents events = new OrderEvents(40, 10, 4);
        assertThat(events.json(3)).isEqualTo(new OrderEvents(40, 10, 4).json(3));
        assertThat(events.json(3)).contains("\"order_id\":\"ORD-00000003\"", "\"status\":\"CREATED\"",
                "\"updated_at\":\"2026-01-01T00:00:00.021Z\"");
        assertThat(events.json(13)).contains("\"order_id\":\"ORD-00000003\"", "\"status\":\"PAID\"");
        assertThat(events.json(33)).contains("\"status\":\"DELIVERED\"");
        assertThat(OrderEvents.orderId(123_456_789L)).isEqualTo("ORD-123456789");
    }
}
