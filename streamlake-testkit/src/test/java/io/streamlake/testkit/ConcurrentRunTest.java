package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.event.BatchCommitted;
import io.streamlake.exceptions.ExpectationFailedException;
import io.streamlake.quality.Expectation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A streaming run with silver merging on its own thread beside bronze, under load: events arrive
 * while it runs, eight writer threads on a machine with fewer cores, a tight silver lag. The tables,
 * read back with Delta Kernel, hold every event once and the latest of each order; a failure of
 * silver's thread ends the run, with bronze held within the lag bound.
 */
class ConcurrentRunTest {
    @TempDir Path lake;

    private final InMemoryHub hub = InMemoryHub.create("orders", 4);

    private Pipeline pipeline() {
        return Orders.checkedPipeline(hub, lake + "/").withName("orders-ingest").withWriterParallelism(8)
                .withPollTimeout(Duration.ofMillis(20)).withChangeFeed(path("changes"));
    }

    @ParameterizedTest(name = "batches of {0}, silver lag {1}")
    @CsvSource({"40, 1", "60, 2", "250, 4"})
    void eventsArrivingWhileBothThreadsRunEndUpOnceInBronzeAndLatestInSilver(int batchRecords, int lag)
            throws Exception {
        int events = 2_000;
        CommittedBatches recorder = new CommittedBatches();
        List<BatchCommitted> committed = recorder.batches;
        Pipeline p = pipeline().withMaxBatchRecords(batchRecords).withMaxSilverLag(lag).withListener(recorder);
        try (PipelineRun run = p.start(RunMode.CONTINUOUS)) {
            for (int n = 0; n < events; n++) {
                hub.send(Orders.key(n), Orders.event(n));
                if (n % 97 == 0) {
                    Thread.sleep(1); // arrivals spread over the run, so batches of every size occur
                }
            }
            recorder.await(run, events);
            run.stop();
            run.awaitTermination();
            PipelineProgress progress = run.progress();
            assertThat(progress.eventsIngested()).isEqualTo(events);
            assertThat(progress.silverVersion()).isEqualTo(KernelReader.version(path("silver")));
            assertThat(KernelReader.transaction(path("silver"), "orders-ingest/silver")).as("silver's marker")
                    .contains(committed.get(committed.size() - 1).bronzeVersion());
        }
        assertThat(committed).extracting(BatchCommitted::batch).as("each batch told once, in order")
                .isEqualTo(LongStream.rangeClosed(1, committed.size()).boxed().toList());
        assertThat(committed.stream().mapToLong(BatchCommitted::events).sum()).isEqualTo(events);
        assertExact(events);
    }

    @Test
    void aFailureOnSilversThreadEndsTheRunAndHoldsBronzeWithinTheLag() throws Exception {
        int lag = 2;
        Pipeline failing = pipeline().withMaxBatchRecords(10).withMaxSilverLag(lag)
                .withExpectation(Expectation.fail("not_cancelled", r -> !"S25".equals(r.value("status"))));
        for (int n = 0; n < 200; n++) {
            hub.send(0, Orders.key(n), Orders.event(n));
        }
        try (PipelineRun run = failing.start(RunMode.CONTINUOUS)) {
            assertThatThrownBy(() -> run.awaitTermination(Duration.ofSeconds(60)))
                    .isInstanceOf(ExpectationFailedException.class);
            assertThat(run.health().isLive()).isFalse();
        }
        // batches of 10 from one partition, merged 20 records at most at a time (10 x the lag): the merge
        // that holds event 25 fails whole, so silver keeps the first one or two batches; bronze went on
        // only until it was the lag bound ahead of silver
        List<Map<String, Object>> bronze = KernelReader.rows(path("bronze"));
        assertThat(bronze.size()).isBetween(30, 30 + 10 * lag);
        assertThat(KernelReader.rows(path("silver"))).hasSizeBetween(10, 20).satisfies(
                rows -> assertThat(rows.size() % 10).isZero());
    }

    private String path(String table) {
        return lake.resolve(table).resolve("orders").toString();
    }

    private void assertExact(int events) {
        List<Map<String, Object>> bronze = KernelReader.rows(path("bronze"));
        Set<List<Object>> positions = new HashSet<>();
        for (Map<String, Object> row : bronze) {
            assertThat(positions.add(List.of(row.get("partition"), row.get("position")))).as("once: %s", row)
                    .isTrue();
        }
        assertThat(bronze).hasSize(events);
        Orders.assertSilverHoldsLatestStatus(path("silver"), events);
        // the change feed, written on silver's thread after each merge, holds every change once
        try (PipelineTestDriver tables = PipelineTestDriver.create(pipeline())) {
            StreamLakeAssertions.assertThat(tables.changeFeed()).replaysTo(tables.silver());
        }
    }
}
