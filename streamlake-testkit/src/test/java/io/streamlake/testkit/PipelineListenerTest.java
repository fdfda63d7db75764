package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineHealth;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.CommitConflicted;
import io.streamlake.event.PipelineEvent;
import io.streamlake.event.PipelineFailed;
import io.streamlake.event.PipelineListener;
import io.streamlake.event.PipelineStarted;
import io.streamlake.event.PipelineStopped;
import io.streamlake.event.PositionRange;
import io.streamlake.event.PositionsSkipped;
import io.streamlake.event.RowChanges;
import io.streamlake.exceptions.SinkException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.quality.Expectation;
import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.source.PositionGap;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.ForwardingTable;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.TableRef;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Listeners and health: what a running pipeline tells, with known inputs, read back exactly. */
class PipelineListenerTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 2);
    private final Pipeline pipeline = Orders.checkedPipeline(hub).withName("orders-ingest");

    @Test
    void eachBatchReportsItsOwnPositionsRowsAndExpectationCounts() {
        List<PipelineEvent> seen = new ArrayList<>();
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline.withListener(recorder(seen)))) {
            String first = Orders.json("o-1", "CREATED", 0);
            String bad = Orders.json("o-2", "CREATED", 1).replace("\"items\":2", "\"items\":0");
            hub.send(0, "o-1", first);
            hub.send(1, "o-2", bad);
            hub.send(0, "o-1", Orders.json("o-1", "PAID", 2));
            assertThat(driver.runOneBatch()).isEqualTo(3);
            hub.send(1, "o-3", Orders.json("o-3", "CREATED", 3));
            assertThat(driver.runOneBatch()).isEqualTo(1);

            List<BatchCommitted> batches = driver.events(BatchCommitted.class);
            assertThat(batches).hasSize(2);
            BatchCommitted b1 = batches.get(0);
            assertThat(b1.pipeline()).isEqualTo("orders-ingest");
            assertThat(b1.batch()).isEqualTo(1);
            assertThat(b1.events()).isEqualTo(3);
            assertThat(b1.bytes()).isEqualTo(3 * "o-1".length() + utf8(first) + utf8(bad)
                    + utf8(Orders.json("o-1", "PAID", 2)));
            assertThat(b1.positions()).containsExactlyInAnyOrder(
                    new PositionRange(new SourcePartition("orders", 0), -1, 1),
                    new PositionRange(new SourcePartition("orders", 1), -1, 0));
            assertThat(b1.bronzeVersion()).isEqualTo(driver.bronzeTable().snapshot().version() - 1);
            assertThat(b1.silverRowsChanged()).isEqualTo(1);
            assertThat(b1.quarantined()).isEqualTo(1);
            assertThat(b1.expectations()).contains(
                    new ExpectationMetrics("positive_items", Expectation.Action.QUARANTINE, 2, 1));

            BatchCommitted b2 = batches.get(1);
            assertThat(b2.batch()).isEqualTo(2);
            assertThat(b2.positions()).containsExactly(new PositionRange(new SourcePartition("orders", 1), 0, 1));
            assertThat(b2.quarantined()).isZero();
            assertThat(b2.expectations()).as("this batch's counts, not the run's").contains(
                    new ExpectationMetrics("positive_items", Expectation.Action.QUARANTINE, 1, 0));
            assertThat(b2.bronzeVersion()).isGreaterThan(b1.bronzeVersion());
            assertThat(b2.silverVersion()).isGreaterThan(b1.silverVersion());
            assertThat(b2.at()).isAfterOrEqualTo(b1.at());
        }
        // the pipeline's own listener saw what the driver recorded, start to stop, in order
        assertThat(seen).hasSize(4);
        assertThat(seen.get(0)).isInstanceOf(PipelineStarted.class);
        assertThat(seen.subList(1, 3)).allMatch(BatchCommitted.class::isInstance);
        assertThat(seen.get(3)).isEqualTo(new PipelineStopped("orders-ingest", seen.get(3).at(), 2, 4));
    }

    @Test
    void silverChangesAreCountedByKindWithTheFilesTheyWrote() {
        Pipeline withDeletes = pipeline.withMergeStrategy(
                MergeStrategies.latestBy("updated_at").withDeletes(r -> "DELETED".equals(r.string("status"))));
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(withDeletes)) {
            hub.send(0, "o-1", Orders.json("o-1", "CREATED", 0));
            hub.send(0, "o-2", Orders.json("o-2", "CREATED", 1));
            driver.runOneBatch();
            hub.send(0, "o-1", Orders.json("o-1", "PAID", 2));
            hub.send(0, "o-2", Orders.json("o-2", "DELETED", 3));
            hub.send(0, "o-3", Orders.json("o-3", "CREATED", 4));
            hub.send(0, "o-9", Orders.json("o-9", "DELETED", 5)); // a delete of a key silver never held
            driver.runOneBatch();

            List<BatchCommitted> batches = driver.events(BatchCommitted.class);
            assertThat(batches.get(0).silverChanges()).isEqualTo(new RowChanges(2, 0, 0));
            assertThat(batches.get(1).silverChanges()).isEqualTo(new RowChanges(1, 1, 1));
            assertThat(batches.get(1).silverRowsChanged()).isEqualTo(3);
            assertThat(batches).allSatisfy(b -> assertThat(b.bronzeFiles()).isEqualTo(1));
            assertThat(batches.get(0).silverFilesAdded()).isEqualTo(1);
            assertThat(batches.get(0).silverFilesRemoved()).isZero();
            assertThat(batches.get(1).silverFilesRemoved()).as("the key's file rewritten").isEqualTo(1);
            assertThat(batches).allSatisfy(b -> assertThat(b.silverRetries()).isZero());
            StreamLakeAssertions.assertThat(driver.silver()).hasRowCount(2);
        }
    }

    @Test
    void aSilverCommitLostToAnotherInstanceIsCountedAsARetry() {
        InMemoryTable silver = InMemoryTable.create("silver/raced");
        boolean[] raced = {false};
        // another instance advances silver's marker between this merge and its commit, once
        ForwardingTable racing = new ForwardingTable(silver) {
            @Override
            public PendingCommit newCommit() {
                if (!raced[0] && silver.snapshot().transaction("raced/silver").isPresent()) {
                    raced[0] = true;
                    long bronzeVersion = silver.snapshot().transaction("raced/silver").getAsLong() + 1;
                    silver.newCommit().setTransaction("raced/silver", bronzeVersion).commit("STREAMING UPDATE");
                }
                return super.newCommit();
            }
        };
        Pipeline p = Pipeline.from(hub).bronze(TableRef.of(InMemoryTable.create("bronze/raced")))
                .silver(TableRef.of(racing), "order_id").withSchema(Orders.SCHEMA).withName("raced");
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(p)) {
            hub.send("o-1", Orders.json("o-1", "CREATED", 0));
            driver.runOneBatch();
            assertThat(raced[0]).isTrue();
            assertThat(driver.events(BatchCommitted.class)).singleElement()
                    .satisfies(b -> assertThat(b.silverRetries()).isEqualTo(1));
        }
    }

    @Test
    void aCrashIsReportedAsAFailureAndTheRestartAsANewStart() {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            hub.send("o-1", Orders.json("o-1", "CREATED", 0));
            driver.runOneBatch();
            driver.failNextCommit(Stage.SILVER);
            hub.send("o-1", Orders.json("o-1", "PAID", 1));
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SinkException.class);
            assertThat(driver.runOneBatch()).isZero(); // restarts; silver catches up at the start

            assertThat(driver.events()).extracting(e -> e.getClass().getSimpleName())
                    .containsExactly("PipelineStarted", "BatchCommitted", "PipelineFailed", "PipelineStarted");
            PipelineFailed failed = driver.events(PipelineFailed.class).get(0);
            assertThat(failed.cause()).isInstanceOf(SinkException.class);
            assertThat(failed.batches()).as("both batches reached bronze; silver failed on the second").isEqualTo(2);
            assertThat(failed.events()).isEqualTo(2);
            PipelineStarted restarted = driver.events(PipelineStarted.class).get(1);
            assertThat(restarted.silverVersion()).as("silver caught up with the second batch at the start")
                    .isGreaterThan(driver.events(BatchCommitted.class).get(0).silverVersion());
        }
    }

    @Test
    void aListenerThatThrowsStopsNeitherIngestionNorTheOtherListeners() {
        List<PipelineEvent> seen = new ArrayList<>();
        PipelineListener broken = new PipelineListener() {
            @Override
            public void onBatchCommitted(BatchCommitted event) {
                throw new IllegalStateException("monitoring is down");
            }
        };
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(
                pipeline.withListener(broken).withListener(recorder(seen)))) {
            hub.send("o-1", Orders.json("o-1", "CREATED", 0));
            assertThat(driver.runOneBatch()).isEqualTo(1);
            hub.send("o-2", Orders.json("o-2", "CREATED", 1));
            assertThat(driver.runOneBatch()).isEqualTo(1);
            StreamLakeAssertions.assertThat(driver.silver()).hasRowCount(2);
        }
        assertThat(seen).filteredOn(BatchCommitted.class::isInstance).hasSize(2);
    }

    @Test
    void skippedPositionsReachTheListenersOnThePipelinesThread() {
        PositionGap gap = new PositionGap(new SourcePartition("lossy", 0), 0, 5);
        Pipeline lossy = Pipeline.from(new GapSource(gap)).bronze("bronze/lossy").bronzeOnly();
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(lossy)) {
            assertThat(driver.runOneBatch()).isEqualTo(1);
            assertThat(driver.events(PositionsSkipped.class)).singleElement()
                    .satisfies(e -> assertThat(e.gap()).isEqualTo(gap));
        }
    }

    @Test
    void anotherInstanceCommittingFirstIsReportedAsAConflict() {
        InMemoryTable bronze = InMemoryTable.create("bronze/shared");
        Pipeline shared = Pipeline.from(hub).bronze(TableRef.of(bronze)).bronzeOnly();
        try (PipelineTestDriver a = PipelineTestDriver.inMemory(shared);
                PipelineTestDriver b = PipelineTestDriver.inMemory(shared)) {
            hub.send(0, "o-1", Orders.json("o-1", "CREATED", 0));
            assertThat(b.runOneBatch()).isEqualTo(1); // b knows partition 0's marker at o-1
            hub.send(0, "o-2", Orders.json("o-2", "CREATED", 1));
            assertThat(a.runOneBatch()).isEqualTo(1); // a commits o-2 first
            assertThat(b.runOneBatch()).isZero(); // b's commit of o-2 is refused
            assertThat(b.events(CommitConflicted.class)).singleElement().satisfies(c -> {
                assertThat(c.table()).isEqualTo(bronze.location());
                assertThat(c.events()).isEqualTo(1);
            });
            assertThat(a.events(CommitConflicted.class)).isEmpty();
        }
    }

    @Test
    void aRunCallsItsListenersOnItsOwnThreadAndReportsItsHealth() throws Exception {
        List<String> threads = new CopyOnWriteArrayList<>();
        CountDownLatch secondBatch = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PipelineListener slowSecond = new PipelineListener() {
            @Override
            public void onBatchCommitted(BatchCommitted event) {
                threads.add(Thread.currentThread().getName());
                if (event.batch() == 2) {
                    secondBatch.countDown();
                    await(release); // holds the run (a test only: listeners must not block)
                }
            }
        };
        for (int i = 0; i < 25; i++) {
            hub.send(0, "o-" + i, Orders.json("o-" + i, "CREATED", i));
        }
        // silver may be one commit behind: while the listener holds silver's thread, bronze waits for it
        try (PipelineRun run = running().withMaxBatchRecords(10).withMaxSilverLag(1).withListener(slowSecond)
                .start(RunMode.CONTINUOUS)) {
            assertThat(secondBatch.await(30, TimeUnit.SECONDS)).isTrue();
            PipelineHealth lagging = run.health();
            assertThat(lagging.status()).as("the first batch was full").isEqualTo(PipelineHealth.Status.LAGGING);
            assertThat(lagging.isReady()).isTrue();
            assertThat(lagging.isLive()).isTrue();
            assertThat(lagging.lastCommitAt()).isNotNull();
            assertThat(lagging.startedAt()).isNotNull();
            release.countDown();
            awaitStatus(run, PipelineHealth.Status.CAUGHT_UP);
            run.stop();
            run.awaitTermination();
            assertThat(run.health().status()).isEqualTo(PipelineHealth.Status.STOPPED);
            assertThat(run.health().isReady()).isFalse();
        }
        // a batch is committed when silver has it: on the thread that merges silver
        assertThat(threads).isNotEmpty().allMatch("streamlake-silver-orders-ingest"::equals);
    }

    @Test
    void aFailedRunIsNotLiveAndSaysWhy() {
        Pipeline broken = running().withExpectation(
                Expectation.fail("never_paid", r -> !"PAID".equals(r.value("status"))));
        hub.send("o-1", Orders.json("o-1", "PAID", 0));
        List<PipelineEvent> seen = new CopyOnWriteArrayList<>();
        PipelineRun run = broken.withListener(recorder(seen)).start(RunMode.CONTINUOUS);
        assertThatThrownBy(run::awaitTermination).hasMessageContaining("never_paid");
        PipelineHealth health = run.health();
        assertThat(health.status()).isEqualTo(PipelineHealth.Status.FAILED);
        assertThat(health.isLive()).isFalse();
        assertThat(health.failure()).contains("never_paid");
        assertThat(seen.get(seen.size() - 1)).isInstanceOfSatisfying(PipelineFailed.class,
                f -> assertThat(f.cause().getMessage()).contains("never_paid"));
        run.close();
    }

    /** The test's pipeline on in-memory tables, for a run started with {@code start()}. */
    private Pipeline running() {
        return Pipeline.from(hub)
                .bronze(TableRef.of(InMemoryTable.create("bronze/orders")))
                .silver(TableRef.of(InMemoryTable.create("silver/orders")), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withQuarantine(TableRef.of(InMemoryTable.create("quarantine/orders")))
                .withDeleteMarkers(TableRef.of(InMemoryTable.create("silver/orders_deletes")))
                .withExpectation(Expectation.quarantine("positive_items", r -> ((Integer) r.value("items")) > 0))
                .withName("orders-ingest");
    }

    private static void awaitStatus(PipelineRun run, PipelineHealth.Status status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (run.health().status() != status) {
            assertThat(System.nanoTime()).as("health %s within 30 s, was %s", status, run.health())
                    .isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static PipelineListener recorder(List<PipelineEvent> seen) {
        return new PipelineListener() {
            @Override
            public void onEvent(PipelineEvent event) {
                seen.add(event);
            }
        };
    }

    /** A source that lost positions 0-4 of its partition and says so before handing over position 5 (PipelineMetricsTest counts it too). */
    record GapSource(PositionGap gap) implements Source {
        @Override
        public String name() {
            return gap.partition().stream();
        }

        @Override
        public SourceReader open(SourceContext context) {
            return new SourceReader() {
                private boolean done;

                @Override
                public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                    if (done) {
                        return List.of();
                    }
                    done = true;
                    context.reportGap(gap);
                    return List.of(new SourceRecord(gap.partition(), gap.toPosition(), null,
                            "{}".getBytes(StandardCharsets.UTF_8), Map.of(), Instant.EPOCH));
                }

                @Override
                public void rewind() {
                    done = false;
                }

                @Override
                public boolean caughtUp() {
                    return done;
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
