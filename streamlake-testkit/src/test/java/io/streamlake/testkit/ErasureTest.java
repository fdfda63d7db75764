package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.quality.Expectation;
import io.streamlake.schema.Schema;
import io.streamlake.table.ChangeFeedLayout;
import io.streamlake.table.Erasure;
import io.streamlake.table.EventLogLayout;
import io.streamlake.table.ForwardingTable;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableChange;
import io.streamlake.table.TableCommit;
import io.streamlake.table.TableRef;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Erasure ({@code PipelineRun.erase}, {@code Pipeline.erase}, {@code PipelineTestDriver.erase}): the
 * keys leave bronze, silver, the delete markers and the quarantine, the change feed gets their
 * deletes, no table's log holds a key, a crash at any commit is finished by the next start, and a
 * replay of bronze's history does not bring an erased key back. Every table is read back with
 * Delta Kernel.
 */
class ErasureTest {
    /** Keys no other text in the tables contains, so a search of every byte finds only them. */
    private static final String ERASED = "ord-erase-4711";
    private static final String DELETED = "ord-erase-0815";
    private static final String KEPT = "ord-keep-1";

    @TempDir Path lake;
    private final InMemoryHub hub = InMemoryHub.create("orders", 2);

    private Pipeline pipeline() {
        return Orders.checkedPipeline(hub, lake + "/").withChangeFeed(lake.resolve("changes").toString());
    }

    private String path(String table) {
        return lake.resolve(table).toString();
    }

    /** Events of three keys: the erased one updated, quarantined and updated again; one deleted. */
    private void sendStory() {
        hub.send(ERASED, Orders.json(ERASED, "CREATED", 1));
        hub.send(KEPT, Orders.json(KEPT, "CREATED", 2));
        hub.send(DELETED, Orders.json(DELETED, "CREATED", 3));
        hub.send(ERASED, Orders.json(ERASED, "PAID", 4).replace("\"items\":2", "\"items\":0")); // quarantined
        hub.send(ERASED, Orders.json(ERASED, "SHIPPED", 5));
        hub.send(0, DELETED.getBytes(StandardCharsets.UTF_8), null, Map.of()); // a tombstone: a delete marker
    }

    private static long rowsOf(List<Map<String, Object>> rows, String column, String value) {
        return rows.stream().filter(r -> value.equals(r.get(column))).count();
    }

    /** Bronze rows whose record key or value mentions the key. */
    private long bronzeMentions(String key) {
        return KernelReader.rows(path("bronze/orders")).stream()
                .filter(r -> mentions((byte[]) r.get("key"), key) || mentions((byte[]) r.get("value"), key)).count();
    }

    private static boolean mentions(byte[] bytes, String key) {
        return bytes != null && new String(bytes, StandardCharsets.UTF_8).contains(key);
    }

