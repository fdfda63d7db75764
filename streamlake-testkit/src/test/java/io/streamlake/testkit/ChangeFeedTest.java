package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.ChangeFeedLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.FileChanges;
import io.streamlake.table.TableCommit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Silver's change feed ({@code Pipeline.withChangeFeed}): each silver version's row changes in
 * Delta's change-data-feed row shape, once each across crashes, none for a compaction, and also the
 * changes another writer made to silver; read back with Delta Kernel.
 */
class ChangeFeedTest {
    @TempDir Path lake;
    private final InMemoryHub hub = InMemoryHub.create("orders", 1);

    private Pipeline pipeline() {
        return Orders.latestPipeline(hub, lake).withChangeFeed(changes());
    }

    private String changes() {
        return lake.resolve("silver_changes").toString();
    }

    private void tombstone(String key) {
        hub.send(0, key.getBytes(StandardCharsets.UTF_8), null, Map.of());
    }

    /** A change row as {@code order_id status _change_type _commit_version}. */
    private static String change(Row r) {
        return r.string("order_id") + " " + r.string("status") + " " + r.string(ChangeFeedLayout.CHANGE_TYPE) + " "
                + r.longValue(ChangeFeedLayout.COMMIT_VERSION);
    }

    private static List<String> changes(TableContents feed) {
        return feed.rows().stream().map(ChangeFeedTest::change).sorted().toList();
    }

    @Test
    void insertsUpdatesAndDeletesAreEachSilverVersionsRowChangesAsKernelReadsThem() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            hub.send("a", Orders.json("a", "CREATED", 1));
            hub.send("b", Orders.json("b", "CREATED", 2));
            driver.runOneBatch();
            long v1 = driver.silver().version();
            hub.send("a", Orders.json("a", "PAID", 3)); // an update
            hub.send("c", Orders.json("c", "CREATED", 4)); // an insert
            hub.send("b", Orders.json("b", "STALE", 0)); // older than silver's row: no change
            driver.runOneBatch();
            long v2 = driver.silver().version();
            tombstone("b"); // a delete
            driver.runOneBatch();
            long v3 = driver.silver().version();

            TableContents feed = driver.changeFeed();
            assertThat(changes(feed)).containsExactly("a CREATED insert " + v1, "a CREATED update_preimage " + v2,
                    "a PAID update_postimage " + v2, "b CREATED delete " + v3, "b CREATED insert " + v1,
                    "c CREATED insert " + v2);
            assertThat(feed).replaysTo(driver.silver());
            // every silver column, then the three of Delta's change data feed
            assertThat(feed.schema().orElseThrow()).isEqualTo(ChangeFeedLayout.schema(Orders.SCHEMA));
            Row update = feed.rows().stream().filter(r -> change(r).equals("a PAID update_postimage " + v2)).findFirst()
                    .orElseThrow();
            assertThat(update.value("amount")).isEqualTo(new java.math.BigDecimal("13.50"));

            // _commit_timestamp is the silver version's commit time, as its history gives it
            DeltaTable silver = DeltaTable.open(lake.resolve("silver").toString(), Map.of());
            for (Row r : feed.rows()) {
                long v = r.longValue(ChangeFeedLayout.COMMIT_VERSION);
                TableCommit commit = silver.history(v, v).get(0);
                assertThat(commit.operation()).isEqualTo("MERGE");
                assertThat(r.timestamp(ChangeFeedLayout.COMMIT_TIMESTAMP)).isEqualTo(commit.timestamp());
            }

