package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.event.BatchCommitted;
import io.streamlake.quality.Expectation;
import io.streamlake.table.EventLogLayout;
import io.streamlake.table.TableCommit;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event log, read back with Delta Kernel: one row per commit of each flow with the batch's
 * figures, life-cycle rows, and every commit exactly once across crashes and failed writes.
 */
class EventLogTest {
    @TempDir Path lake;
    private final InMemoryHub hub = InMemoryHub.create("orders", 2);

    private Pipeline pipeline() {
        return pipeline(lake);
    }

    private Pipeline pipeline(Path dir) {
        return Orders.checkedPipeline(hub, dir + "/").withEventLog(dir.resolve("events").toString())
                .withName("orders-ingest");
    }

    @Test
    void eachBatchIsOneRowPerFlowWithItsFiguresBetweenAStartAndAStop() {
        List<BatchCommitted> batches;
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            hub.send(0, "o-1", Orders.json("o-1", "CREATED", 0));
            hub.send(1, "o-2", Orders.json("o-2", "CREATED", 1).replace("\"items\":2", "\"items\":0"));
            hub.send(0, "o-1", Orders.json("o-1", "PAID", 2));
            driver.runOneBatch();
            hub.send(1, "o-3", Orders.json("o-3", "CREATED", 3));
            driver.runOneBatch();
            batches = driver.events(BatchCommitted.class);
        }
        List<Map<String, Object>> rows = KernelReader.rows(lake.resolve("events").toString());
        assertThat(rows).extracting(r -> r.get(EventLogLayout.EVENT_TYPE)).contains("started", "stopped");
        assertThat(rows).allMatch(r -> "orders-ingest".equals(r.get(EventLogLayout.PIPELINE)));

