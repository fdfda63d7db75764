package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every built-in strategy through the real engine: out-of-order events, duplicates within and
 * across batches, deletes and late updates, partial updates, column lists and SCD type 2 history,
 * on in-memory tables and on Delta tables read back with Delta Kernel.
 */
class MergeStrategiesScenarioTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    /** Order change events; {@code op} says UPSERT or DELETE. */
    private static final Schema CDC = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("note", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .build();

    /** The same with the SCD2 history columns. */
    private static final Schema HISTORY = Schema.of(Stream.concat(CDC.fields().stream(), Stream.of(
            Field.optional("__START_AT", DataType.TIMESTAMP), Field.optional("__END_AT", DataType.TIMESTAMP)))
            .toList());

    @TempDir Path lake;

    private static Instant t(int minute) {
        return T0.plusSeconds(60L * minute);
    }

    private static Row upsert(String id, @Nullable String status, @Nullable String note, int minute) {
        return Row.of(CDC, id, status, note, "UPSERT", t(minute));
    }

    private static Row delete(String id, int minute) {
        return Row.of(CDC, id, null, null, "DELETE", t(minute));
    }

    /** A silver row of the SCD1 table. */
    private static Row stored(String id, @Nullable String status, @Nullable String note, @Nullable String op,
            int minute) {
        return Row.of(CDC, id, status, note, op, t(minute));
    }

    /** A silver row of the SCD1 table with {@code dropColumns("op")}: no op column. */
    private static Row storedWithoutOp(String id, @Nullable String status, @Nullable String note, int minute) {
        return Stored.without(stored(id, status, note, null, minute), "op");
    }

    private static Row event(String id, @Nullable String status, @Nullable String note, String op, int minute) {
        return Row.of(HISTORY, id, status, note, op, t(minute), null, null);
    }

    /** A version in a table created with op (by another writer, or an earlier version): op null. */
    private static Row version(String id, String status, @Nullable String note, int minute, int start,
            @Nullable Integer end) {
        return Row.of(HISTORY, id, status, note, null, t(minute), t(start), end == null ? null : t(end));
    }

    /** A silver row of the SCD2 table: op is dropped, so the table has no such column. */
    private static Row storedVersion(String id, String status, @Nullable String note, int minute, int start,
            @Nullable Integer end) {
        return Stored.without(version(id, status, note, minute, start, end), "op");
    }

    private static Pipeline pipeline(InMemoryHub hub, Schema schema, MergeStrategy strategy) {
        return Pipeline.from(hub).bronze("bronze/orders").silver("silver/orders", "order_id")
                .withSchema(schema).withMergeStrategy(strategy);
    }

    private static CdcScenario scenario(Schema schema, MergeStrategy strategy) {
        return CdcScenario.given(pipeline(InMemoryHub.create("orders", 2), schema, strategy));
    }

    // ---- SCD type 1 -----------------------------------------------------------------------------

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 2, 3, 100})
    void latestByResolvesOutOfOrderAndDuplicateEventsTheSameInAnyBatching(int batch) {
        scenario(CDC, MergeStrategies.latestBy("updated_at"))
                .events(
                        upsert("o-1", "CREATED", null, 1),
                        upsert("o-1", "SHIPPED", null, 9),
                        upsert("o-1", "PAID", null, 5), // late: older than SHIPPED
                        upsert("o-2", "CREATED", null, 2),
                        upsert("o-2", "CREATED", null, 2), // duplicate
                        upsert("o-1", "SHIPPED", null, 9), // duplicate, in another batch when batch < 5
                        upsert("o-2", "PAID", "late tie", 2)) // same sequence: the greater values win (PAID > CREATED)
                .inBatches(batch)
                .expectSilver(
                        stored("o-1", "SHIPPED", null, "UPSERT", 9),
                        stored("o-2", "PAID", "late tie", "UPSERT", 2));
    }

    @Test
    void firstWinsKeepsTheFirstArrivalEvenIfItIsNewer() {
        scenario(CDC, MergeStrategies.firstWins())
                .events(upsert("o-1", "SHIPPED", null, 9), upsert("o-1", "CREATED", null, 1))
                .inBatches(1)
                .expectSilver(stored("o-1", "SHIPPED", null, "UPSERT", 9));
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 2, 100})
    void deletesApplyOnlyWhenNotOlderThanTheRow(int batch) {
        scenario(CDC, MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE).dropColumns("op"))
                .events(
                        upsert("o-1", "CREATED", null, 1),
                        delete("o-1", 3), // deletes o-1
                        upsert("o-2", "PAID", null, 5),
                        delete("o-2", 4), // older than the row: ignored
                        delete("o-3", 4)) // a key silver never held: nothing
                .inBatches(batch)
                .expectSilver(storedWithoutOp("o-2", "PAID", null, 5));
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 100})
    void aLateUpdateAfterADeleteLeavesTheKeyDeleted(int batch) {
        // The delete at minute 3 leaves a delete marker: the update at minute 2, older but arriving
        // later, does not bring o-1 back (DeleteMarkersTest covers markers in depth).
        scenario(CDC, MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE).dropColumns("op"))
                .events(upsert("o-1", "CREATED", null, 1), delete("o-1", 3), upsert("o-1", "PAID", null, 2))
                .inBatches(batch)
                .expectSilver();
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 100})
    void withoutDeleteMarkersALateUpdateAfterADeleteReinsertsTheKey(int batch) {
        scenario(CDC, MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE).dropColumns("op")
                .keepDeletesFor(java.time.Duration.ZERO))
                .events(upsert("o-1", "CREATED", null, 1), delete("o-1", 3), upsert("o-1", "PAID", null, 2))
                .inBatches(batch)
                .expectSilver(storedWithoutOp("o-1", "PAID", null, 2));
    }

    @Test
    void tombstonesDeleteTheKeyUnlessTheStrategyIgnoresThem() {
        Row[] events = {upsert("o-1", "CREATED", null, 1), upsert("o-2", "CREATED", null, 1)};
        scenario(CDC, MergeStrategies.latestBy("updated_at"))
                .events(events).tombstone("o-1")
                .expectSilver(stored("o-2", "CREATED", null, "UPSERT", 1));
        scenario(CDC, MergeStrategies.latestBy("updated_at").ignoreTombstones())
                .events(events).tombstone("o-1")
                .inBatches(2)
                .expectSilver(stored("o-1", "CREATED", null, "UPSERT", 1), stored("o-2", "CREATED", null, "UPSERT", 1));
    }

    @Test
    void partialUpdatesKeepCurrentValuesForNullFieldsAcrossBatches() {
        scenario(CDC, MergeStrategies.latestBy("updated_at").ignoreNullUpdates())
                .events(
                        upsert("o-1", "CREATED", "gift wrap", 1),
                        upsert("o-1", "PAID", null, 2), // note stays
                        upsert("o-1", null, "leave at door", 3)) // status stays
                .inBatches(1)
                .expectSilver(stored("o-1", "PAID", "leave at door", "UPSERT", 3));
    }

    @Test
    void keptAndDroppedColumns() {
        // only the kept columns are in the table: note and op are not
        Row paid = Stored.without(stored("o-1", "PAID", null, null, 1), "note", "op");
        scenario(CDC, MergeStrategies.latestBy("updated_at").keepColumns("order_id", "status", "updated_at"))
                .events(upsert("o-1", "PAID", "gift", 1))
                .expectSilver(paid);
        scenario(CDC, MergeStrategies.lastWins().dropColumns("note", "op"))
                .events(upsert("o-1", "PAID", "gift", 1))
                .expectSilver(paid);
    }

    @Test
    void anExactDuplicateRewritesNoFile() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(
                pipeline(hub, CDC, MergeStrategies.latestBy("updated_at").ignoreNullUpdates()))) {
            hub.send(0, "o-1", CdcScenario.json(upsert("o-1", "PAID", "gift", 1)));
            driver.runOneBatch();
            List<DataFile> before = driver.silver().files();
            hub.send(0, "o-1", CdcScenario.json(upsert("o-1", "PAID", "gift", 1)));
            hub.send(0, "o-1", CdcScenario.json(upsert("o-1", "PAID", null, 1))); // the same once nulls are filled
            driver.runOneBatch();
            assertThat(driver.silver().files()).isEqualTo(before);
        }
    }

    @Test
    void keepColumnsWithoutTheKeyIsRefusedWhenThePipelineIsValidated() {
        Schema optionalKey = Schema.builder().optional("order_id", DataType.STRING)
                .optional("status", DataType.STRING).build();
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline p = pipeline(hub, optionalKey, MergeStrategies.lastWins().keepColumns("status"));
        assertThatThrownBy(p::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'order_id'").hasMessageContaining("silver key")
                .hasMessageContaining("add it to keepColumns");
        assertThatThrownBy(() -> PipelineTestDriver.inMemory(p)).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void aStrategyThatChangesTheKeyStopsThePipeline() {
        MergeStrategy rekey = (current, incoming) -> MergeDecision.upsert(incoming.with("order_id", "other"));
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline(hub, CDC, rekey))) {
            hub.send(0, "o-1", CdcScenario.json(upsert("o-1", "PAID", null, 1)));
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("must keep the row's key");
            assertThat(driver.silver().rows()).isEmpty();
        }
    }

    // ---- SCD type 2 -----------------------------------------------------------------------------

    private static final Row[] HISTORY_EVENTS = {
            event("o-1", "CREATED", "a", "UPSERT", 1),
            event("o-2", "CREATED", null, "UPSERT", 2),
            event("o-1", "PAID", null, "UPSERT", 5),
            event("o-1", "CREATED", "a", "UPSERT", 1), // duplicate
            event("o-1", "SHIPPED", null, "UPSERT", 9),
            event("o-1", "PAID", "gift", "UPSERT", 6), // untracked change, late: updates [5, 9) in place
            event("o-2", "RETURNED", null, "UPSERT", 4),
            event("o-1", "ON_HOLD", null, "UPSERT", 3), // late tracked change: splits [1, 5)
            event("o-1", "SHIPPED", null, "UPSERT", 9), // duplicate
            event("o-1", null, null, "DELETE", 12), // closes SHIPPED
    };

    private static final Row[] HISTORY_EXPECTED = {
            storedVersion("o-1", "CREATED", "a", 1, 1, 3),
            storedVersion("o-1", "ON_HOLD", null, 3, 3, 5),
            storedVersion("o-1", "PAID", "gift", 6, 5, 9),
            storedVersion("o-1", "SHIPPED", null, 9, 9, 12),
            storedVersion("o-2", "CREATED", null, 2, 2, 4),
            storedVersion("o-2", "RETURNED", null, 4, 4, null),
    };

    private static MergeStrategy scd2() {
        return MergeStrategies.scd2("updated_at").trackHistoryOn("status").withDeletes(IS_DELETE).dropColumns("op");
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 2, 3, 4, 100})
    void scd2KeepsHistoryInTheRightPlaceWhateverTheBatching(int batch) {
        scenario(HISTORY, scd2()).events(HISTORY_EVENTS).inBatches(batch).expectSilver(HISTORY_EXPECTED);
    }

    @Test
    void scd2AfterADeleteALateUpdateIsHistoryAndANewOneStartsAgain() {
        scenario(HISTORY, scd2())
                .events(
                        event("o-1", "CREATED", null, "UPSERT", 1),
                        event("o-1", null, null, "DELETE", 4),
                        event("o-1", "PAID", null, "UPSERT", 3), // before the delete: history only
                        event("o-1", "REOPENED", null, "UPSERT", 7))
                .inBatches(1)
                .expectSilver(
                        storedVersion("o-1", "CREATED", null, 1, 1, 3),
                        storedVersion("o-1", "PAID", null, 3, 3, 4),
                        storedVersion("o-1", "REOPENED", null, 7, 7, null));
    }

    @Test
    void scd2TracksEveryColumnByDefault() {
        scenario(HISTORY, MergeStrategies.scd2("updated_at").dropColumns("op"))
                .events(event("o-1", "CREATED", "a", "UPSERT", 1), event("o-1", "CREATED", "b", "UPSERT", 2),
                        event("o-1", "CREATED", "b", "UPSERT", 3)) // nothing tracked changed: in place
                .inBatches(1)
                .expectSilver(storedVersion("o-1", "CREATED", "a", 1, 1, 2),
                        storedVersion("o-1", "CREATED", "b", 3, 2, null));
    }

    @Test
    void scd2WithoutTheHistoryColumnsSaysWhatToAdd() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline pipeline = pipeline(hub, CDC, MergeStrategies.scd2("updated_at"));
        assertThatThrownBy(() -> PipelineTestDriver.inMemory(pipeline)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("__START_AT").hasMessageContaining(
                        ".optional(\"__START_AT\", DataType.TIMESTAMP).optional(\"__END_AT\", DataType.TIMESTAMP)");
    }

    @Test
    void scd2FilesStaySortedByKeyAndStartWithDisjointKeyRangesAndABatchRewritesOnlyItsFile() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline pipeline = pipeline(hub, HISTORY, scd2()).withTargetFileRows(10);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            for (int round = 2; round >= 0; round--) { // newest first: every later event is out of order
                for (int k = 0; k < 30; k++) {
                    String id = String.format("k%02d", k);
                    hub.send(0, id, CdcScenario.json(event(id, "S" + round, null, "UPSERT", 10 * round + 1)));
                }
                driver.runOneBatch();
            }
            TableContents silver = driver.silver();
            assertThat(silver.rows()).hasSize(90);
            assertSortedWithDisjointKeys(silver);
            assertThat(silver.rows()).filteredOn(r -> r.value("__END_AT") == null).hasSize(30)
                    .allSatisfy(r -> assertThat(r.string("status")).isEqualTo("S2"));

            Set<String> before = paths(silver);
            hub.send(0, "k13", CdcScenario.json(event("k13", "LATE", null, "UPSERT", 5)));
            driver.runOneBatch();
            TableContents after = driver.silver();
            assertThat(after.rows()).hasSize(91);
            assertSortedWithDisjointKeys(after);
            Set<String> replaced = new java.util.HashSet<>(before);
            replaced.removeAll(paths(after));
            assertThat(replaced).hasSize(1);
            assertThat(after.rows()).filteredOn(r -> "k13".equals(r.string("order_id")))
                    .extracting(r -> r.string("status")).containsExactly("S0", "LATE", "S1", "S2");
        }
    }

    @Test
    void scd2HealsAKeyWhoseVersionsAnotherWriterSplitAcrossFiles() {
        // A compaction that cuts by row count (or another engine's OPTIMIZE) can leave one key's
        // versions in two files; merging that key must rewrite both, not duplicate versions.
        InMemoryTable silver = InMemoryTable.create("silver");
        silver.create(HISTORY);
        List<DataFile> split = new ArrayList<>();
        for (Row[] rows : List.of(
                new Row[] {version("k0", "A", null, 1, 1, null), version("k1", "A", null, 1, 1, 5)},
                new Row[] {version("k1", "B", null, 5, 5, null), version("k2", "A", null, 1, 1, null)})) {
            try (var w = silver.newDataFile(HISTORY)) {
                for (Row r : rows) {
                    w.write(r);
                }
                split.add(w.finish());
            }
        }
        var commit = silver.newCommit();
        split.forEach(commit::add);
        commit.commit("WRITE");

        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline pipeline = Pipeline.from(hub).bronze("bronze/orders")
                .silver(io.streamlake.table.TableRef.of(silver), "order_id")
                .withDeleteMarkers(io.streamlake.table.TableRef.of(InMemoryTable.create("deletes")))
                .withSchema(HISTORY).withMergeStrategy(scd2());
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            hub.send(0, "k1", CdcScenario.json(event("k1", "C", null, "UPSERT", 9)));
            driver.runOneBatch();
            TableContents after = driver.silver();
            assertThat(after.rows()).containsExactlyInAnyOrder(
                    version("k0", "A", null, 1, 1, null),
                    version("k1", "A", null, 1, 1, 5),
                    version("k1", "B", null, 5, 5, 9),
                    version("k1", "C", null, 9, 9, null),
                    version("k2", "A", null, 1, 1, null));
            assertThat(paths(after)).doesNotContainAnyElementsOf(split.stream().map(DataFile::path).toList());
            assertSortedWithDisjointKeys(after);
        }
    }

    @Test
    void aFileThatAnotherWriterLeftOutOfKeyOrderIsStillMergedCorrectly() {
        // Our merge joins a file with the batch in one pass because our files are sorted by key; a file
        // from another writer may not be, and must still merge without losing or duplicating a key.
        InMemoryTable silver = InMemoryTable.create("silver");
        silver.create(HISTORY);
        try (var w = silver.newDataFile(HISTORY)) {
            w.write(version("k2", "A", null, 1, 1, null));
            w.write(version("k0", "A", null, 1, 1, null));
            w.write(version("k1", "A", null, 1, 1, null));
            silver.newCommit().add(w.finish()).commit("WRITE");
        }

        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline pipeline = Pipeline.from(hub).bronze("bronze/orders")
                .silver(io.streamlake.table.TableRef.of(silver), "order_id")
                .withDeleteMarkers(io.streamlake.table.TableRef.of(InMemoryTable.create("deletes")))
                .withSchema(HISTORY).withMergeStrategy(scd2());
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            hub.send(0, "k1", CdcScenario.json(event("k1", "C", null, "UPSERT", 9)));
            hub.send(0, "k3", CdcScenario.json(event("k3", "A", null, "UPSERT", 2)));
            driver.runOneBatch();
            TableContents after = driver.silver();
            assertThat(after.rows()).containsExactlyInAnyOrder(
                    version("k0", "A", null, 1, 1, null),
                    version("k1", "A", null, 1, 1, 9),
                    version("k1", "C", null, 9, 9, null),
                    version("k2", "A", null, 1, 1, null),
                    version("k3", "A", null, 2, 2, null));
            assertSortedWithDisjointKeys(after);
        }
    }

    private static Set<String> paths(TableContents t) {
        return t.files().stream().map(DataFile::path).collect(Collectors.toSet());
    }

    /** Each file's rows are sorted by (key, __START_AT) and no key range overlaps another file's. */
    private static void assertSortedWithDisjointKeys(TableContents silver) {
        List<DataFile> files = new ArrayList<>(silver.files());
        files.sort(Comparator.comparing(f -> (String) f.minValues().get("order_id"), ValueOrder.NATURAL));
        for (int i = 1; i < files.size(); i++) {
            assertThat(ValueOrder.NATURAL.compare(files.get(i - 1).maxValues().get("order_id"),
                    files.get(i).minValues().get("order_id"))).as("file key ranges overlap").isNegative();
        }
        Comparator<Row> byKeyAndStart = Comparator.<Row, Object>comparing(r -> r.value("order_id"), ValueOrder.NATURAL)
                .thenComparing(r -> r.timestamp("__START_AT"));
        int offset = 0;
        for (DataFile f : silver.files()) { // rows() reads the files in this order
            assertThat(silver.rows().subList(offset, offset + (int) f.rowCount())).isSortedAccordingTo(byKeyAndStart);
            offset += (int) f.rowCount();
        }
    }

    // ---- on Delta, read back with Delta Kernel ---------------------------------------------------

    private Pipeline deltaPipeline(String name, Schema schema, MergeStrategy strategy) {
        return Pipeline.from(InMemoryHub.create("orders", 2))
                .bronze(lake.resolve(name + "-bronze").toString())
                .silver(lake.resolve(name + "-silver").toString(), "order_id")
                .withSchema(schema).withMergeStrategy(strategy).withTargetFileRows(3);
    }

    @Test
    void scd2HistoryOnDeltaAsKernelReadsIt() {
        Pipeline pipeline = deltaPipeline("scd2", HISTORY, scd2());
        TableContents silver = CdcScenario.given(pipeline).onPipelineTables()
                .events(HISTORY_EVENTS).inBatches(3).expectSilver(HISTORY_EXPECTED);
        assertThat(silver.files()).hasSizeGreaterThan(1);
        assertSortedWithDisjointKeys(silver);
        assertThat(KernelReader.rows(lake.resolve("scd2-silver").toString()))
                .containsExactlyInAnyOrderElementsOf(maps(HISTORY_EXPECTED));
        // dropColumns("op"): the table has no op column, as DLT's COLUMNS * EXCEPT (op)
        assertThat(KernelReader.schema(lake.resolve("scd2-silver").toString()).fieldNames())
                .containsExactly("order_id", "status", "note", "updated_at", "__START_AT", "__END_AT");
    }

    @Test
    void cdcWithDeletesPartialUpdatesAndDroppedColumnsOnDeltaAsKernelReadsIt() {
        Pipeline pipeline = deltaPipeline("scd1", CDC, MergeStrategies.latestBy("updated_at")
                .withDeletes(IS_DELETE).ignoreNullUpdates().dropColumns("op"));
        Row[] expected = {
                storedWithoutOp("o-1", "SHIPPED", "gift", 9),
                storedWithoutOp("o-3", "CREATED", null, 1),
                storedWithoutOp("o-4", "PAID", null, 2),
        };
        CdcScenario.given(pipeline).onPipelineTables()
                .events(
                        upsert("o-1", "CREATED", "gift", 1),
                        upsert("o-2", "CREATED", null, 1),
                        upsert("o-3", "CREATED", null, 1),
                        upsert("o-1", "SHIPPED", null, 9), // note stays
                        upsert("o-1", "PAID", null, 5), // late
                        delete("o-2", 4),
                        upsert("o-4", "PAID", null, 2),
                        delete("o-4", 1), // older than the row
                        upsert("o-2", "CREATED", null, 4)) // same minute as its delete: its marker drops it
                .tombstone("o-2") // nothing left to delete
                .inBatches(2)
                .expectSilver(expected);
        assertThat(KernelReader.rows(lake.resolve("scd1-silver").toString()))
                .containsExactlyInAnyOrderElementsOf(maps(expected));
        assertThat(KernelReader.schema(lake.resolve("scd1-silver").toString()).fieldNames())
                .containsExactly("order_id", "status", "note", "updated_at");
    }

    private static List<Map<String, @Nullable Object>> maps(Row... rows) {
        List<Map<String, @Nullable Object>> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(r.toMap());
        }
        return out;
    }
}