            // another reader sees the same rows, and the feed only ever appends
            List<String> kernel = KernelReader.rows(changes()).stream()
                    .map(m -> m.get("order_id") + " " + m.get("status") + " " + m.get("_change_type") + " "
                            + m.get("_commit_version"))
                    .sorted().toList();
            assertThat(kernel).isEqualTo(changes(feed));
            DeltaTable feedTable = DeltaTable.open(changes(), Map.of());
            assertThat(feedTable.fileChanges(0, feedTable.snapshot().version())).isNotEmpty()
                    .allSatisfy(c -> assertThat(c.removed()).isEmpty());
        }
    }

    @Test
    void closingAnScd2VersionIsAnUpdateOfThatVersionAndTheNewVersionAnInsert() {
        Schema history = Orders.HISTORY_SCHEMA;
        Pipeline pipeline = Pipeline.from(hub).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id").withSchema(history)
                .withMergeStrategy(MergeStrategies.scd2("updated_at")).withChangeFeed(changes());
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            hub.send("a", Orders.json("a", "CREATED", 1));
            driver.runOneBatch();
            long v1 = driver.silver().version();
            hub.send("a", Orders.json("a", "PAID", 3));
            driver.runOneBatch();
            long v2 = driver.silver().version();
            hub.send("a", Orders.json("a", "CHECKED", 2)); // late: lands between the two versions
            driver.runOneBatch();
            long v3 = driver.silver().version();

            Instant t1 = Orders.T0.plusSeconds(60);
            Instant t2 = Orders.T0.plusSeconds(120);
            Instant t3 = Orders.T0.plusSeconds(180);
            List<String> rows = driver.changeFeed().rows().stream()
                    .map(r -> r.longValue(ChangeFeedLayout.COMMIT_VERSION) + " " + r.string("status") + " "
                            + r.timestamp("__START_AT") + ".." + r.timestamp("__END_AT") + " "
                            + r.string(ChangeFeedLayout.CHANGE_TYPE))
                    .toList();
            assertThat(rows).containsExactlyInAnyOrder(
                    v1 + " CREATED " + t1 + "..null insert",
                    v2 + " CREATED " + t1 + "..null update_preimage",
                    v2 + " CREATED " + t1 + ".." + t3 + " update_postimage",
                    v2 + " PAID " + t3 + "..null insert",
                    v3 + " CREATED " + t1 + ".." + t3 + " update_preimage",
                    v3 + " CREATED " + t1 + ".." + t2 + " update_postimage",
                    v3 + " CHECKED " + t2 + ".." + t3 + " insert");
            assertThat(driver.changeFeed()).replaysTo(driver.silver());
        }
    }

    /** Where the process dies or a commit fails, around silver's commit and the feed's. */
    enum Fault {
        SILVER_COMMITTED_FEED_NOT(Stage.SILVER, FaultyTable.Fault.CRASH_AFTER), FEED_FILES_WRITTEN_NOT_COMMITTED(
                Stage.CHANGE_FEED, FaultyTable.Fault.CRASH_BEFORE), FEED_COMMIT_FAILS(Stage.CHANGE_FEED,
                        FaultyTable.Fault.FAIL), FEED_COMMITTED(Stage.CHANGE_FEED, FaultyTable.Fault.CRASH_AFTER);

        final Stage stage;
        final FaultyTable.Fault fault;

        Fault(Stage stage, FaultyTable.Fault fault) {
            this.stage = stage;
            this.fault = fault;
        }

        void arm(PipelineTestDriver driver) {
            switch (fault) {
                case CRASH_AFTER -> driver.crashAfterNextCommit(stage);
                case CRASH_BEFORE -> driver.crashBeforeNextCommit(stage);
                case FAIL -> driver.failNextCommit(stage);
                default -> throw new IllegalArgumentException(fault.toString());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void aCrashOrFailureAroundTheFeedsCommitLosesNoChangeAndRepeatsNone(Fault fault) {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            for (int n = 0; n < 30; n++) {
                hub.send(Orders.key(n), Orders.event(n));
            }
            driver.runOneBatch();
            for (int n = 30; n < 60; n++) {
                hub.send(Orders.key(n), Orders.event(n));
            }
            fault.arm(driver);
            assertThatThrownBy(driver::runOneBatch).isInstanceOfAny(SimulatedCrash.class,
                    io.streamlake.exceptions.SinkException.class);
            for (int n = 60; n < 90; n++) {
                hub.send(Orders.key(n), Orders.event(n));
            }
            driver.runUntilCaughtUp(); // restarts: the feed first writes what the failed run left out
            assertThat(driver.changeFeed()).replaysTo(driver.silver());
            List<Long> versions = driver.changeFeed().rows().stream()
                    .map(r -> r.longValue(ChangeFeedLayout.COMMIT_VERSION)).distinct().sorted().toList();
            assertThat(versions).hasSize(3);
            assertThat(driver.changeFeed().marker("streamlake.changeFeed"))
                    .hasValue(driver.silver().version());
        }
    }

    @Test
    void aCompactionOfSilverChangesNoRowAndAddsNothingToTheFeed() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline().withTargetFileRows(10))) {
            for (int n = 0; n < 60; n++) {
                hub.send(Orders.key(n), Orders.event(n));
            }
            driver.runOneBatch();
            long rows = driver.changeFeed().rows().size();
            // as the pipeline's compaction and Spark's OPTIMIZE do: the same rows in fewer files, no data change
            DeltaTable silver = DeltaTable.open(lake.resolve("silver").toString(), Map.of());
            Schema stored = silver.snapshot().schema().orElseThrow();
            List<DataFile> files = silver.snapshot().files();
            assertThat(files).hasSizeGreaterThan(1);
            DataFile combined;
            try (DataFileWriter w = silver.newDataFile(stored)) {
                for (DataFile f : files) {
                    silver.read(f, stored).forEachRemaining(w::write);
                }
                combined = w.finish();
            }
            silver.newCommit().replace(files, List.of(combined)).rearrangeOnly().commit("OPTIMIZE");

            hub.send(Orders.key(1), Orders.json(Orders.key(1), "LAST", 500));
            driver.runOneBatch();
            // the compaction's version adds no row; the next merge adds its update
            assertThat(driver.changeFeed().rows()).hasSize((int) rows + 2);
            assertThat(driver.changeFeed()).replaysTo(driver.silver());
        }
    }

    @Test
    void whatAnotherWriterDidToSilverWhileThePipelineWasStoppedIsInTheFeed() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            for (String id : List.of("a", "b", "c", "d")) {
                hub.send(id, Orders.json(id, "CREATED", 1));
            }
            driver.runOneBatch();
        }
        // as Spark's DELETE FROM silver WHERE order_id = 'b' does: rewrite the file without the row
        DeltaTable silver = DeltaTable.open(lake.resolve("silver").toString(), Map.of());
        Schema stored = silver.snapshot().schema().orElseThrow();
        DataFile file = silver.snapshot().files().get(0);
        List<Row> kept = new ArrayList<>();
        silver.read(file, stored).forEachRemaining(r -> {
            if (!"b".equals(r.string("order_id"))) {
                kept.add(r);
            }
        });
        // and its UPDATE of c, written out of key order as another engine may
        List<Row> rewritten = new ArrayList<>();
        for (Row r : kept) {
            rewritten.add("c".equals(r.string("order_id")) ? r.with("status", "FIXED") : r);
        }
        Collections.reverse(rewritten);
        DataFile added;
        try (DataFileWriter w = silver.newDataFile(stored)) {
            rewritten.forEach(w::write);
            added = w.finish();
        }
        silver.newCommit().remove(file).add(added).commit("DELETE");
        long foreign = silver.snapshot().version();

        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            hub.send("e", Orders.json("e", "CREATED", 2));
            driver.runOneBatch();
            List<String> atForeign = driver.changeFeed().rows().stream()
                    .filter(r -> r.longValue(ChangeFeedLayout.COMMIT_VERSION) == foreign).map(ChangeFeedTest::change)
                    .sorted().toList();
            assertThat(atForeign).containsExactly("b CREATED delete " + foreign,
                    "c CREATED update_preimage " + foreign, "c FIXED update_postimage " + foreign);
            assertThat(driver.changeFeed()).replaysTo(driver.silver());
        }
    }

    @Test
    void aFeedAddedToAPipelineWithSilverRowsStartsAfterSilversVersion() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(Orders.latestPipeline(hub, lake))) {
            hub.send("a", Orders.json("a", "CREATED", 1));
            driver.runOneBatch();
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            hub.send("a", Orders.json("a", "PAID", 2));
            driver.runOneBatch();
            assertThat(changes(driver.changeFeed())).containsExactly(
                    "a CREATED update_preimage " + driver.silver().version(),
                    "a PAID update_postimage " + driver.silver().version());
        }
    }

    @Test
    void aChangeFeedNeedsSilverAndColumnsOfItsOwn() {
        assertThatThrownBy(() -> Pipeline.from(hub).bronze("b").bronzeOnly().withChangeFeed("c").validate())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("has no silver table");
        Schema taken = Schema.builder().required("order_id", DataType.STRING)
                .optional(ChangeFeedLayout.CHANGE_TYPE, DataType.STRING).build();
        Pipeline pipeline = Pipeline.from(hub).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id").withSchema(taken).withChangeFeed(changes());
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("'_change_type'").hasMessageContaining("rename the column");
        }
    }

    @Test
    void theTableListsTheFilesEachVersionRemovedWithTheirStatistics() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(Orders.latestPipeline(hub, lake))) {
            for (int n = 0; n < 40; n++) {
                hub.send(Orders.key(n), Orders.event(n));
                if (n % 10 == 9) {
                    driver.runOneBatch();
                }
            }
        }
        DeltaTable silver = DeltaTable.open(lake.resolve("silver").toString(), Map.of());
        List<FileChanges> changes = silver.fileChanges(0, silver.snapshot().version());
        assertThat(changes).hasSizeGreaterThanOrEqualTo(4);
        FileChanges last = changes.get(changes.size() - 1);
        assertThat(last.removed()).isNotEmpty()
                .allSatisfy(f -> assertThat(f.min("order_id")).isPresent())
                .allSatisfy(f -> assertThat(f.rowCount()).isPositive());
        Iterator<Row> rows = silver.read(last.added().get(0), silver.snapshot().schema().orElseThrow());
        assertThat(rows.hasNext()).isTrue();
        assertThat(changes.stream().map(FileChanges::version).collect(Collectors.toList())).isSorted();
    }
}
