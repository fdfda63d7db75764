package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A silver table partitioned by a derived date column: Delta layout (folders, partition values in
 * the log, files without the partition columns) read back by Delta Kernel, keys that move between
 * partitions, compaction within a partition, SCD type 2 history across partitions, the in-memory
 * table, and the refusals.
 */
class PartitionedSilverTest {
    private static final Instant DAY1 = Instant.parse("2026-01-01T10:00:00Z");
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    private static final Schema ORDERS = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .optional("order_date", DataType.DATE)
            .build();

    private static final Schema HISTORY = Schema.of(Stream.concat(ORDERS.fields().stream(), Stream.of(
            Field.optional("__START_AT", DataType.TIMESTAMP), Field.optional("__END_AT", DataType.TIMESTAMP)))
            .toList());

    @TempDir Path lake;

    private static Instant day(int day) {
        return DAY1.plusSeconds(86_400L * (day - 1));
    }

    private static LocalDate date(int day) {
        return LocalDate.ofInstant(day(day), ZoneOffset.UTC);
    }

    /** An event: the date column is left out, the pipeline derives it. */
    private static Row event(Schema schema, String id, String status, String op, int day) {
        Row.Builder b = Row.builder(schema).set("order_id", id).set("status", status).set("op", op)
                .set("updated_at", day(day));
        return b.build();
    }

    private static Row upsert(String id, String status, int day) {
        return event(ORDERS, id, status, "UPSERT", day);
    }

    private static Row stored(String id, String status, int day) {
        return Row.of(ORDERS, id, status, null, day(day), date(day));
    }

    /** A silver row of {@link #cdc()}: op is dropped, so the table has no op column. */
    private static Row kept(String id, String status, int day) {
        return Stored.without(stored(id, status, day), "op");
    }

    private Pipeline pipeline(String name, Schema schema, MergeStrategy strategy) {
        return Pipeline.from(InMemoryHub.create("orders", 1))
                .bronze(lake.resolve(name + "-bronze").toString())
                .silver(lake.resolve(name + "-silver").toString(), "order_id")
                .withSchema(schema).withMergeStrategy(strategy)
                .withDerivedColumn("order_date", r -> LocalDate.ofInstant(r.timestamp("updated_at"), ZoneOffset.UTC))
                .withPartitionColumns("order_date")
                .withTargetFileRows(2)
                // a key that changes partition is an update in the feed: both sides are read across partitions
                .withChangeFeed(lake.resolve(name + "-changes").toString());
    }

    private static final Row[] MOVES = {
            upsert("o-1", "CREATED", 1),
            upsert("o-2", "CREATED", 1),
            upsert("o-3", "CREATED", 1),
            upsert("o-1", "PAID", 2), // moves from day 1 to day 2
            upsert("o-4", "CREATED", 2),
            upsert("o-2", "LATE", 0), // late, older: stays on day 1 as CREATED
            upsert("o-3", "SHIPPED", 3), // moves to day 3
            upsert("o-1", "SHIPPED", 3), // moves again, to day 3
            upsert("o-5", "CREATED", 1),
            event(ORDERS, "o-4", null, "DELETE", 4),
    };

    private static final Row[] MOVES_EXPECTED = {
            kept("o-1", "SHIPPED", 3),
            kept("o-2", "CREATED", 1),
            kept("o-3", "SHIPPED", 3),
            kept("o-5", "CREATED", 1),
    };

