package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.merge.MergeStrategies;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compaction changes the files, never the rows; streaming consumers of the tables skip it. */
class CompactionTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 2);

    @Test
    void smallFilesAreCombinedAndTheTablesReadTheSame(@TempDir Path lake) {
        Pipeline p = Pipeline.from(hub)
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withTargetFileRows(40)
                .withCompaction(3);
        String bronze = lake.resolve("bronze").toString();
        String silver = lake.resolve("silver").toString();
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            for (int batch = 0; batch < 8; batch++) {
                for (int i = 0; i < 5; i++) {
                    int n = batch * 5 + i;
                    hub.send("o-" + (n * 7 % 60), Orders.json("o-" + (n * 7 % 60), "S" + n, n));
                }
                driver.runOneBatch();
            }
            int bronzeFilesBefore = driver.bronze().files().size();
            List<String> bronzeBefore = sorted(KernelReader.rows(bronze));
            List<String> silverBefore = sorted(KernelReader.rows(silver));
            long silverMarker = driver.silver().marker("streamlake/silver").orElseThrow();

            assertThat(driver.compact()).isPositive();
            assertThat(driver.bronze().files().size()).isLessThan(bronzeFilesBefore);
            assertThat(driver.bronze().files()).allSatisfy(f -> assertThat(f.rowCount()).isLessThanOrEqualTo(40));
            assertThat(sorted(KernelReader.rows(bronze))).isEqualTo(bronzeBefore);
            assertThat(sorted(KernelReader.rows(silver))).isEqualTo(silverBefore);
            assertThat(driver.silver()).hasMarker("streamlake/silver", silverMarker);

            // The rearranged bronze files are not new data: silver does not replay them, and merges go on.
            hub.send("o-1", Orders.json("o-1", "LAST", 1000));
            driver.runOneBatch();
            driver.restart();
            driver.runOneBatch();
            assertThat(driver.bronze()).hasRowCount(41).hasNoDuplicates("partition", "position");
            assertThat(driver.silver()).hasNoDuplicates("order_id").hasRow(Map.of("order_id", "o-1", "status", "LAST"));
            long keys =
                    java.util.stream.Stream.concat(java.util.stream.IntStream.range(0, 40).mapToObj(n -> n * 7 % 60),
                            java.util.stream.Stream.of(1)).distinct().count();
            assertThat(KernelReader.rows(silver)).hasSize((int) keys);
        }
    }

    /**
     * A streaming run compacts bronze on its maintenance thread, beside bronze's appends, which go on;
     * the two commit side by side and the table holds every event once.
     */
    @Test
    void aStreamingRunCompactsBronzeBesideItsAppends(@TempDir Path lake) throws Exception {
        String bronze = lake.resolve("bronze").toString();
        Pipeline p = Pipeline.from(hub).bronze(bronze).silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA).withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withTargetFileRows(200).withCompaction(3).withMaxBatchRecords(5)
                .withPollTimeout(java.time.Duration.ofMillis(10));
        int events = 600;
        try (io.streamlake.PipelineRun run = p.start()) {
            for (int n = 0; n < events; n++) {
                hub.send(Orders.key(n), Orders.event(n));
                if (n % 20 == 0) {
                    Thread.sleep(2); // batches of every size, while compactions run
                }
            }
            io.streamlake.core.delta.DeltaTable table = io.streamlake.core.delta.DeltaTable.open(bronze, Map.of());
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (run.progress().eventsIngested() < events || table.history(0, table.snapshot().version()).stream()
                    .noneMatch(c -> String.valueOf(c.userMetadata()).contains("\"flow\":\"compaction\""))) {
                assertThat(System.nanoTime()).as("every event in bronze, and a compaction, within 60 s")
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
        }
        List<Map<String, Object>> rows = KernelReader.rows(bronze);
        assertThat(rows).hasSize(events);
        assertThat(rows.stream().map(r -> r.get("partition") + "@" + r.get("position")).distinct()).hasSize(events);
        Orders.assertSilverHoldsLatestStatus(lake.resolve("silver").toString(), events);
    }

    @Test
    void nothingHappensBelowTheThresholdOrWhenTurnedOff() {
        Pipeline p = Pipeline.from(hub).bronze("b").silver("s", "order_id").withSchema(Orders.SCHEMA)
                .withTargetFileRows(100);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(p.withoutCompaction())) {
            for (int i = 0; i < 12; i++) {
                hub.send("k" + i, Orders.json("k" + i, "S", i));
                driver.runOneBatch();
            }
            assertThat(driver.compact()).isZero();
            assertThat(driver.bronze().files()).hasSize(12);
        }
    }

    @Test
    void bronzeCompactionKeepsEachPartitionsPositionsInArrivalOrderInMemoryToo() {
        Pipeline p = Pipeline.from(hub).bronze("b").bronzeOnly().withTargetFileRows(30).withCompaction(3);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(p)) {
            int sent = 0;
            for (int batch = 0; batch < 12; batch++) {
                // batch 5 is a file too large to compact: the runs before and after it are replaced in place
                for (int i = 0; i < (batch == 5 ? 20 : 4); i++) {
                    hub.send("k" + sent++, Orders.json("k" + i, "S", batch));
                }
                driver.runOneBatch();
            }
            assertThat(driver.compact()).isEqualTo(11);
            Map<Object, Long> last = new java.util.HashMap<>();
            for (io.streamlake.schema.Row r : driver.bronze().rows()) {
                Long before = last.put(r.value("partition"), r.longValue("position"));
                assertThat(before == null || before < r.longValue("position"))
                        .as("partition %s position %s after %s", r.value("partition"), r.value("position"), before)
                        .isTrue();
            }
            assertThat(driver.bronze()).hasRowCount(64);
            assertThat(driver.bronze().files()).hasSize(3);
        }
    }

    private static List<String> sorted(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> new java.util.TreeMap<>(r.entrySet().stream()
                .filter(e -> !e.getKey().equals("ingestion_time"))
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue() instanceof byte[] b
                        ? java.util.HexFormat.of().formatHex(b) : String.valueOf(e.getValue()))))
                .toString())
                .sorted(Comparator.naturalOrder()).collect(Collectors.toList());
    }
}
