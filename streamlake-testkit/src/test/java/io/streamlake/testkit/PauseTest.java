package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineHealth;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.PipelineListener;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.ChangeFeedLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PipelineRun#pause()} and {@link PipelineRun#resume()}: a paused run has committed bronze's
 * batch in flight and merged all of it into silver, writes nothing until resumed, and then goes on
 * from the tables as another engine left them; pauses under load lose and repeat no event.
 */
class PauseTest {
    @TempDir Path lake;
    private final InMemoryHub hub = InMemoryHub.create("orders", 2);

    private Pipeline pipeline() {
        return Orders.latestPipeline(hub, lake).withName("paused").withPollTimeout(Duration.ofMillis(20))
                .withChangeFeed(path("changes"));
    }

    private String path(String table) {
        return lake.resolve(table).toString();
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void aPausedRunHasMergedAllItTookWritesNothingAndGoesOnFromWhatSparkLeft() throws Exception {
        for (String id : List.of("a", "b", "c")) {
            hub.send(id, Orders.json(id, "CREATED", 1));
        }
        try (PipelineRun run = pipeline().start(RunMode.CONTINUOUS)) {
            await("the first events in silver", () -> run.progress().eventsIngested() == 3
                    && run.progress().silverVersion() >= 0 && silverRows() == 3);
            hub.send("a", Orders.json("a", "PAID", 2));
            run.pause();
            assertThat(run.health().status()).isEqualTo(PipelineHealth.Status.PAUSED);
            assertThat(run.health().isReady()).isFalse();
            assertThat(run.health().isLive()).isTrue();
            assertThat(run.progress().state()).isEqualTo(PipelineProgress.State.PAUSED);
            // whatever bronze took, silver merged: its marker is bronze's version
            long bronze = KernelReader.version(path("bronze"));
            assertThat(KernelReader.transaction(path("silver"), "paused/silver")).contains(bronze);

            // nothing commits while paused, though events wait
            long silver = KernelReader.version(path("silver"));
            hub.send("d", Orders.json("d", "CREATED", 3));
            Thread.sleep(300);
            assertThat(KernelReader.version(path("bronze"))).isEqualTo(bronze);
            assertThat(KernelReader.version(path("silver"))).isEqualTo(silver);

            // an operator's DELETE on silver, as Spark would write it
            deleteFromSilver("b");
            run.pause(); // already paused: nothing happens
            run.resume();
            assertThat(run.health().status()).isNotEqualTo(PipelineHealth.Status.PAUSED);
            await("d in silver", () -> silverRows() == 3 && run.progress().eventsIngested() == 5);
        }
        Map<String, String> status = new HashMap<>();
        KernelReader.rows(path("silver"))
                .forEach(r -> status.put((String) r.get("order_id"), (String) r.get("status")));
        assertThat(status).isEqualTo(Map.of("a", "PAID", "c", "CREATED", "d", "CREATED"));
        // the operator's delete is in the change feed too, in its own version
        try (PipelineTestDriver tables = PipelineTestDriver.create(pipeline())) {
            assertThat(tables.changeFeed().rows()).anySatisfy(r -> {
                assertThat(r.string("order_id")).isEqualTo("b");
                assertThat(r.string(ChangeFeedLayout.CHANGE_TYPE)).isEqualTo(ChangeFeedLayout.DELETE);
            });
            assertThat(tables.changeFeed()).replaysTo(tables.silver());
        }
    }

    @Test
    void aRunStoppedWhilePausedEndsAndAPauseOfAnEndedRunSaysSo() throws Exception {
        hub.send("a", Orders.json("a", "CREATED", 1));
        PipelineRun run = pipeline().start(RunMode.CONTINUOUS);
        run.pause();
        run.stop();
        assertThat(run.awaitTermination(Duration.ofSeconds(30))).isTrue();
        assertThat(run.health().status()).isEqualTo(PipelineHealth.Status.STOPPED);
        assertThatThrownBy(run::pause).isInstanceOf(IllegalStateException.class).hasMessageContaining("ended");
        run.resume(); // not paused: nothing happens
        run.close();
    }

    @Test
    void pausesAndResumesUnderLoadLoseAndRepeatNoEvent() throws Exception {
        int events = 3_000;
        AtomicBoolean sending = new AtomicBoolean(true);
        // a batch is told committed once silver has merged it
        AtomicLong merged = new AtomicLong();
        PipelineListener told = new PipelineListener() {
            @Override
            public void onBatchCommitted(BatchCommitted event) {
                merged.addAndGet(event.events());
            }
        };
        Pipeline pipeline = pipeline().withMaxBatchRecords(50).withMaxSilverLag(2).withWriterParallelism(4)
                .withListener(told);
        try (PipelineRun run = pipeline.start(RunMode.CONTINUOUS)) {
            Thread producer = new Thread(() -> {
                for (int n = 0; n < events; n++) {
                    hub.send(n % 2, Orders.key(n), Orders.event(n));
                    if (n % 50 == 0) {
                        Thread.onSpinWait();
                    }
                }
                sending.set(false);
            });
            producer.start();
            int pauses = 0;
            while (sending.get() || pauses < 10) {
                run.pause();
                pauses++;
                assertThat(merged.get()).as("pause %d: silver merged every event bronze took", pauses)
                        .isEqualTo(run.progress().eventsIngested());
                run.resume();
                Thread.sleep(5);
            }
            producer.join();
            await("every event in silver", () -> merged.get() == events);
        }
        List<Map<String, Object>> bronze = KernelReader.rows(path("bronze"));
        Set<List<Object>> positions = new HashSet<>();
        for (Map<String, Object> row : bronze) {
            assertThat(positions.add(List.of(row.get("partition"), row.get("position")))).isTrue();
        }
        assertThat(bronze).hasSize(events);
        Orders.assertSilverHoldsLatestStatus(path("silver"), events);
        try (PipelineTestDriver tables = PipelineTestDriver.create(pipeline)) {
            assertThat(tables.changeFeed()).replaysTo(tables.silver());
        }
    }

    private long silverRows() {
        return KernelReader.version(path("silver")) < 0 ? 0 : KernelReader.rows(path("silver")).size();
    }

    /** What Spark's {@code DELETE FROM silver WHERE order_id = id} writes: the file again without the row. */
    private void deleteFromSilver(String id) {
        DeltaTable silver = DeltaTable.open(path("silver"), Map.of());
        Schema stored = silver.snapshot().schema().orElseThrow();
        for (DataFile file : silver.snapshot().files()) {
            List<Row> kept = new ArrayList<>();
            silver.read(file, stored).forEachRemaining(r -> {
                if (!id.equals(r.string("order_id"))) {
                    kept.add(r);
                }
            });
            if (kept.size() < file.rowCount()) {
                var commit = silver.newCommit().remove(file);
                if (!kept.isEmpty()) {
                    try (DataFileWriter w = silver.newDataFile(stored)) {
                        kept.forEach(w::write);
                        commit.add(w.finish());
                    }
                }
                commit.commit("DELETE");
                return;
            }
        }
        throw new AssertionError("no row of " + id + " in silver");
    }
}