    private static MergeStrategy cdc() {
        return MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE).dropColumns("op");
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 2, 3, 100})
    void keysThatChangePartitionMoveOnDeltaAsKernelReadsIt(int batch) throws Exception {
        Pipeline pipeline = pipeline("moves" + batch, ORDERS, cdc());
        TableContents silver = CdcScenario.given(pipeline).onPipelineTables()
                .events(MOVES).inBatches(batch).expectSilver(MOVES_EXPECTED);
        String path = lake.resolve("moves" + batch + "-silver").toString();
        assertThat(KernelReader.rows(path)).containsExactlyInAnyOrderElementsOf(maps(MOVES_EXPECTED));
        assertThat(silver.snapshot().partitionColumns()).containsExactly("order_date");
        for (DataFile f : silver.files()) {
            String folder = "order_date=" + f.partitionValues().get("order_date") + "/";
            assertThat(f.path()).startsWith(folder);
            assertThat(f.minValues()).containsKey("order_id").doesNotContainKey("order_date");
            assertThat(parquetColumns(path, f)).containsExactly("order_id", "status", "updated_at");
        }
        // dropColumns("op"): the table has no op column; the partition column stays in the schema
        assertThat(KernelReader.schema(path).fieldNames()).containsExactly("order_id", "status", "updated_at",
                "order_date");
        assertThat(silver.files().stream().map(f -> f.partitionValues().get("order_date")).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(date(1).toString(), date(3).toString());
        assertKeyRangesDisjointWithinPartitions(silver);
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 3, 100})
    void keysThatChangePartitionMoveInMemory(int batch) {
        Pipeline pipeline = Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze").silver("silver", "order_id")
                .withSchema(ORDERS).withMergeStrategy(cdc())
                .withDerivedColumn("order_date", r -> LocalDate.ofInstant(r.timestamp("updated_at"), ZoneOffset.UTC))
                .withPartitionColumns("order_date").withTargetFileRows(2);
        TableContents silver = CdcScenario.given(pipeline).events(MOVES).inBatches(batch).expectSilver(MOVES_EXPECTED);
        for (DataFile f : silver.files()) {
            assertThat(f.partitionValues()).containsOnlyKeys("order_date");
        }
        assertKeyRangesDisjointWithinPartitions(silver);
    }

    @Test
    void compactionCompactsWithinAPartition() throws Exception {
        Pipeline pipeline = pipeline("compact", ORDERS, cdc()); // two rows a file: many small files
        List<Row> events = new ArrayList<>();
        List<Row> expected = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int d = 1 + i % 3;
            events.add(upsert(String.format("o-%02d", i), "CREATED", d));
            expected.add(kept(String.format("o-%02d", i), "CREATED", d));
        }
        CdcScenario s = CdcScenario.given(pipeline).onPipelineTables().events(events.toArray(Row[]::new)).inBatches(1);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            s.run(driver);
            assertThat(driver.silver().files()).hasSizeGreaterThan(6);
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline.withTargetFileRows(50).withCompaction(2))) {
            assertThat(driver.compact()).isPositive();
            TableContents after = driver.silver();
            assertThat(after.rows()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(after.files()).hasSize(3); // one file per day
            assertThat(after.files().stream().map(f -> f.partitionValues().get("order_date")).toList())
                    .containsExactlyInAnyOrder(date(1).toString(), date(2).toString(), date(3).toString());
            String path = lake.resolve("compact-silver").toString();
            assertThat(KernelReader.rows(path)).containsExactlyInAnyOrderElementsOf(maps(expected.toArray(Row[]::new)));
            // compaction keeps the stored columns: no op in the schema or in the compacted files
            assertThat(KernelReader.schema(path).fieldNames()).doesNotContain("op");
            for (DataFile f : after.files()) {
                assertThat(parquetColumns(path, f)).containsExactly("order_id", "status", "updated_at");
            }
        }
    }

    @Test
    void scd2HistorySpreadsOverPartitionsAndStaysRight() {
        MergeStrategy scd2 = MergeStrategies.scd2("updated_at").withDeletes(IS_DELETE).dropColumns("op");
        Row[] events = {
                event(HISTORY, "o-1", "CREATED", "UPSERT", 1),
                event(HISTORY, "o-1", "SHIPPED", "UPSERT", 3),
                event(HISTORY, "o-1", "PAID", "UPSERT", 2), // late: between, in its own day
                event(HISTORY, "o-2", "CREATED", "UPSERT", 2),
                event(HISTORY, "o-2", null, "DELETE", 4),
        };
        Row[] expected = {
                version("o-1", "CREATED", 1, 1, 2),
                version("o-1", "PAID", 2, 2, 3),
                version("o-1", "SHIPPED", 3, 3, null),
                version("o-2", "CREATED", 2, 2, 4),
        };
        for (int batch : new int[] {1, 100}) {
            Pipeline pipeline = pipeline("scd2-" + batch, HISTORY, scd2);
            CdcScenario.given(pipeline).onPipelineTables().events(events).inBatches(batch).expectSilver(expected);
            assertThat(KernelReader.rows(lake.resolve("scd2-" + batch + "-silver").toString()))
                    .containsExactlyInAnyOrderElementsOf(maps(expected));
        }
    }

    private static Row version(String id, String status, int day, int start, @Nullable Integer end) {
        return Stored.without(Row.of(HISTORY, id, status, null, day(day), date(day), day(start),
                end == null ? null : day(end)), "op");
    }

    @Test
    void deleteMarkersWorkOnAPartitionedSilverAndStayUnpartitioned() {
        Pipeline pipeline = pipeline("markers", ORDERS, cdc());
        CdcScenario s = CdcScenario.given(pipeline).onPipelineTables()
                .events(upsert("o-1", "CREATED", 1), event(ORDERS, "o-1", null, "DELETE", 3),
                        upsert("o-1", "LATE", 2)) // older than the delete, another day: stays out
                .inBatches(1);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            s.run(driver);
            assertThat(driver.silver().rows()).isEmpty();
            assertThat(driver.deletedKeys()).containsExactly("o-1");
            assertThat(driver.deleteMarkers().snapshot().partitionColumns()).isEmpty();
            assertThat(driver.quarantine().snapshot().partitionColumns()).isEmpty();
        }
    }

    // ---- partition values of every supported type, escaped folders, nulls -------------------------

    private static final Schema TYPED = Schema.builder()
            .required("id", DataType.STRING)
            .optional("p_string", DataType.STRING)
            .optional("p_int", DataType.INT)
            .optional("p_long", DataType.LONG)
            .optional("p_date", DataType.DATE)
            .optional("p_bool", DataType.BOOLEAN)
            .optional("v", DataType.LONG)
            .build();

    @Test
    void everySupportedTypeAndAwkwardValuesReadBackThroughKernel() {
        String path = lake.resolve("typed").toString();
        Pipeline pipeline =
                Pipeline.from(InMemoryHub.create("typed", 1)).bronze(lake.resolve("typed-bronze").toString())
                        .silver(path, "id").withSchema(TYPED).withMergeStrategy(MergeStrategies.latestBy("v"))
                        .withPartitionColumns("p_string", "p_int", "p_long", "p_date", "p_bool");
        Row[] rows = {
                Row.of(TYPED, "a", "plain", 1, 10L, date(1), true, 1L),
                Row.of(TYPED, "b", "a/b=c:d%e f?#*", -2, Long.MAX_VALUE, date(2), false, 1L),
                Row.of(TYPED, "c", null, null, null, null, null, 1L),
                Row.of(TYPED, "d", "ünï €", 0, 0L, LocalDate.of(1999, 12, 31), true, 1L),
        };
        CdcScenario.given(pipeline).onPipelineTables().events(rows).expectSilver(rows);
        assertThat(KernelReader.rows(path)).containsExactlyInAnyOrderElementsOf(maps(rows));
        // the folders are Hive-escaped: a '/' or '=' in a value makes no folder of its own
        assertThat(DeltaTable.open(path, Map.of()).snapshot().files())
                .anySatisfy(
                        f -> assertThat(f.path()).startsWith("p_string=a%252Fb%253Dc%253Ad%2525e%20f%253F%2523%252A/"))
                .anySatisfy(f -> assertThat(f.path()).startsWith("p_string=__HIVE_DEFAULT_PARTITION__/"));
        assertThat(lake.resolve("typed").resolve("p_string=a%2Fb%3Dc%3Ad%25e f%3F%23%2A")).isDirectory();
    }

    @Test
    void anEmptyStringPartitionValueIsStoredAsNullAsDeltaReadsIt() {
        String path = lake.resolve("empty").toString();
        Pipeline pipeline =
                Pipeline.from(InMemoryHub.create("typed", 1)).bronze(lake.resolve("empty-bronze").toString())
                        .silver(path, "id").withSchema(TYPED).withPartitionColumns("p_string");
        CdcScenario.given(pipeline).onPipelineTables().events(Row.of(TYPED, "a", "", 1, 1L, null, null, 1L))
                .expectSilver(Row.of(TYPED, "a", null, 1, 1L, null, null, 1L));
        assertThat(KernelReader.rows(path)).singleElement().satisfies(m -> assertThat(m.get("p_string")).isNull());
    }

    // ---- refusals --------------------------------------------------------------------------------

    @Test
    void refusesColumnsThatCannotPartition() {
        Pipeline base = Pipeline.from(InMemoryHub.create("orders", 1)).bronze("b").silver("s", "order_id")
                .withSchema(ORDERS);
        assertThatThrownBy(() -> base.withPartitionColumns("nope").validate())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'nope'")
                .hasMessageContaining("schema");
        assertThatThrownBy(() -> base.withPartitionColumns("updated_at").validate())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("timestamp")
                .hasMessageContaining("withDerivedColumn");
        assertThatThrownBy(() -> base.withPartitionColumns("order_id").validate())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("key");
        assertThatThrownBy(() -> base.withPartitionColumns("status", "status").validate())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("twice");
    }

    @Test
    void refusesToPartitionAnExistingTableDifferently() {
        String silver = lake.resolve("existing-silver").toString();
        Pipeline unpartitioned = Pipeline.from(InMemoryHub.create("orders", 1))
                .bronze(lake.resolve("existing-bronze").toString()).silver(silver, "order_id").withSchema(ORDERS);
        CdcScenario.given(unpartitioned).onPipelineTables().events(upsert("o-1", "CREATED", 1)).run();
        Pipeline partitioned = unpartitioned.withPartitionColumns("order_date");
        try (PipelineTestDriver driver = PipelineTestDriver.create(partitioned)) {
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("no columns (unpartitioned)").hasMessageContaining("[order_date]");
        }
        InMemoryTable memory = InMemoryTable.create("silver");
        memory.create(ORDERS, List.of("order_date"));
        assertThatThrownBy(() -> memory.create(ORDERS, List.of("status")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("[order_date]")
                .hasMessageContaining("[status]");
        assertThatThrownBy(() -> memory.create(ORDERS)).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void aWriterRefusesARowOfAnotherPartition() {
        DeltaTable table = DeltaTable.open(lake.resolve("writer").toString(), Map.of());
        table.create(ORDERS, List.of("order_date"));
        try (var w = table.newDataFile(ORDERS, Map.of("order_date", date(1).toString()))) {
            w.write(stored("o-1", "CREATED", 1));
            assertThatThrownBy(() -> w.write(stored("o-2", "CREATED", 2)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partition");
        }
        try (var w = table.newDataFile(ORDERS)) { // a file without partition values
            w.write(stored("o-1", "CREATED", 1));
            DataFile f = w.finish();
            assertThatThrownBy(() -> table.newCommit().add(f).commit("WRITE"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitioned by [order_date]");
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static List<String> parquetColumns(String table, DataFile f) throws Exception {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(new java.net.URI(table + "/" + f.path()));
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(p, new Configuration()))) {
            return r.getFooter().getFileMetaData().getSchema().getFields().stream()
                    .map(org.apache.parquet.schema.Type::getName).toList();
        }
    }

    /** Within each partition, no two files' key ranges overlap, so pruning by key works there. */
    private static void assertKeyRangesDisjointWithinPartitions(TableContents silver) {
        Map<Map<String, @Nullable String>, List<DataFile>> byPartition = new HashMap<>();
        silver.files().forEach(f -> byPartition.computeIfAbsent(f.partitionValues(), k -> new ArrayList<>()).add(f));
        for (List<DataFile> files : byPartition.values()) {
            files.sort((a, b) -> ((String) a.minValues().get("order_id"))
                    .compareTo((String) b.minValues().get("order_id")));
            for (int i = 1; i < files.size(); i++) {
                assertThat(((String) files.get(i - 1).maxValues().get("order_id"))
                        .compareTo((String) files.get(i).minValues().get("order_id"))).as("key ranges overlap")
                        .isNegative();
            }
        }
        Set<Object> keys = Set.copyOf(silver.column("order_id"));
        assertThat(keys).hasSize(silver.rows().size()); // one row per key, in one partition
    }

    private static List<Map<String, @Nullable Object>> maps(Row... rows) {
        List<Map<String, @Nullable Object>> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(r.toMap());
        }
        return out;
    }
}
