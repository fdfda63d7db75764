package io.streamlake.testkit.kafka;

import io.streamlake.testkit.PipelineTestDriver;
import java.time.Duration;

/** What the Kafka integration tests share. */
final class KafkaTesting {
    private KafkaTesting() {
    }

    /**
     * Runs batches until the armed fault fires: with a real broker the first polls may return nothing
     * while the consumer joins its group.
     */
    static void runUntilFailure(PipelineTestDriver driver) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                driver.runOneBatch();
            } catch (RuntimeException | Error expected) {
                return;
            }
        }
        throw new AssertionError("the armed fault never fired");
    }
}
