package io.streamlake.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bounds of a poll: what they admit, when the delay has passed, and a reader that predates them. */
class BatchLimitsTest {
    private static final SourcePartition P = new SourcePartition("s", 0);

    private static SourceRecord record(int keyBytes, int valueBytes) {
        return new SourceRecord(P, 0, keyBytes < 0 ? null : new byte[keyBytes],
                valueBytes < 0 ? null : new byte[valueBytes], Map.of(), Instant.EPOCH);
    }

    @Test
    void aRecordCountsItsKeyAndValueBytes() {
        assertThat(BatchLimits.bytes(record(3, 10))).isEqualTo(13);
        assertThat(BatchLimits.bytes(record(-1, 10))).isEqualTo(10);
        assertThat(BatchLimits.bytes(record(-1, -1))).isZero();
    }

    @Test
    void aBatchTakesRecordsUpToTheBytesAndRecordsAndAnOversizeRecordAlone() {
        BatchLimits limits = new BatchLimits(3, 100, Duration.ZERO, Duration.ZERO);
        assertThat(limits.admits(0, 0, 40)).isTrue();
        assertThat(limits.admits(1, 40, 60)).isTrue(); // exactly the bound
        assertThat(limits.admits(2, 100, 1)).isFalse();
        assertThat(limits.admits(2, 40, 61)).isFalse();
        assertThat(limits.admits(3, 10, 1)).as("records bound").isFalse();
        assertThat(limits.admits(0, 0, 1_000)).as("a record above the bound makes a batch of one").isTrue();
        assertThat(limits.admits(1, 1_000, 0)).isFalse();
    }

    @Test
    void theDelayPassesOnceTheFirstRecordHasWaitedIt() {
        BatchLimits limits = BatchLimits.of(10, Duration.ofSeconds(5)).withMaxDelay(Duration.ofNanos(100));
        assertThat(limits.delayPassed(1_000, 1_099)).isFalse();
        assertThat(limits.delayPassed(1_000, 1_100)).isTrue();
        assertThat(limits.waitLeftNanos(1_000, 1_000_000, 1_040)).isEqualTo(60);
        assertThat(limits.waitLeftNanos(1_000, 1_050, 1_040)).as("the poll's wait ends first").isEqualTo(10);
        assertThat(limits.waitLeftNanos(1_000, 1_050, 2_000)).isZero();
    }

    @Test
    void theOldBoundsHaveNoByteBoundAndNoDelayCut() {
        BatchLimits old = BatchLimits.of(5, Duration.ofDays(365 * 1000));
        assertThat(old.maxBytes()).isEqualTo(Long.MAX_VALUE);
        assertThat(old.admits(4, Long.MAX_VALUE - 1, 1)).isTrue();
        assertThat(old.delayPassed(Long.MIN_VALUE + 1, Long.MAX_VALUE - 1)).isFalse();
        assertThat(old.maxWaitNanos()).as("saturated, not an overflow").isEqualTo(Long.MAX_VALUE);
        assertThat(old.withMaxBytes(7).maxBytes()).isEqualTo(7);
        assertThat(old.withMaxDelay(Duration.ZERO).maxDelay()).isZero();
    }

    @Test
    void boundsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> new BatchLimits(0, 1, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRecords");
        assertThatThrownBy(() -> new BatchLimits(1, 0, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes");
        assertThatThrownBy(() -> new BatchLimits(1, 1, Duration.ofMillis(-1), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWait");
        assertThatThrownBy(() -> new BatchLimits(1, 1, Duration.ZERO, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxDelay");
        assertThatThrownBy(() -> new BatchLimits(1, 1, null, Duration.ZERO)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aReaderWrittenBeforeTheLimitsIsPolledWithTheirRecordsAndWait() {
        List<Object> asked = new ArrayList<>();
        SourceReader old = new SourceReader() {
            @Override
            public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                asked.add(maxRecords);
                asked.add(maxWait);
                return List.of();
            }

            @Override
            public void rewind() {
            }

            @Override
            public boolean caughtUp() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        old.poll(new BatchLimits(7, 100, Duration.ofMillis(30), Duration.ZERO));
        assertThat(asked).containsExactly(7, Duration.ofMillis(30));
    }
}
