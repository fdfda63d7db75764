package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.metrics.PipelineMetrics;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.BatchTimings;
import io.streamlake.event.PipelineListener;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.quality.Expectation;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourcePartition;
import io.streamlake.table.TableRef;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The Micrometer meters of a pipeline, read back exactly after runs with known inputs. */
class PipelineMetricsTest {
    private static final String NAME = "orders-metrics";
    private static final SourcePartition P0 = new SourcePartition("orders", 0);
    private static final SourcePartition P1 = new SourcePartition("orders", 1);

    private final MockClock clock = new MockClock();
    private final MeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    private final InMemoryHub hub = InMemoryHub.create("orders", 2);
    private final Pipeline pipeline = Orders.checkedPipeline(hub)
            .withExpectation(Expectation.drop("not_cancelled", r -> !"CANCELLED".equals(r.value("status"))))
            .withName(NAME)
            .withListener(PipelineMetrics.listener(registry));

    @Test
    void twoBatchesWithKnownInputsGiveExactValues() {
        String created = Orders.json("o-1", "CREATED", 0);
        String noItems = Orders.json("o-2", "CREATED", 1).replace("\"items\":2", "\"items\":0");
        String notJson = "not json";
        String cancelled = Orders.json("o-3", "CANCELLED", 2);
        String paid = Orders.json("o-1", "PAID", 3);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            assertThat(driver.runOneBatch()).isZero(); // started: the pipeline's meters exist, at zero
            assertThat(counter(PipelineMetrics.EVENTS)).isZero();
            assertThat(gauge(PipelineMetrics.COMMIT_AGE)).as("no commit yet").isNaN();

            hub.send(0, "o-1", created);
            hub.send(1, "o-2", noItems); // quarantined by positive_items
            hub.send(0, "o-9", notJson); // quarantined: it does not decode
            assertThat(driver.runOneBatch()).isEqualTo(3);
            clock.add(Duration.ofSeconds(30));
            hub.send(1, "o-3", cancelled); // dropped by not_cancelled
            hub.send(0, "o-1", paid);
            assertThat(driver.runOneBatch()).isEqualTo(2);
            clock.add(Duration.ofSeconds(7));

            assertThat(counter(PipelineMetrics.EVENTS)).isEqualTo(5);
            assertThat(counter(PipelineMetrics.BYTES)).isEqualTo(utf8("o-1", created, "o-2", noItems, "o-9", notJson,
                    "o-3", cancelled, "o-1", paid));
            assertThat(counter(PipelineMetrics.BATCHES)).isEqualTo(2);
            assertThat(counter(PipelineMetrics.SILVER_ROWS_CHANGED, "change", "inserted")).as("o-1").isEqualTo(1);
            assertThat(counter(PipelineMetrics.SILVER_ROWS_CHANGED, "change", "updated")).as("o-1 again").isEqualTo(1);
            assertThat(counter(PipelineMetrics.SILVER_ROWS_CHANGED, "change", "deleted")).isZero();
            assertThat(counter(PipelineMetrics.FILES_ADDED, "table", "bronze")).as("one file per batch").isEqualTo(2);
            assertThat(counter(PipelineMetrics.FILES_ADDED, "table", "silver")).as("one file per merge").isEqualTo(2);
            assertThat(counter(PipelineMetrics.FILES_REMOVED, "table", "silver")).as("the second merge rewrote the"
                    + " first's file").isEqualTo(1);
            assertThat(counter(PipelineMetrics.COMMIT_RETRIES, "table", "silver")).isZero();

            assertThat(counter(PipelineMetrics.RECORDS_QUARANTINED, "rule", "decode")).isEqualTo(1);
            assertThat(counter(PipelineMetrics.RECORDS_QUARANTINED, "rule", "positive_items")).isEqualTo(1);
            assertThat(counter(PipelineMetrics.RECORDS_DROPPED, "rule", "not_cancelled")).isEqualTo(1);
            assertThat(registry.find(PipelineMetrics.RECORDS_QUARANTINED).counters()).hasSize(2);
            assertThat(registry.find(PipelineMetrics.RECORDS_DROPPED).counters()).hasSize(1);
            // 4 records decoded; the rules check them in order, and a record stops at the first it fails
            assertExpectation("decode", "quarantine", 4, 1);
            assertExpectation("positive_items", "quarantine", 3, 1);
            assertExpectation("not_cancelled", "drop", 2, 1); // o-2 never reached it
            assertThat(registry.find(PipelineMetrics.COMMIT_CONFLICTS).counters()).isEmpty();

            assertThat(gauge(PipelineMetrics.COMMIT_AGE)).as("seconds since the second batch").isEqualTo(7.0);
            assertThat(gauge(PipelineMetrics.SOURCE_RECORDS_BEHIND, "partition", P0.toString())).isZero();
            assertThat(gauge(PipelineMetrics.SOURCE_RECORDS_BEHIND, "partition", P1.toString())).isZero();

            // each phase's timer holds both batches' timings, as the events told them
            List<BatchCommitted> batches = driver.events(BatchCommitted.class);
            assertPhase("poll", batches, BatchTimings::poll);
            assertPhase("bronze_write", batches, BatchTimings::bronzeWrite);
            assertPhase("bronze_commit", batches, BatchTimings::bronzeCommit);
            assertPhase("decode", batches, BatchTimings::decode);
            assertPhase("merge", batches, BatchTimings::merge);
            assertPhase("silver_commit", batches, BatchTimings::silverCommit);
            assertThat(registry.find(PipelineMetrics.BATCH_DURATION).timers()).hasSize(6);
            for (BatchCommitted b : batches) {
                BatchTimings t = b.timings();
                assertThat(t.bronzeWrite().plus(t.bronzeCommit())).isLessThanOrEqualTo(b.bronzeTime());
                assertThat(t.decode().plus(t.merge()).plus(t.silverCommit())).isLessThanOrEqualTo(b.silverTime());
                assertThat(t.bronzeCommit()).isPositive();
                assertThat(t.silverCommit()).isPositive();
            }
        }
    }

    @Test
    void recordsBehindIsWhatTheSourceHeldBeyondEachBatch() {
        for (int i = 0; i < 5; i++) {
            hub.send(0, "o-" + i, Orders.json("o-" + i, "CREATED", i));
            hub.send(1, "p-" + i, Orders.json("p-" + i, "CREATED", i));
        }
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline.withMaxBatchRecords(4))) {
            assertThat(driver.runOneBatch()).isEqualTo(4); // two of each partition's five
            assertThat(driver.events(BatchCommitted.class).get(0).recordsBehind()).isEqualTo(Map.of(P0, 3L, P1, 3L));
            assertThat(gauge(PipelineMetrics.SOURCE_RECORDS_BEHIND, "partition", P0.toString())).isEqualTo(3.0);
            assertThat(gauge(PipelineMetrics.SOURCE_RECORDS_BEHIND, "partition", P1.toString())).isEqualTo(3.0);
            assertThat(driver.runOneBatch()).isEqualTo(4);
            assertThat(gauge(PipelineMetrics.SOURCE_RECORDS_BEHIND, "partition", P0.toString())).isEqualTo(1.0);
            assertThat(driver.runOneBatch()).isEqualTo(2);
            assertThat(driver.events(BatchCommitted.class).get(2).recordsBehind()).isEqualTo(Map.of(P0, 0L, P1, 0L));
            assertThat(gauge(PipelineMetrics.SOURCE_RECORDS_BEHIND, "partition", P1.toString())).isZero();
        }
    }

    @Test
    void aStreamingRunsProgressTellsTheLagOfItsLastPoll() throws Exception {
        for (int i = 0; i < 10; i++) {
            hub.send(0, "o-" + i, Orders.json("o-" + i, "CREATED", i));
        }
        CountDownLatch firstBatch = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PipelineListener holdFirst = new PipelineListener() {
            @Override
            public void onBatchCommitted(BatchCommitted event) {
                if (event.batch() == 1) {
                    firstBatch.countDown();
                    await(release); // holds the run (a test only: listeners must not block)
                }
            }
        };
        Pipeline inMemory = Pipeline.from(hub)
                .bronze(TableRef.of(InMemoryTable.create("bronze/orders")))
                .silver(TableRef.of(InMemoryTable.create("silver/orders")), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withDeleteMarkers(TableRef.of(InMemoryTable.create("silver/orders_deletes")))
                .withName(NAME)
                .withMaxBatchRecords(4);
        // silver may be one commit behind: while the listener holds silver's thread, bronze waits for it
        try (PipelineRun run = inMemory.withListener(holdFirst).withMaxSilverLag(1).start(RunMode.CONTINUOUS)) {
            assertThat(firstBatch.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(run.progress().recordsBehind()).as("after the first poll of 4 of partition 0's 10")
                    .isEqualTo(Map.of(P0, 6L, P1, 0L));
            release.countDown();
            run.stop();
        }
        try (PipelineRun run = inMemory.start(RunMode.UNTIL_CAUGHT_UP)) {
            run.awaitTermination();
            assertThat(run.progress().recordsBehind()).isEqualTo(Map.of(P0, 0L, P1, 0L));
        }
    }

    @Test
    void aConflictAndAGapAreCounted() {
        InMemoryTable bronze = InMemoryTable.create("bronze/shared");
        Pipeline shared = Pipeline.from(hub).bronze(TableRef.of(bronze)).bronzeOnly().withName(NAME)
                .withListener(PipelineMetrics.listener(registry));
        try (PipelineTestDriver a = PipelineTestDriver.inMemory(shared);
                PipelineTestDriver b = PipelineTestDriver.inMemory(shared)) {
            hub.send(0, "o-1", Orders.json("o-1", "CREATED", 0));
            assertThat(b.runOneBatch()).isEqualTo(1);
            hub.send(0, "o-2", Orders.json("o-2", "CREATED", 1));
            assertThat(a.runOneBatch()).isEqualTo(1);
            assertThat(b.runOneBatch()).isZero(); // refused: a committed o-2 first
        }
        assertThat(counter(PipelineMetrics.COMMIT_CONFLICTS, "table", bronze.location())).isEqualTo(1);
        assertThat(counter(PipelineMetrics.EVENTS)).as("both instances report to one pipeline's meters").isEqualTo(2);
        assertThat(registry.get(PipelineMetrics.BATCH_DURATION).tags("pipeline", NAME, "phase", "bronze_commit").timer()
                .count()).isEqualTo(2);
        assertThat(registry.get(PipelineMetrics.BATCH_DURATION).tags("pipeline", NAME, "phase", "merge").timer()
                .count()).as("bronze only: no silver phases").isZero();

        PositionGap gap = new PositionGap(new SourcePartition("lossy", 0), 0, 5);
        Pipeline lossy = Pipeline.from(new PipelineListenerTest.GapSource(gap)).bronze("bronze/lossy").bronzeOnly()
                .withName("lossy").withListener(PipelineMetrics.listener(registry));
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(lossy)) {
            assertThat(driver.runOneBatch()).isEqualTo(1);
        }
        String partition = gap.partition().toString();
        assertThat(registry.get(PipelineMetrics.SOURCE_GAPS).tags("pipeline", "lossy", "partition", partition)
                .counter().count()).isEqualTo(1);
        assertThat(registry.get(PipelineMetrics.SOURCE_POSITIONS_LOST).tags("pipeline", "lossy", "partition", partition)
                .counter().count()).isEqualTo(5);
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tag("pipeline", NAME).tags(tags).counter().count();
    }

    private double gauge(String name, String... tags) {
        return registry.get(name).tag("pipeline", NAME).tags(tags).gauge().value();
    }

    private void assertExpectation(String rule, String action, long passed, long failed) {
        assertThat(counter(PipelineMetrics.EXPECTATION_PASSED, "rule", rule, "action", action)).as(rule + " passed")
                .isEqualTo(passed);
        assertThat(counter(PipelineMetrics.EXPECTATION_FAILED, "rule", rule, "action", action)).as(rule + " failed")
                .isEqualTo(failed);
    }

    private void assertPhase(String phase, List<BatchCommitted> batches, Function<BatchTimings, Duration> part) {
        Timer timer = registry.get(PipelineMetrics.BATCH_DURATION).tags("pipeline", NAME, "phase", phase).timer();
        assertThat(timer.count()).as(phase).isEqualTo(batches.size());
        long nanos = batches.stream().mapToLong(b -> part.apply(b.timings()).toNanos()).sum();
        assertThat(timer.totalTime(TimeUnit.NANOSECONDS)).as(phase).isEqualTo(nanos);
    }

    private static long utf8(String... parts) {
        long bytes = 0;
        for (String p : parts) {
            bytes += p.getBytes(StandardCharsets.UTF_8).length;
        }
        return bytes;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
