package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.core.util.MemoryBudget;
import org.junit.jupiter.api.Test;

/**
 * How many raw bytes one silver merge takes: the batches silver may lag behind, within the heap's
 * merge budget, and never less than one batch.
 */
class MergeBytesTest {
    private static final long MIB = 1L << 20;

    private static Pipeline pipeline(long batchBytes, int lag) {
        return Pipeline.from(KafkaSource.topics("127.0.0.1:9", "orders")).bronze("/tmp/unused/bronze")
                .silver("/tmp/unused/silver", "id").withMaxBatchBytes(batchBytes).withMaxSilverLag(lag);
    }

    @Test
    void aMergeTakesTheLaggedBatchesWithinTheHeapsBudget() {
        long budget = MemoryBudget.JVM.mergeBytes();
        assertThat(SilverStage.mergeBytes(pipeline(MIB, 3))).isEqualTo(Math.min(3 * MIB, budget));
        assertThat(SilverStage.mergeBytes(pipeline(MIB, 100_000))).isEqualTo(budget);
    }

    @Test
    void aMergeNeverTakesLessThanOneBatch() {
        long batch = MemoryBudget.JVM.mergeBytes() * 2;
        assertThat(SilverStage.mergeBytes(pipeline(batch, 4))).isEqualTo(batch);
        assertThat(SilverStage.mergeBytes(pipeline(Long.MAX_VALUE / 2, 4))).isEqualTo(Long.MAX_VALUE / 2);
    }

    @Test
    void theBudgetFollowsTheHeapUpToAQuarterGiB() {
        assertThat(MemoryBudget.of(240 * MIB).mergeBytes()).isEqualTo(10 * MIB);
        assertThat(MemoryBudget.of(1536 * MIB).mergeBytes()).isEqualTo(64 * MIB);
        assertThat(MemoryBudget.of(16_384 * MIB).mergeBytes()).isEqualTo(256 * MIB);
        assertThat(MemoryBudget.of(16 * MIB).mergeBytes()).isEqualTo(4 * MIB);
    }
}
