package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.event.BatchCommitted;
import io.streamlake.exceptions.SinkException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bronze and silver as two steps that a streaming run takes on two threads at once: bronze commits
 * ahead while silver merges behind, crashes fall between any two of their commits, and both sides
 * may fail together. Whatever the interleaving, the tables read back with Delta Kernel hold every
 * event once in bronze and the latest of each order in silver.
 */
class ConcurrentStagesTest {
    private static final String SILVER_MARKER = "orders-ingest/silver";

    @TempDir Path lake;

    private final InMemoryHub hub = InMemoryHub.create("orders", 2);
    private int sent;

    private Pipeline pipeline() {
        // a merge takes at most 7 x 2 records: schedules that let silver fall behind cut merges at a version
        return Orders.checkedPipeline(hub, lake + "/").withName("orders-ingest").withMaxBatchRecords(7)
                .withMaxSilverLag(2);
    }

    @Test
    void aMergeThatWouldTakeMoreThanItsBoundIsCutAtABronzeVersion() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            send(35);
            for (int i = 0; i < 5; i++) {
                assertThat(driver.ingestOneBatch()).isEqualTo(7);
            }
            long silverBefore = KernelReader.version(path("silver"));
            driver.mergeSilver();
            assertThat(KernelReader.version(path("silver"))).as("14 + 14 + 7 records").isEqualTo(silverBefore + 3);
            assertThat(driver.events(BatchCommitted.class)).extracting(BatchCommitted::silverVersion)
                    .containsOnly(silverBefore + 3);
            assertTablesExact();
        }
    }

    @Test
    void oneMergeCatchesUpOverEveryBronzeCommitSilverIsBehind() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            send(5);
            assertThat(driver.ingestOneBatch()).isEqualTo(5);
            send(6);
            assertThat(driver.ingestOneBatch()).isEqualTo(6);
            send(3);
            assertThat(driver.ingestOneBatch()).isEqualTo(3);
            long silverBefore = KernelReader.version(path("silver"));
            assertThat(driver.events(BatchCommitted.class)).as("a batch is committed once silver has it").isEmpty();

            assertThat(driver.mergeSilver()).isPositive();

            assertThat(KernelReader.version(path("silver"))).as("one merge for three bronze commits of 14 records")
                    .isEqualTo(silverBefore + 1);
            assertThat(KernelReader.transaction(path("silver"), SILVER_MARKER))
                    .contains(KernelReader.version(path("bronze")));
            List<BatchCommitted> batches = driver.events(BatchCommitted.class);
            assertThat(batches).extracting(BatchCommitted::batch).containsExactly(1L, 2L, 3L);
            assertThat(batches).extracting(BatchCommitted::silverVersion).containsOnly(silverBefore + 1);
            assertThat(batches.stream().mapToLong(BatchCommitted::silverRowsChanged).sum())
                    .as("the merge's changes are told once, with the last batch it covered").isEqualTo(14);
            assertTablesExact();
        }
    }

    @Test
    void aBronzeCompactionBetweenTheBatchesSilverIsBehindJoinsTheSameMerge() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline().withCompaction(2))) {
            send(5);
            driver.ingestOneBatch();
            send(5);
            driver.ingestOneBatch();
            long bronzeBefore = KernelReader.version(path("bronze"));
            assertThat(driver.compact()).as("bronze's two small files combined").isPositive();
            assertThat(KernelReader.version(path("bronze"))).isEqualTo(bronzeBefore + 1);
            send(3);
            driver.ingestOneBatch();
            long silverBefore = KernelReader.version(path("silver"));

            driver.mergeSilver();

            assertThat(KernelReader.version(path("silver")))
                    .as("one merge: the compaction's version, without new records, read back in passing")
                    .isEqualTo(silverBefore + 1);
            assertTablesExact();
        }
    }

    @Test
    void aCrashBetweenBronzeCommitsAndTheMergeThatCoversThemIsRepairedOnRestart() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            send(20);
            driver.ingestOneBatch();
            driver.ingestOneBatch();
            driver.crashBeforeNextCommit(Stage.SILVER);
            assertThatThrownBy(driver::mergeSilver).isInstanceOf(SimulatedCrash.class);
            driver.ingestOneBatch(); // restarts: silver catches up at the start, then bronze goes on
            assertThat(driver.starts()).isEqualTo(2);
            driver.crashAfterNextCommit(Stage.SILVER);
            assertThatThrownBy(driver::mergeSilver).isInstanceOf(SimulatedCrash.class);
            driver.runUntilCaughtUp();
            assertTablesExact();
        }
    }

    @Test
    void bothThreadsFailingAtOnceLeaveTablesThatARestartCompletes() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            send(14);
            driver.ingestOneBatch();
            driver.crashAfterNextCommit(Stage.BRONZE);
            driver.crashBeforeNextCommit(Stage.SILVER);

            assertThatThrownBy(driver::ingestWhileMerging).isInstanceOf(SimulatedCrash.class)
                    .satisfies(e -> assertThat(e.getSuppressed()).as("silver's crash, beside bronze's")
                            .singleElement().isInstanceOf(SimulatedCrash.class));

            send(6);
            driver.runUntilCaughtUp();
            assertThat(driver.starts()).isEqualTo(2);
            assertTablesExact();
        }
    }

    @Test
    void bronzeFailingWhileSilverMergesLeavesSilverMerged() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            send(14);
            driver.ingestOneBatch();
            driver.failNextCommit(Stage.BRONZE);
            assertThatThrownBy(driver::ingestWhileMerging).isInstanceOf(SinkException.class);
            assertThat(KernelReader.transaction(path("silver"), SILVER_MARKER))
                    .as("silver merged the first batch while bronze's commit of the second failed")
                    .contains(KernelReader.version(path("bronze")));
            driver.runUntilCaughtUp();
            assertTablesExact();
        }
    }

    /**
     * The crash matrix over interleavings: a seeded schedule of bronze commits, silver merges, both
     * at once, and whole batches, with events arriving between them and a fault armed before about
     * a third of the steps (a crash before or after a commit of either table, or a failed commit).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void anyInterleavingOfStepsAndCrashesEndsInExactTables(int seed) {
        Random random = new Random(seed);
        Stage[] stages = {Stage.BRONZE, Stage.SILVER};
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            for (int step = 0; step < 30; step++) {
                send(random.nextInt(12));
                if (random.nextInt(3) == 0) {
                    Stage stage = stages[random.nextInt(stages.length)];
                    switch (random.nextInt(3)) {
                        case 0 -> driver.crashBeforeNextCommit(stage);
                        case 1 -> driver.crashAfterNextCommit(stage);
                        default -> driver.failNextCommit(stage);
                    }
                }
                try {
                    switch (random.nextInt(4)) {
                        case 0 -> driver.ingestOneBatch();
                        case 1 -> driver.mergeSilver();
                        case 2 -> driver.ingestWhileMerging();
                        default -> driver.runOneBatch();
                    }
                } catch (SimulatedCrash | SinkException expected) {
                    // the driver restarts from the tables on the next step
                }
            }
            finish(driver);
            assertTablesExact();
        }
    }

    /** Runs until caught up, through any fault still armed (each fires once). */
    private static void finish(PipelineTestDriver driver) {
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                driver.runUntilCaughtUp();
                driver.mergeSilver();
                return;
            } catch (SimulatedCrash | SinkException expected) {
                // an armed fault fired; go on from the tables
            }
        }
        throw new AssertionError("still failing after 5 restarts");
    }

    private void send(int n) {
        for (int i = 0; i < n; i++, sent++) {
            hub.send(Orders.key(sent), Orders.event(sent));
        }
    }

    private String path(String table) {
        return lake.resolve(table).resolve("orders").toString();
    }

    /** Bronze holds every event sent exactly once; silver the latest of each order, up to bronze's last version. */
    private void assertTablesExact() {
        List<Map<String, Object>> bronze = KernelReader.rows(path("bronze"));
        Set<List<Object>> positions = new HashSet<>();
        List<Object> duplicates = new ArrayList<>();
        for (Map<String, Object> row : bronze) {
            List<Object> at = List.of(row.get("partition"), row.get("position"));
            if (!positions.add(at)) {
                duplicates.add(at);
            }
        }
        assertThat(duplicates).as("events in bronze twice").isEmpty();
        assertThat(bronze).as("every event in bronze").hasSize(sent);
        assertThat(KernelReader.transaction(path("silver"), SILVER_MARKER))
                .contains(KernelReader.version(path("bronze")));
        Orders.assertSilverHoldsLatestStatus(path("silver"), sent);
    }
}
