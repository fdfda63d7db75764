package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.source.Source;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The engine through the driver, on in-memory tables: exactly-once at every crash point. */
class PipelineTestDriverTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 3);
    private final Pipeline pipeline = Pipeline.from(hub)
            .bronze("bronze/orders")
            .silver("silver/orders", "order_id")
            .withSchema(Orders.SCHEMA)
            .withMergeStrategy(MergeStrategies.latestBy("updated_at"));

    @Test
    void bronzeHoldsEveryEventAndSilverTheLatestPerKey() {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            hub.send("o-1", Orders.json("o-1", "CREATED", 0));
            hub.send("o-2", Orders.json("o-2", "CREATED", 1));
            hub.send("o-1", Orders.json("o-1", "PAID", 2));
            assertThat(driver.runOneBatch()).isEqualTo(3);

            assertThat(driver.bronze()).hasRowCount(3).hasNoDuplicates("partition", "position");
            assertThat(driver.silver()).hasRowCount(2).hasNoDuplicates("order_id")
                    .hasRow(Map.of("order_id", "o-1", "status", "PAID"))
                    .hasRow(Map.of("order_id", "o-2", "status", "CREATED"));
            assertThat(driver.runOneBatch()).isZero();
        }
    }

    @Test
    @SuppressWarnings("removal")
    void theDeprecatedNamesStillRunABatchAndUntilCaughtUp() {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline.withMaxBatchRecords(2))) {
            sendOrders(0, 5);
            assertThat(driver.pipe()).isEqualTo(2);
            assertThat(driver.pipeUntilCaughtUp()).isEqualTo(3);
            assertThat(driver.bronze()).hasRowCount(5);
            assertThat(driver.silver()).hasRowCount(5);
        }
    }

    @Test
    void runUntilCaughtUpEndsWhenItsThreadIsInterruptedThoughTheSourceNeverCatchesUp() throws Exception {
        // a source that delivers nothing and never says it is caught up, as a stuck one would: the loop
        // must end once its thread is interrupted (a test's timeout), not spin on empty polls
        Source stuck = PollingSource.of("stuck", List::of); // as the in-memory hub's poll returns once interrupted
        try (PipelineTestDriver driver =
                PipelineTestDriver.inMemory(Pipeline.from(stuck).bronze("bronze/stuck").bronzeOnly())) {
            CompletableFuture<Throwable> ended = new CompletableFuture<>();
            CountDownLatch looping = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                looping.countDown();
                try {
                    driver.runUntilCaughtUp();
                    ended.complete(null);
                } catch (Throwable e) {
                    ended.complete(e);
                }
            }, "runs-until-caught-up");
            t.start();
            assertThat(looping.await(30, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200); // some empty batches
            t.interrupt();
            assertThat(ended.get(30, TimeUnit.SECONDS)).isInstanceOf(StreamLakeException.class)
                    .hasMessageContaining("runUntilCaughtUp of pipeline").hasMessageContaining("interrupted after")
                    .hasMessageContaining("before its source caught up");
            t.join(30_000);
            assertThat(t.isAlive()).isFalse();
        }
    }

    @Test
    void outOfOrderEventsResolveBySequenceAcrossBatches() {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            hub.send("o-1", Orders.json("o-1", "SHIPPED", 10));
            driver.runOneBatch();
            hub.send("o-1", Orders.json("o-1", "PAID", 5)); // late, older
            driver.runOneBatch();
            assertThat(driver.silver()).hasRowCount(1).hasRow(Map.of("order_id", "o-1", "status", "SHIPPED"));
            assertThat(driver.bronze()).hasRowCount(2);
        }
    }

    @Test
    void firstWinsKeepsTheFirstRow() {
        try (PipelineTestDriver driver =
                PipelineTestDriver.inMemory(pipeline.withMergeStrategy(MergeStrategies.firstWins()))) {
            hub.send("o-1", Orders.json("o-1", "CREATED", 0));
            hub.send("o-1", Orders.json("o-1", "PAID", 1));
            driver.runOneBatch();
            hub.send("o-1", Orders.json("o-1", "SHIPPED", 2));
            driver.runOneBatch();
            assertThat(driver.silver()).hasRowCount(1).hasRow(Map.of("order_id", "o-1", "status", "CREATED"));
        }
    }

    @Test
    void crashBeforeBronzeCommitLosesNothingAndDuplicatesNothing() {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            sendOrders(0, 20);
            driver.crashBeforeNextCommit(Stage.BRONZE);
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            assertThat(driver.bronze()).hasRowCount(0);

            driver.runUntilCaughtUp();
            assertThat(driver.bronze()).hasRowCount(20).hasNoDuplicates("partition", "position");
            assertThat(driver.silver()).hasRowCount(20).hasNoDuplicates("order_id");
            assertThat(driver.starts()).isEqualTo(2);
        }
    }

    @Test
    void crashBetweenBronzeAndSilverCommitsIsRepairedOnRestart() {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            sendOrders(0, 10);
            driver.runOneBatch();
            sendOrders(10, 25);
            driver.crashAfterNextCommit(Stage.BRONZE);
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            assertThat(driver.bronze()).hasRowCount(25);
            assertThat(driver.silver()).hasRowCount(10);

            assertThat(driver.runOneBatch()).isZero(); // restart: silver catches up from bronze, nothing new to poll
            assertThat(driver.silver()).hasRowCount(25).hasNoDuplicates("order_id");
            assertThat(driver.silver()).hasMarker("streamlake/silver", driver.bronze().version());
        }
    }

    @Test
    void crashBeforeSilverCommitAndFailedCommitsAreRetriedExactlyOnce() {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            sendOrders(0, 5);
            driver.crashBeforeNextCommit(Stage.SILVER);
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            sendOrders(5, 8);
            driver.failNextCommit(Stage.BRONZE);
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SinkException.class).hasMessageContaining("BRONZE");
            driver.runUntilCaughtUp();
            assertThat(driver.bronze()).hasRowCount(8).hasNoDuplicates("partition", "position");
            assertThat(driver.silver()).hasRowCount(8).hasNoDuplicates("order_id");
        }
    }

    @Test
    void bronzeMarkersRecordTheLastPositionOfEachPartition() {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            hub.send(0, "a", Orders.json("a", "CREATED", 0));
            hub.send(0, "b", Orders.json("b", "CREATED", 0));
            hub.send(2, "c", Orders.json("c", "CREATED", 0));
            driver.runOneBatch();
            assertThat(driver.bronze())
                    .hasMarker("streamlake/orders/0", 1)
                    .hasMarker("streamlake/orders/2", 0)
                    .hasMarker("streamlake/orders/1", -1);
        }
    }

    @Test
    void withoutAQuarantineTableAMalformedValueStopsThePipelineNamingTheRecordAndBronzeKeepsIt() {
        Pipeline noQuarantine = Pipeline.from(hub).bronze("bronze/orders")
                .silver(io.streamlake.table.TableRef.of(InMemoryTable.create("silver")), "order_id")
                .withSchema(Orders.SCHEMA);
        assertThat(noQuarantine.quarantine()).isEmpty();
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(noQuarantine)) {
            hub.send(1, "bad".getBytes(StandardCharsets.UTF_8), "{not json".getBytes(StandardCharsets.UTF_8), Map.of());
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining("orders/1@0").hasMessageContaining("withQuarantine");
            assertThat(driver.bronze()).hasRowCount(1);
        }
    }

    @Test
    void manyBatchesKeepSilverFilesSplitAndPrunable() {
        Pipeline small = pipeline.withTargetFileRows(10).withMaxBatchRecords(7);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(small)) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 40; i++) {
                    hub.send("k" + i, Orders.json("k" + i, "S" + round, round * 100 + i));
                }
            }
            driver.runUntilCaughtUp();
            TableContents silver = driver.silver();
            assertThat(silver).hasRowCount(40).hasNoDuplicates("order_id").column("status").containsOnly("S2");
            assertThat(silver.files()).allSatisfy(f -> assertThat(f.rowCount()).isLessThanOrEqualTo(10));
        }
    }

    @Test
    void aBatchRewritesOnlyTheFilesThatHoldItsKeys() {
        Pipeline small = pipeline.withTargetFileRows(10);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(small)) {
            for (int i = 0; i < 100; i++) {
                String id = String.format("k%03d", i);
                hub.send(id, Orders.json(id, "CREATED", i));
            }
            driver.runOneBatch();
            java.util.Set<String> before = paths(driver.silver());
            assertThat(before).hasSize(10);

            hub.send("k042", Orders.json("k042", "PAID", 500));
            driver.runOneBatch();
            java.util.Set<String> after = paths(driver.silver());
            assertThat(after).hasSize(10);
            assertThat(before).containsAll(difference(before, after));
            assertThat(difference(before, after)).hasSize(1); // one file replaced, nine untouched

            hub.send("k042", Orders.json("k042", "STALE", 1)); // older: latestBy keeps the row, nothing rewritten
            driver.runOneBatch();
            assertThat(paths(driver.silver())).isEqualTo(after);

            hub.send("k999", Orders.json("k999", "CREATED", 600)); // a new key past every file goes to the last one
            driver.runOneBatch();
            assertThat(difference(after, paths(driver.silver()))).hasSize(1);
            assertThat(driver.silver()).hasRowCount(101).hasRow(Map.of("order_id", "k042", "status", "PAID"));
        }
    }

    private static java.util.Set<String> paths(TableContents t) {
        return t.files().stream().map(io.streamlake.table.DataFile::path).collect(java.util.stream.Collectors.toSet());
    }

    private static java.util.Set<String> difference(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> d = new java.util.HashSet<>(a);
        d.removeAll(b);
        return d;
    }

    private void sendOrders(int from, int to) {
        for (int i = from; i < to; i++) {
            hub.send("o-" + i, Orders.json("o-" + i, "CREATED", i));
        }
    }
}
