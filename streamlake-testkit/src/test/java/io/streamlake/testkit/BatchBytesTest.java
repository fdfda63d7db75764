package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.testing.BoundedBatches;
import io.streamlake.core.testing.NoMarkers;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.source.BatchLimits;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Batches bounded by bytes and by delay: the in-memory hub's reader on its own, and a pipeline through
 * the driver whose batches are cut by {@link Pipeline#withMaxBatchBytes} with bronze and silver exact.
 */
class BatchBytesTest {
    private static final int KIB = 1024;

    @Test
    void theHubsReaderCutsBatchesByBytesAndAnOversizeEventMakesABatchAlone() {
        InMemoryHub hub = InMemoryHub.create("big", 3);
        Map<SourcePartition, List<byte[]>> sent = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            int partition = i % 3;
            // event 17 is larger than a whole batch may be
            byte[] value = BoundedBatches.value(i, i == 17 ? 300 * KIB : 64 * KIB);
            hub.send(partition, null, value, Map.of());
            sent.computeIfAbsent(new SourcePartition("big", partition), p -> new ArrayList<>()).add(value);
        }
        BatchLimits limits = new BatchLimits(1_000, 256 * KIB, Duration.ofSeconds(5), Duration.ofSeconds(5));
        try (SourceReader reader = hub.open(new NoMarkers("p"))) {
            List<List<SourceRecord>> batches = BoundedBatches.pollAll(reader, limits, 40, Duration.ofSeconds(60));
            BoundedBatches.assertEachOnceInOrder(batches, sent);
            assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeLessThanOrEqualTo(4));
            assertThat(batches).anySatisfy(b -> assertThat(b).singleElement()
                    .satisfies(r -> assertThat(r.value()).hasSize(300 * KIB)));
            assertThat(reader.poll(limits.withMaxDelay(Duration.ZERO)).isEmpty() && reader.caughtUp()).isTrue();
        }
    }

    /**
     * The hub's reader never waits for more once it holds an event, so a trickle is handed over at
     * once, long before the poll's wait: the delay never has to cut it.
     */
    @Test
    void aTrickleIsHandedOverWithoutWaitingForMore() throws Exception {
        InMemoryHub hub = InMemoryHub.create("trickle", 1);
        try (SourceReader reader = hub.open(new NoMarkers("p"))) {
            BoundedBatches.pollDuringTrickle(reader, i -> hub.send(0, null, "e" + i), Duration.ofMillis(50));
        }
    }

    @Test
    void aPipelineCommitsBatchesCutByBytesAndBronzeAndSilverHoldEveryEventOnce() {
        InMemoryHub hub = InMemoryHub.create("orders", 2);
        Pipeline pipeline = Pipeline.from(hub)
                .bronze("bronze/orders")
                .silver("silver/orders", "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withMaxBatchBytes(40 * KIB);
        int events = 30;
        Map<String, String> latest = new HashMap<>();
        for (int i = 0; i < events; i++) {
            String order = "o-" + (i % 12);
            String status = "S" + i;
            // 10 KiB less a little for the key: four fit in a batch of 40 KiB, five do not
            hub.send(order, Orders.padded(Orders.json(order, status, i), 10 * KIB - 8));
            latest.put(order, status);
        }
        List<Integer> batchSizes = new ArrayList<>();
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            for (int n; (n = driver.runOneBatch()) > 0;) {
                batchSizes.add(n);
            }
            assertThat(batchSizes).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(4));
            assertThat(batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(events);
            assertThat(driver.bronze()).hasRowCount(events).hasNoDuplicates("partition", "position");
            assertThat(driver.silver()).hasRowCount(latest.size()).hasNoDuplicates("order_id");
            latest.forEach((order, status) -> assertThat(driver.silver())
                    .hasRow(Map.of("order_id", order, "status", status)));
            List<Object> values = driver.bronze().column("value");
            assertThat(values).allSatisfy(v -> assertThat(new String((byte[]) v, StandardCharsets.UTF_8))
                    .endsWith("x\"}"));
        }
    }
}
