package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.delta.TableProperties;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.PipelineListener;
import io.streamlake.exceptions.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running pipeline vacuums its tables on its maintenance thread ({@code withVacuum}): the silver
 * files its merges replaced go once the table's retention has passed, the live ones stay, and the
 * table reads the same.
 */
class VacuumRunTest {
    @TempDir Path lake;
    private final InMemoryHub hub = InMemoryHub.create("orders", 1);

    private static List<Path> parquet(Path table) throws IOException {
        try (Stream<Path> files = Files.walk(table)) {
            return files.filter(p -> p.toString().endsWith(".parquet") && !p.toString().contains("_delta_log"))
                    .toList();
        }
    }

    @Test
    void theRunDeletesTheFilesItsMergesReplacedOnceTheRetentionPassed() throws Exception {
        Path silver = lake.resolve("silver");
        AtomicLong merged = new AtomicLong();
        PipelineListener told = new PipelineListener() {
            @Override
            public void onBatchCommitted(BatchCommitted event) {
                merged.addAndGet(event.events());
            }
        };
        Pipeline pipeline = Orders.latestPipeline(hub, lake).withPollTimeout(Duration.ofMillis(20))
                .withMaxBatchRecords(20).withVacuum(Duration.ofMillis(200)).withListener(told);
        hub.send(Orders.key(0), Orders.event(0));
        pipeline.runUntilCaughtUp();
        // as ALTER TABLE ... SET TBLPROPERTIES: removed files need not stay for time travel
        TableProperties.set(silver.toString(), "delta.deletedFileRetentionDuration", "interval 0 seconds");
        try (PipelineRun run = pipeline.start(RunMode.CONTINUOUS)) {
            for (int n = 1; n < 200; n++) {
                hub.send(Orders.key(n), Orders.event(n));
            }
            await("every event merged", () -> merged.get() == 200); // the first run's event too
            DeltaTable table = DeltaTable.open(silver.toString(), Map.of());
            int live = table.snapshot().files().size();
            assertThat(parquet(silver)).hasSizeGreaterThan(live); // the replaced files are still there
            // no batch is in flight now: make every file older than the hour a vacuum leaves alone
            for (Path f : parquet(silver)) {
                Files.setLastModifiedTime(f, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
            }
            await("the replaced files vacuumed", () -> parquet(silver).size() == live);
            assertThat(table.snapshot().files()).hasSize(live);
        }
        Orders.assertSilverHoldsLatestStatus(silver.toString(), 200);
        assertThat(KernelReader.rows(lake.resolve("bronze").toString())).hasSize(200);
    }

    @Test
    void aVacuumIntervalMustBePositive() {
        Pipeline pipeline = Orders.latestPipeline(hub, lake);
        assertThatThrownBy(() -> pipeline.withVacuum(Duration.ZERO)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("withoutVacuum()");
        assertThat(pipeline.vacuumInterval()).contains(Pipeline.DEFAULT_VACUUM_INTERVAL);
        assertThat(pipeline.withoutVacuum().vacuumInterval()).isEmpty();
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void await(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
