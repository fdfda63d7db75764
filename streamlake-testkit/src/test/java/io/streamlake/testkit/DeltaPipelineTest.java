package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path on real Delta tables on disk, read back with Delta Kernel: the driver's crash
 * points, a fresh process after each crash, and the threaded run that users start.
 */
class DeltaPipelineTest {
    @TempDir Path lake;

    private final InMemoryHub hub = InMemoryHub.create("orders", 4);

    private Pipeline pipeline() {
        return Pipeline.from(hub)
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withMaxBatchRecords(50)
                .withTargetFileRows(40);
    }

    @Test
    void everyCrashPointEndsWithEveryEventExactlyOnceAsKernelReadsIt() {
        int next = 0;
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 60; i++, next++) {
                // 100 orders, each updated several times, sometimes out of order
                int minute = (next % 7 == 0) ? next - 5 : next;
                hub.send("o-" + (next % 100), Orders.json("o-" + (next % 100), "S" + next, minute));
            }
            // Each round runs as a new process: a new driver over the same folders.
            try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
                switch (round) {
                    case 0 -> driver.crashBeforeNextCommit(Stage.BRONZE);
                    case 1 -> driver.crashAfterNextCommit(Stage.BRONZE);
                    case 2 -> driver.crashBeforeNextCommit(Stage.SILVER);
                    case 3 -> driver.crashAfterNextCommit(Stage.SILVER);
                    case 4 -> driver.failNextCommit(Stage.SILVER);
                    default -> {
                    }
                }
                if (round < 5) {
                    assertThatThrownBy(driver::runOneBatch)
                            .isInstanceOfAny(SimulatedCrash.class, RuntimeException.class);
                }
                driver.runUntilCaughtUp();
                assertThat(driver.bronze()).hasRowCount(next).hasNoDuplicates("partition", "position");
            }
        }

        String bronze = lake.resolve("bronze").toString();
        String silver = lake.resolve("silver").toString();
        List<Map<String, Object>> bronzeRows = KernelReader.rows(bronze);
        assertThat(bronzeRows).hasSize(360);
        assertThat(bronzeRows.stream().map(r -> r.get("partition") + "@" + r.get("position")).distinct()).hasSize(360);

        // The expected silver: per order, the event with the greatest updated_at (no two events of an order share one).
        Orders.assertSilverHoldsLatestStatus(silver, 360);
        assertThat(KernelReader.transaction(silver, "streamlake/silver")).contains(KernelReader.version(bronze));
    }

    @Test
    void startedRunStreamsUntilStoppedAndRunUntilCaughtUpDrains() throws Exception {
        Pipeline p = pipeline().withPollTimeout(Duration.ofMillis(20));
        try (PipelineRun run = p.start()) {
            for (int i = 0; i < 200; i++) {
                hub.send("o-" + (i % 30), Orders.json("o-" + (i % 30), "S" + i, i));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (run.progress().eventsIngested() < 200 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(run.progress().state()).isEqualTo(PipelineProgress.State.RUNNING);
        }
        assertThat(KernelReader.rows(lake.resolve("bronze").toString())).hasSize(200);
        assertThat(KernelReader.rows(lake.resolve("silver").toString())).hasSize(30);

        for (int i = 200; i < 260; i++) {
            hub.send("o-" + i, Orders.json("o-" + i, "NEW", i));
        }
        PipelineProgress done = p.runUntilCaughtUp();
        assertThat(done.state()).isEqualTo(PipelineProgress.State.STOPPED);
        assertThat(done.eventsIngested()).isEqualTo(60);
        assertThat(KernelReader.rows(lake.resolve("silver").toString())).hasSize(90);
        assertThat(p.runUntilCaughtUp().eventsIngested()).isZero();
    }

    @Test
    void aSilverTableWithAnIncompatibleSchemaIsRefusedNamingBothSchemas() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            hub.send("o-1", Orders.json("o-1", "CREATED", 0));
            driver.runOneBatch();
        }
        Schema other = Schema.builder().required("order_id", DataType.STRING).optional("status", DataType.LONG)
                .optional("updated_at", DataType.TIMESTAMP).build();
        Pipeline changed = pipeline().withSchema(other);
        assertThatThrownBy(() -> changed.runUntilCaughtUp()).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("status").hasMessageContaining("status long");
    }

    @Test
    void sourceMetadataLandsInTheBronzeMetadataColumn() {
        SourcePartition p = new SourcePartition("hub", 0);
        List<SourceRecord> records = List.of(
                new SourceRecord(p, 7, null, "{}".getBytes(StandardCharsets.UTF_8), Map.of(), Instant.EPOCH,
                        Map.of("offset", "4096", "partition_key", "tenant-1")),
                new SourceRecord(p, 8, null, "{}".getBytes(StandardCharsets.UTF_8), Map.of(), Instant.EPOCH));
        Source source = new Source() {
            @Override
            public String name() {
                return "hub";
            }

            @Override
            public SourceReader open(SourceContext context) {
                return new SourceReader() {
                    private boolean done;

                    @Override
                    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                        List<SourceRecord> out = done ? List.of() : records;
                        done = true;
                        return out;
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
        };
        String bronze = lake.resolve("bronze-meta").toString();
        Pipeline.from(source).bronze(bronze).bronzeOnly().runUntilCaughtUp();

        List<Map<String, Object>> rows = KernelReader.rows(bronze);
        assertThat(rows).extracting(r -> r.get("position"), r -> r.get("metadata"))
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(7L, Map.of("offset", "4096", "partition_key", "tenant-1")),
                        org.assertj.core.groups.Tuple.tuple(8L, null));
    }

    @Test
    void aLargeBatchIsWrittenAsSeveralBronzeFilesThatACatchUpReadsInArrivalOrder() {
        // lastWins: only arrival order decides the winner, so the catch-up after the crash must read the
        // batch's bronze files in the order they were written. (latestBy would not do: it resolves equal
        // sequence values by the rows' values, whatever their order.)
        int events = 60_000;
        for (int i = 0; i < events; i++) {
            hub.send(0, "o-" + (i % 500), Orders.json("o-" + (i % 500), "S" + i, 1));
        }
        Pipeline big = pipeline().withMergeStrategy(MergeStrategies.lastWins()).withMaxBatchRecords(events)
                .withTargetFileRows(events);
        try (PipelineTestDriver driver = PipelineTestDriver.create(big)) {
            driver.crashAfterNextCommit(Stage.BRONZE);
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            int expectedFiles = Math.min(Runtime.getRuntime().availableProcessors(), 2);
            assertThat(driver.bronze().files()).hasSize(expectedFiles);
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(big)) {
            driver.runUntilCaughtUp();
            assertThat(driver.bronze()).hasRowCount(events).hasNoDuplicates("partition", "position");
            TableContents silver = driver.silver();
            assertThat(silver).hasRowCount(500);
            for (int k = 0; k < 500; k++) {
                assertThat(silver.row("order_id", "o-" + k).orElseThrow().string("status"))
                        .isEqualTo("S" + (events - 500 + k));
            }
        }
    }

    @Test
    void aStreamingRunFetchesAheadButNeverCallsTheReaderConcurrentlyAndReportsEveryCommit() {
        for (int i = 0; i < 1_000; i++) {
            hub.send("o-" + (i % 100), Orders.json("o-" + (i % 100), "S" + i, i));
        }
        java.util.concurrent.atomic.AtomicInteger busy = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean overlapped = new java.util.concurrent.atomic.AtomicBoolean();
        Set<String> pollThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Map<SourcePartition, Long> reported = new java.util.concurrent.ConcurrentHashMap<>();
        Source watched = new Source() {
            @Override
            public String name() {
                return hub.name();
            }

            @Override
            public SourceReader open(SourceContext context) {
                SourceReader in = hub.open(context);
                return new SourceReader() {
                    private <T> T exclusive(java.util.function.Supplier<T> call) {
                        if (busy.incrementAndGet() != 1) {
                            overlapped.set(true);
                        }
                        try {
                            return call.get();
                        } finally {
                            busy.decrementAndGet();
                        }
                    }

                    @Override
                    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                        pollThreads.add(Thread.currentThread().getName());
                        return exclusive(() -> in.poll(maxRecords, maxWait));
                    }

                    @Override
                    public void rewind() {
                        exclusive(() -> {
                            in.rewind();
                            return null;
                        });
                    }

                    @Override
                    public boolean caughtUp() {
                        return exclusive(in::caughtUp);
                    }

                    @Override
                    public void committed(Map<SourcePartition, Long> lastPositions) {
                        exclusive(() -> {
                            reported.putAll(lastPositions);
                            return null;
                        });
                    }

                    @Override
                    public void close() {
                        exclusive(() -> {
                            in.close();
                            return null;
                        });
                    }
                };
            }
        };
        Pipeline p = Pipeline.from(watched)
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withMaxBatchRecords(30);

        assertThat(p.runUntilCaughtUp().eventsIngested()).isEqualTo(1_000);

        assertThat(overlapped).as("reader called from two threads at once").isFalse();
        assertThat(pollThreads).as("threads that polled").anyMatch(t -> t.startsWith("streamlake-fetch-"));
        assertThat(KernelReader.rows(lake.resolve("bronze").toString())).hasSize(1_000);
        Orders.assertSilverHoldsLatestStatus(lake.resolve("silver").toString(), 1_000);
        for (int partition = 0; partition < 4; partition++) {
            assertThat(reported).as("committed position reported to the source")
                    .containsEntry(new SourcePartition("orders", partition), hub.size(partition) - 1);
        }
    }
}