        List<Map<String, Object>> bronze = flow(rows, "bronze");
        assertThat(bronze).hasSize(2);
        for (int i = 0; i < 2; i++) {
            BatchCommitted b = batches.get(i);
            Map<String, Object> r = bronze.get(i);
            assertThat(r.get(EventLogLayout.TABLE_VERSION)).isEqualTo(b.bronzeVersion());
            assertThat(r.get(EventLogLayout.BRONZE_FROM)).isEqualTo(b.bronzeVersion());
            assertThat(r.get(EventLogLayout.EVENTS)).isEqualTo((long) b.events());
            assertThat(r.get(EventLogLayout.BYTES)).isEqualTo(b.bytes());
            assertThat((String) r.get(EventLogLayout.DETAILS)).contains("\"positions\":[");
        }
        List<Map<String, Object>> silver = flow(rows, "silver");
        // the first start records that silver is level with bronze's creation, then one merge per batch
        assertThat(silver).extracting(r -> r.get(EventLogLayout.ROWS_CHANGED)).containsExactly(0L, 1L, 1L);
        assertThat(silver).extracting(r -> r.get(EventLogLayout.QUARANTINED)).containsExactly(0L, 1L, 0L);
        assertThat(silver.get(1).get(EventLogLayout.BRONZE_TO)).isEqualTo(batches.get(0).bronzeVersion());
        assertThat((String) silver.get(1).get(EventLogLayout.DETAILS))
                .contains("{\"name\":\"positive_items\",\"action\":\"QUARANTINE\",\"passed\":2,\"failed\":1}")
                .contains("\"inserted\":1,\"updated\":0,\"deleted\":0");
        assertThat(silver.get(2).get(EventLogLayout.FILES_ADDED)).isEqualTo(1L);
        assertThat(silver.get(2).get(EventLogLayout.FILES_REMOVED)).as("the second merge rewrote the first's file")
                .isEqualTo(1L);
        assertThat(silver).allSatisfy(r -> assertThat((Long) r.get(EventLogLayout.DURATION_MS)).isNotNegative());
        assertThat(bronze).allSatisfy(r -> assertThat(r.get(EventLogLayout.FILES_ADDED)).isEqualTo(1L));
        // the quarantine's own commit: the one record of the first batch, by its rule
        List<Map<String, Object>> quarantine = flow(rows, "quarantine");
        assertThat(quarantine).singleElement().satisfies(r -> {
            assertThat(r.get(EventLogLayout.QUARANTINED)).isEqualTo(1L);
            assertThat(r.get(EventLogLayout.BRONZE_TO)).isEqualTo(batches.get(0).bronzeVersion());
            assertThat((String) r.get(EventLogLayout.DETAILS)).contains("\"rules\":{\"positive_items\":1}");
        });
    }

    @Test
    void aCrashAtAnyCommitLeavesEveryFlowCommitInTheLogExactlyOnce() {
        for (Stage crashed : List.of(Stage.BRONZE, Stage.SILVER, Stage.EVENT_LOG)) {
            Path dir = lake.resolve(crashed.name());
            try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(dir))) {
                hub.send("o-" + crashed, Orders.json("o-1", "CREATED", 0));
                driver.runOneBatch();
                driver.crashAfterNextCommit(crashed);
                hub.send("o-" + crashed, Orders.json("o-1", "PAID", 1));
                // the event log is written when the run ends: the crash comes with the restart below
                if (crashed == Stage.EVENT_LOG) {
                    driver.runOneBatch();
                    assertThatThrownBy(driver::restart).isInstanceOf(SimulatedCrash.class);
                } else {
                    assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
                }
                hub.send("o-" + crashed, Orders.json("o-2", "CREATED", 2));
                driver.runUntilCaughtUp();
                driver.restart();
                assertExactlyOnce(dir, driver.bronzeTable().history(0, Long.MAX_VALUE), "bronze", crashed);
            }
        }
    }

    @Test
    void aFailedEventLogWriteNeitherStopsIngestionNorLosesRows() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            driver.failNextCommit(Stage.EVENT_LOG); // the start's write fails
            hub.send("o-1", Orders.json("o-1", "CREATED", 0));
            assertThat(driver.runOneBatch()).isEqualTo(1);
            hub.send("o-2", Orders.json("o-2", "CREATED", 1));
            assertThat(driver.runOneBatch()).isEqualTo(1);
        }
        List<Map<String, Object>> rows = KernelReader.rows(lake.resolve("events").toString());
        assertThat(flow(rows, "bronze")).hasSize(2);
        assertThat(rows).extracting(r -> r.get(EventLogLayout.EVENT_TYPE)).containsOnlyOnce("started", "stopped");
    }

    @Test
    void aFailureIsLoggedWithItsMessage() {
        Pipeline strict = pipeline().withExpectation(Expectation.fail("never_paid",
                r -> !"PAID".equals(r.value("status"))));
        try (PipelineTestDriver driver = PipelineTestDriver.create(strict)) {
            hub.send("o-1", Orders.json("o-1", "PAID", 0));
            assertThatThrownBy(driver::runOneBatch).hasMessageContaining("never_paid");
        }
        List<Map<String, Object>> failed = KernelReader.rows(lake.resolve("events").toString()).stream()
                .filter(r -> "failed".equals(r.get(EventLogLayout.EVENT_TYPE))).toList();
        assertThat(failed).singleElement().satisfies(r -> {
            assertThat((String) r.get(EventLogLayout.MESSAGE)).contains("never_paid");
            assertThat((String) r.get(EventLogLayout.DETAILS)).contains("\"exception\":");
        });
    }

    private static void assertExactlyOnce(Path dir, List<TableCommit> bronzeHistory, String flow, Stage crashed) {
        List<Map<String, Object>> rows = KernelReader.rows(dir.resolve("events").toString());
        Map<Object, Long> perVersion = flow(rows, flow).stream().collect(
                Collectors.groupingBy(r -> r.get(EventLogLayout.TABLE_VERSION), Collectors.counting()));
        List<Long> batchVersions = bronzeHistory.stream().filter(c -> c.userMetadata() != null)
                .map(TableCommit::version).toList();
        assertThat(perVersion).as("crash at %s: each bronze batch's row once", crashed)
                .containsOnlyKeys(batchVersions.toArray()).allSatisfy((v, n) -> assertThat(n).isEqualTo(1));
        Map<Object, Long> silverVersions = flow(rows, "silver").stream().collect(
                Collectors.groupingBy(r -> r.get(EventLogLayout.TABLE_VERSION), Collectors.counting()));
        assertThat(silverVersions.values()).as("crash at %s: each silver merge's row once", crashed)
                .allMatch(n -> n == 1);
        Map<Object, Long> quarantineVersions = flow(rows, "quarantine").stream().collect(
                Collectors.groupingBy(r -> r.get(EventLogLayout.TABLE_VERSION), Collectors.counting()));
        assertThat(quarantineVersions.values()).as("crash at %s: each quarantine commit's row once", crashed)
                .allMatch(n -> n == 1);
        // every bronze version is covered by exactly one silver merge
        List<long[]> ranges = flow(rows, "silver").stream().map(r -> new long[] {
                (Long) r.get(EventLogLayout.BRONZE_FROM), (Long) r.get(EventLogLayout.BRONZE_TO)}).toList();
        for (long v : batchVersions) {
            assertThat(ranges.stream().filter(r -> r[0] <= v && v <= r[1]).count())
                    .as("crash at %s: bronze version %d merged once", crashed, v).isEqualTo(1);
        }
    }

    private static List<Map<String, Object>> flow(List<Map<String, Object>> rows, String flow) {
        return rows.stream().filter(r -> "flow_progress".equals(r.get(EventLogLayout.EVENT_TYPE))
                && flow.equals(r.get(EventLogLayout.FLOW)))
                .sorted(Comparator.comparing(r -> (Long) r.get(EventLogLayout.TABLE_VERSION)))
                .toList();
    }
}