    @Test
    void erasingAKeyRemovesItFromEveryTableAndTheChangeFeedGetsItsDelete() throws IOException {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline().withEventLog(path("events")))) {
            sendStory();
            driver.runUntilCaughtUp();
            assertThat(bronzeMentions(ERASED)).isEqualTo(3);
            assertThat(driver.quarantine().rows().size()).isEqualTo(1);
            assertThat(driver.deleteMarkers().rows().size()).isEqualTo(1);
            long silverBefore = driver.silver().version();

            Erasure e = driver.erase(List.of(ERASED, DELETED));

            assertThat(e).isEqualTo(new Erasure(1, 2, e.bronzeVersion(), 5, 1, 1, 1));
            assertThat(bronzeMentions(ERASED)).isZero();
            assertThat(bronzeMentions(DELETED)).isZero();
            assertThat(bronzeMentions(KEPT)).isEqualTo(1);
            List<Map<String, Object>> silver = KernelReader.rows(path("silver/orders"));
            assertThat(silver).extracting(r -> r.get("order_id")).containsExactly(KEPT);
            assertThat(KernelReader.rows(path("quarantine/orders"))).isEmpty();
            assertThat(KernelReader.rows(path("silver/orders_deletes"))).isEmpty();

            // the feed: the erased row's delete, at the erasure's silver version, with its last values
            List<Map<String, Object>> feed = KernelReader.rows(path("changes"));
            List<Map<String, Object>> deletes = feed.stream()
                    .filter(r -> ChangeFeedLayout.DELETE.equals(r.get(ChangeFeedLayout.CHANGE_TYPE))).toList();
            assertThat(deletes).hasSize(1); // the deleted key was never visible: created and deleted in one merge
            Map<String, Object> erased = deletes.stream().filter(r -> ERASED.equals(r.get("order_id"))).findFirst()
                    .orElseThrow();
            assertThat(erased.get("status")).isEqualTo("SHIPPED");
            assertThat((Long) erased.get(ChangeFeedLayout.COMMIT_VERSION)).isGreaterThan(silverBefore);
            assertThat(driver.changeFeed()).replaysTo(driver.silver());

            // each table's log says DELETE, and no file of any log holds a key
            for (String table : List.of("bronze/orders", "silver/orders", "quarantine/orders",
                    "silver/orders_deletes")) {
                DeltaTable t = DeltaTable.open(path(table), Map.of());
                TableCommit last = t.history(t.snapshot().version(), t.snapshot().version()).get(0);
                assertThat(last.operation()).as(table).isEqualTo("DELETE");
                assertThat(last.userMetadata()).as(table).contains("\"flow\":\"erasure\"", "\"erasure\":1");
            }
            assertNoLogMentions(ERASED);
            assertNoLogMentions(DELETED);

            // the erasure version's files are not new events: a catch-up from before it reads none of them
            DeltaTable bronze = DeltaTable.open(path("bronze/orders"), Map.of());
            long v = bronze.snapshot().version();
            assertThat(bronze.changes(v, v)).isEmpty();
            assertThat(bronze.changes(0, v)).extracting(TableChange::version).doesNotContain(v);

            // erasing again finds nothing, and is recorded as erasure 2
            assertThat(driver.erase(List.of(ERASED))).isEqualTo(new Erasure(2, 1, v, 0, 0, 0, 0));
        }
        // the event log, written at the stop, has the erasures' commits of each flow table
        assertThat(KernelReader.rows(path("events")))
                .filteredOn(r -> EventLogLayout.ERASURE.equals(r.get(EventLogLayout.EVENT_TYPE)))
                .extracting(r -> r.get(EventLogLayout.FLOW) + " " + r.get(EventLogLayout.ROWS_CHANGED))
                .containsExactlyInAnyOrder("bronze 5", "silver 1", "quarantine 1", "bronze 0", "silver 0",
                        "quarantine 0");
    }

    /**
     * The erasure's own commits hold no key, and neither do the statistics of the files the tables
     * hold now. (Commits before the erasure keep the statistics of the files they added, until log
     * cleanup removes them: the README says so.)
     */
    private void assertNoLogMentions(String key) throws IOException {
        for (String table : List.of("bronze/orders", "silver/orders", "quarantine/orders", "silver/orders_deletes")) {
            DeltaTable t = DeltaTable.open(path(table), Map.of());
            long v = t.snapshot().version();
            Path commit = lake.resolve(table).resolve("_delta_log").resolve(String.format("%020d.json", v));
            assertThat(Files.readString(commit)).as(commit.toString()).contains("\"DELETE\"").doesNotContain(key);
            assertThat(t.snapshot().files()).as(table)
                    .allSatisfy(f -> assertThat(f.minValues() + " " + f.maxValues()).doesNotContain(key));
        }
    }

    @Test
    void aReplayOfBronzesHistoryLeavesErasedKeysOutButNotTheirLaterEvents() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline().withCompaction(2))) {
            hub.send(ERASED, Orders.json(ERASED, "CREATED", 1));
            hub.send(KEPT, Orders.json(KEPT, "CREATED", 2));
            driver.runOneBatch();
            hub.send(ERASED, Orders.json(ERASED, "PAID", 4).replace("\"items\":2", "\"items\":0"));
            hub.send(ERASED, Orders.json(ERASED, "SHIPPED", 5));
            driver.runOneBatch();
            assertThat(driver.compact()).isPositive(); // the original files stay in bronze's history
            driver.erase(List.of(ERASED));
            hub.send(ERASED, Orders.json(ERASED, "REORDERED", 9)); // a new event of the key, after the erasure
            driver.runUntilCaughtUp();
            assertThat(driver.silver().rows()).extracting(r -> r.string("order_id") + " " + r.string("status"))
                    .containsExactlyInAnyOrder(KEPT + " CREATED", ERASED + " REORDERED");
        }
        // a new silver table built from bronze's whole history, through the commits of the original files
        try (PipelineTestDriver driver = PipelineTestDriver.create(rebuilt(hub, lake))) {
            driver.runUntilCaughtUp();
            assertThat(KernelReader.rows(path("rebuilt"))).extracting(r -> r.get("order_id") + " " + r.get("status"))
                    .containsExactlyInAnyOrder(KEPT + " CREATED", ERASED + " REORDERED");
            assertThat(KernelReader.rows(path("rebuilt_quarantine"))).isEmpty();
        }
    }

    /**
     * Generated runs: events of 12 keys (updates, quarantined ones, tombstones) in random batch sizes,
     * some keys erased part way, more events after. Silver as it ends must be silver rebuilt from
     * bronze's whole history, and hold no erased key unless it came back by a later event.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void silverAfterErasuresIsSilverRebuiltFromBronze(long seed) {
        java.util.Random random = new Random(seed);
        Path dir = lake.resolve("seed-" + seed);
        InMemoryHub events = InMemoryHub.create("orders", 2);
        Pipeline p = Orders.checkedPipeline(events, dir + "/").withMaxBatchRecords(1 + random.nextInt(7))
                .withChangeFeed(dir.resolve("changes").toString());
        Set<String> erased = new TreeSet<>();
        Set<String> cameBack = new TreeSet<>();
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            int minute = 0;
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 30; i++) {
                    String key = "ord-" + random.nextInt(12);
                    int kind = random.nextInt(10);
                    if (kind == 0) {
                        events.send(0, key.getBytes(StandardCharsets.UTF_8), null, Map.of());
                    } else {
                        String json = Orders.json(key, "S" + minute, minute++);
                        events.send(key, kind == 1 ? json.replace("\"items\":2", "\"items\":0") : json);
                    }
                    if (erased.contains(key)) {
                        cameBack.add(key);
                    }
                    if (random.nextInt(8) == 0) {
                        driver.runOneBatch();
                    }
                }
                driver.runUntilCaughtUp();
                List<String> now = new ArrayList<>();
                for (int k = 0; k < 12; k++) {
                    if (random.nextInt(4) == 0) {
                        now.add("ord-" + k);
                    }
                }
                driver.erase(now);
                erased.addAll(now);
                cameBack.removeAll(now);
            }
            driver.runUntilCaughtUp();
            assertThat(driver.changeFeed()).replaysTo(driver.silver());
            for (String key : erased) {
                if (!cameBack.contains(key)) {
                    assertThat(driver.silver().rows()).as("seed " + seed + " " + key)
                            .noneMatch(r -> key.equals(r.string("order_id")));
                }
            }
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(rebuilt(events, dir))) {
            driver.runUntilCaughtUp();
        }
        assertThat(sorted(KernelReader.rows(dir.resolve("rebuilt").toString()))).as("seed " + seed)
                .isEqualTo(sorted(KernelReader.rows(dir.resolve("silver/orders").toString())));
        assertThat(KernelReader.rows(dir.resolve("rebuilt_quarantine").toString())).hasSameSizeAs(
                KernelReader.rows(dir.resolve("quarantine/orders").toString()));
    }

    /** The checked pipeline's silver and quarantine built afresh from its bronze table's whole history. */
    private static Pipeline rebuilt(InMemoryHub source, Path dir) {
        Pipeline checked = Orders.checkedPipeline(source, dir + "/");
        return Pipeline.from(source).bronze(dir.resolve("bronze/orders").toString())
                .silver(dir.resolve("rebuilt").toString(), "order_id").withSchema(Orders.SCHEMA)
                .withMergeStrategy(checked.mergeStrategy()).withQuarantine(dir.resolve("rebuilt_quarantine").toString())
                .withExpectation(checked.expectations().get(0));
    }

    /**
     * A rebuild whose merges are large enough to be decoded in slices on 8 worker threads (more than
     * this machine's cores), each slice recognizing erased keys with a matcher of its own: the rebuilt
     * silver is the live one, value by value, as Kernel reads both.
     */
    @Test
    void aRebuildDecodedOnEightThreadsLeavesEveryErasedKeyOut() {
        InMemoryHub events = InMemoryHub.create("orders", 4);
        Path dir = lake.resolve("wide");
        Pipeline live = Orders.checkedPipeline(events, dir + "/").withWriterParallelism(8);
        List<String> erased = new ArrayList<>();
        try (PipelineTestDriver driver = PipelineTestDriver.create(live)) {
            for (int n = 0; n < 30_000; n++) {
                String key = "ord-" + n % 3_000;
                events.send(key, Orders.json(key, "S" + n, n));
            }
            driver.runUntilCaughtUp();
            for (int k = 0; k < 3_000; k += 7) {
                erased.add("ord-" + k);
            }
            assertThat(driver.erase(erased).silverRows()).isEqualTo(erased.size());
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(rebuilt(events, dir).withWriterParallelism(8)
                .withMaxBatchRecords(50_000))) {
            driver.runUntilCaughtUp();
        }
        List<String> rebuiltRows = sorted(KernelReader.rows(dir.resolve("rebuilt").toString()));
        assertThat(rebuiltRows).hasSize(3_000 - erased.size())
                .isEqualTo(sorted(KernelReader.rows(dir.resolve("silver/orders").toString())));
    }

    private static List<String> sorted(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> new TreeMap<>(r).toString()).sorted().toList();
    }

    /**
     * A crash before, at or after any of the erasure's commits: the erasure throws, and the next
     * start finishes it from what bronze recorded; the tables end as without the crash.
     */
    @ParameterizedTest
    @EnumSource(value = Stage.class, names = {"BRONZE", "SILVER", "QUARANTINE", "DELETE_MARKERS", "CHANGE_FEED"})
    void aCrashAtAnyCommitOfAnErasureIsFinishedByTheNextStart(Stage stage) {
        for (int fault = 0; fault < 3; fault++) {
            Path dir = lake.resolve(stage + "-" + fault);
            InMemoryHub events = InMemoryHub.create("orders", 2);
            Pipeline p = Orders.checkedPipeline(events, dir + "/").withChangeFeed(dir.resolve("changes").toString());
            try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
                events.send(ERASED, Orders.json(ERASED, "CREATED", 1));
                events.send(KEPT, Orders.json(KEPT, "CREATED", 2));
                events.send(ERASED, Orders.json(ERASED, "PAID", 4).replace("\"items\":2", "\"items\":0"));
                events.send(0, DELETED.getBytes(StandardCharsets.UTF_8), null, Map.of());
                events.send(DELETED, Orders.json(DELETED, "CREATED", 3));
                events.send(0, DELETED.getBytes(StandardCharsets.UTF_8), null, Map.of());
                driver.runUntilCaughtUp();
                switch (fault) {
                    case 0 -> driver.crashBeforeNextCommit(stage);
                    case 1 -> driver.failNextCommit(stage);
                    default -> driver.crashAfterNextCommit(stage);
                }
                assertThatThrownBy(() -> driver.erase(List.of(ERASED, DELETED))).as(stage + " fault " + fault)
                        .isNotNull();
                events.send(KEPT, Orders.json(KEPT, "PAID", 6));
                driver.runUntilCaughtUp(); // restarts the engine, which finishes the erasure first
                if (stage == Stage.BRONZE && fault < 2) {
                    // bronze's commit records the erasure: without it there was none, and the caller
                    // does as the exception says, erase again
                    assertThat(driver.silver().rows()).as("no erasure yet").hasSize(2);
                    driver.erase(List.of(ERASED, DELETED));
                }

                assertThat(driver.silver().rows()).extracting(r -> r.string("order_id") + " " + r.string("status"))
                        .as(stage + " fault " + fault).containsExactly(KEPT + " PAID");
                assertThat(driver.quarantine().rows().size()).as(stage + " fault " + fault).isZero();
                assertThat(driver.deleteMarkers().rows().size()).as(stage + " fault " + fault).isZero();
                assertThat(driver.changeFeed()).replaysTo(driver.silver());
                assertThat(driver.changeFeed().rows().stream()
                        .filter(r -> ERASED.equals(r.string("order_id"))
                                && ChangeFeedLayout.DELETE.equals(r.string(ChangeFeedLayout.CHANGE_TYPE))))
                        .as(stage + " fault " + fault).hasSize(1);
                String bronze = dir.resolve("bronze/orders").toString();
                assertThat(KernelReader.rows(bronze)).as(stage + " fault " + fault).hasSize(2)
                        .allSatisfy(r -> assertThat(mentions((byte[]) r.get("key"), KEPT)).isTrue());
            }
        }
    }

    @Test
    void scd2HistoryLosesEveryVersionOfTheKeyAndTheFeedDeletesEach() {
        Schema history = Orders.HISTORY_SCHEMA;
        Pipeline p = Pipeline.from(hub).bronze(path("bronze")).silver(path("silver"), "order_id").withSchema(history)
                .withMergeStrategy(MergeStrategies.scd2("updated_at")).withChangeFeed(path("changes"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            hub.send(ERASED, Orders.json(ERASED, "CREATED", 1));
            hub.send(KEPT, Orders.json(KEPT, "CREATED", 2));
            driver.runOneBatch();
            hub.send(ERASED, Orders.json(ERASED, "PAID", 3));
            driver.runOneBatch();
            assertThat(driver.silver().rows()).filteredOn(r -> ERASED.equals(r.string("order_id"))).hasSize(2);

            assertThat(driver.erase(List.of(ERASED)).silverRows()).isEqualTo(2);

            assertThat(KernelReader.rows(path("silver"))).extracting(r -> r.get("order_id")).containsExactly(KEPT);
            long silverVersion = driver.silver().version();
            assertThat(driver.changeFeed().rows()).filteredOn(
                    r -> r.longValue(ChangeFeedLayout.COMMIT_VERSION) == silverVersion)
                    .extracting(r -> r.string("order_id") + " " + r.string("status") + " "
                            + r.string(ChangeFeedLayout.CHANGE_TYPE))
                    .containsExactlyInAnyOrder(ERASED + " CREATED delete", ERASED + " PAID delete");
            assertThat(driver.changeFeed()).replaysTo(driver.silver());
        }
    }

    @Test
    void compositeKeysAreListsOfTheirColumnsValuesAndAKeyThatDoesNotFitIsRefusedWithoutQuotingIt() {
        Pipeline p = Pipeline.from(hub).bronze(path("bronze")).silver(path("silver"), "customer_id", "items")
                .withSchema(Orders.SCHEMA).withMergeStrategy(MergeStrategies.latestBy("updated_at"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            hub.send(ERASED, Orders.json(ERASED, "CREATED", 1)); // customer c-<order>, 2 items
            hub.send(KEPT, Orders.json(KEPT, "CREATED", 2));
            driver.runUntilCaughtUp();

            assertThatThrownBy(() -> driver.erase(List.of("c-" + ERASED))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[customer_id, items]").hasMessageNotContaining(ERASED);
            assertThatThrownBy(() -> driver.erase(List.of(List.of("c-" + ERASED, "2"))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'items'")
                    .hasMessageContaining("integer").hasMessageNotContaining(ERASED);
            assertThat(driver.silver().rows().size()).isEqualTo(2); // nothing was written

            // a Long fits an INT column when its value does
            Erasure e = driver.erase(List.of(List.of("c-" + ERASED, 2L)));
            assertThat(e.silverRows()).isEqualTo(1);
            assertThat(e.bronzeRows()).isEqualTo(1);
            assertThat(driver.silver().rows()).extracting(r -> r.string("order_id")).containsExactly(KEPT);
        }
    }

    @Test
    void pipelineEraseWorksOnAStoppedPipelineAndFindsNothingInOneThatNeverRan() {
        assertThat(pipeline().erase(List.of(ERASED))).isEqualTo(new Erasure(0, 1, -1, 0, 0, 0, 0));
        sendStory();
        pipeline().runUntilCaughtUp();

        Erasure e = pipeline().erase(List.of(ERASED));

        assertThat(e.id()).isEqualTo(1);
        assertThat(e.bronzeRows()).isEqualTo(3);
        assertThat(e.silverRows()).isEqualTo(1);
        assertThat(e.quarantineRows()).isEqualTo(1);
        assertThat(bronzeMentions(ERASED)).isZero();
        assertThat(KernelReader.rows(path("silver/orders"))).extracting(r -> r.get("order_id")).containsExactly(KEPT);
        assertThat(KernelReader.rows(path("changes")))
                .filteredOn(r -> ERASED.equals(r.get("order_id"))
                        && ChangeFeedLayout.DELETE.equals(r.get(ChangeFeedLayout.CHANGE_TYPE)))
                .hasSize(1);
    }

    /**
     * Scaled out: instance B erases while instance A, the silver writer, merges events of the key that
     * it read from bronze before B's bronze commit; B's silver commit comes before A's merge commits.
     * On Delta, A's commit conflicts with B's (the erasure's table property is a metadata change) and
     * A merges again without the key; on a table with no such check (in memory), A applies the
     * erasure again right after its merge. Either way the key is gone.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void anErasureByAnotherInstanceDuringAMergeLeavesTheKeyOut(boolean delta) {
        Map<String, Table> tables = new HashMap<>();
        for (String t : List.of("bronze", "silver", "quarantine", "deletes", "changes")) {
            tables.put(t, delta ? DeltaTable.open(path(t), Map.of()) : InMemoryTable.create(t));
        }
        AtomicReference<Runnable> beforeMerge =
                new AtomicReference<>();
        Table hooked = new ForwardingTable(tables.get("silver")) {
            @Override
            public PendingCommit newCommit() {
                PendingCommit inner = delegate().newCommit();
                PendingCommit[] self = new PendingCommit[1];
                self[0] = (PendingCommit) Proxy.newProxyInstance(
                        getClass().getClassLoader(), new Class<?>[] {PendingCommit.class},
                        (proxy, method, args) -> {
                            if (method.getName().equals("commit") && "MERGE".equals(args[0])) {
                                Runnable r = beforeMerge.getAndSet(null);
                                if (r != null) {
                                    r.run();
                                }
                            }
                            try {
                                Object result = method.invoke(inner, args);
                                return result == inner ? self[0] : result;
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
                return self[0];
            }
        };
        Pipeline writer = instance(tables, hooked);
        Pipeline eraser = instance(tables, tables.get("silver"));
        try (PipelineTestDriver a = PipelineTestDriver.create(writer);
                PipelineTestDriver b = PipelineTestDriver.create(eraser)) {
            hub.send(KEPT, Orders.json(KEPT, "CREATED", 1));
            a.runUntilCaughtUp();
            // B opens (a start merges what bronze holds) before the race, with an erasure of its own
            assertThat(b.erase(List.of("ord-nobody")).id()).isEqualTo(1);
            hub.send(ERASED, Orders.json(ERASED, "CREATED", 2));
            hub.send(ERASED, Orders.json(ERASED, "PAID", 3).replace("\"items\":2", "\"items\":0"));
            a.ingestOneBatch(); // in bronze, not merged yet
            Erasure[] erased = new Erasure[1];
            beforeMerge.set(() -> erased[0] = b.erase(List.of(ERASED)));
            a.mergeSilver(); // read bronze before B's commits, commits after them
            assertThat(erased[0]).isNotNull();
            assertThat(erased[0].bronzeRows()).isEqualTo(2);

            assertThat(a.silver().rows()).extracting(r -> r.string("order_id")).containsExactly(KEPT);
            assertThat(a.quarantine().rows()).isEmpty();
            assertThat(a.bronze().rows()).hasSize(1);
            assertThat(a.changeFeed()).replaysTo(a.silver());
        }
    }

    private Pipeline instance(Map<String, Table> tables, Table silver) {
        return Pipeline.from(hub).bronze(TableRef.of(tables.get("bronze")))
                .silver(TableRef.of(silver), "order_id").withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withQuarantine(TableRef.of(tables.get("quarantine")))
                .withDeleteMarkers(TableRef.of(tables.get("deletes")))
                .withChangeFeed(TableRef.of(tables.get("changes")))
                .withExpectation(Expectation.quarantine("positive_items", r -> ((Integer) r.value("items")) > 0));
    }

    @Test
    void aBronzeOnlyPipelineHasNoKeyToEraseBy() {
        Pipeline p = Pipeline.from(hub).bronze(path("bronze")).bronzeOnly();
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            driver.runUntilCaughtUp();
            assertThatThrownBy(() -> driver.erase(List.of("x"))).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("no silver table");
        }
    }

    @Test
    void aRunningPipelinePausesToEraseAndGoesOnAfterwards() throws Exception {
        Pipeline p = pipeline().withMaxBatchRecords(10);
        try (PipelineRun run = p.start()) {
            List<String> later = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                hub.send(Orders.key(i), Orders.event(i));
            }
            sendStory();
            awaitSilver(run, 7);
            Erasure e = run.erase(List.of(ERASED));
            assertThat(e.silverRows()).isEqualTo(1);
            assertThat(e.bronzeRows()).isEqualTo(3);
            for (int i = 200; i < 260; i++) {
                hub.send(Orders.key(i), Orders.event(i));
                later.add(Orders.key(i));
            }
            hub.send(ERASED, Orders.json(ERASED, "REORDERED", 9));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (rowsOf(KernelReader.rows(path("silver/orders")), "order_id", ERASED) == 0) {
                assertThat(System.nanoTime()).as("the key's new event reaches silver").isLessThan(deadline);
                Thread.sleep(50);
            }
            run.stop();
            run.awaitTermination();
        }
        List<Map<String, Object>> silver = KernelReader.rows(path("silver/orders"));
        assertThat(rowsOf(silver, "order_id", ERASED)).isEqualTo(1);
        assertThat(silver).filteredOn(r -> ERASED.equals(r.get("order_id"))).extracting(r -> r.get("status"))
                .containsExactly("REORDERED");
        assertThat(bronzeMentions(ERASED)).isEqualTo(1);
    }

    private void awaitSilver(PipelineRun run, int keysAtLeast) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<Map<String, Object>> rows = new ArrayList<>();
            try {
                rows = KernelReader.rows(path("silver/orders"));
            } catch (RuntimeException notYetCreated) {
                // the table appears with the first merge
            }
            if (rowsOf(rows, "order_id", ERASED) == 1 && rowsOf(rows, "status", "SHIPPED") == 1
                    && rows.size() >= keysAtLeast) {
                return;
            }
            assertThat(System.nanoTime()).as("silver merges the story; " + run.progress()).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

}
