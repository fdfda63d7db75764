package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A silver key of several columns, as Delta Live Tables' {@code KEYS (tenant_id, order_id)}: one
 * row per combination, through every merge path (one file, many files pruned by statistics,
 * partitions, compaction), deletes and their markers, tombstones, SCD type 2, and restarts; read
 * back by Delta Kernel.
 */
class CompositeKeyTest {
    static final Schema CDC = Schema.builder()
            .required("tenant_id", DataType.STRING)
            .required("order_id", DataType.LONG)
            .optional("status", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("seq", DataType.LONG)
            .build();
    static final Schema HISTORY = Schema.of(Stream.concat(CDC.fields().stream(), Stream.of(
            Field.optional(Scd2Strategy.START_AT, DataType.LONG), Field.optional(Scd2Strategy.END_AT, DataType.LONG)))
            .toList());
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    private final InMemoryHub hub = InMemoryHub.create("orders", 1);

    private Pipeline pipeline(String lake, Schema schema, MergeStrategy strategy) {
        return Pipeline.from(hub).bronze(lake + "/bronze").silver(lake + "/silver", "tenant_id", "order_id")
                .withSchema(schema).withMergeStrategy(strategy).withQuarantine(lake + "/quarantine");
    }

    private static Row event(String tenant, long order, String status, long seq) {
        return Row.of(CDC, tenant, order, status, "UPSERT", seq);
    }

    private static Row delete(String tenant, long order, long seq) {
        return Row.of(CDC, tenant, order, null, "DELETE", seq);
    }

    @Test
    void oneRowPerCombinationOfTheKeysColumnsOnDeltaReadBackByKernel(@TempDir Path lake) {
        Pipeline p = pipeline(lake.toString(), CDC, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE));
        TableContents silver = CdcScenario.given(p)
                .events(
                        event("t1", 1, "NEW", 1), event("t2", 1, "NEW", 1), // the same order id in two tenants
                        event("t1", 1, "PAID", 3), event("t1", 1, "LATE", 2), // late: loses
                        delete("t2", 2, 5), event("t2", 2, "NEW", 4), // deleted before it arrives
                        event("t1", 2, "NEW", 1))
                .inBatches(2).restartingBetweenBatches().onPipelineTables()
                .expectSilver(
                        event("t1", 1, "PAID", 3), event("t2", 1, "NEW", 1), event("t1", 2, "NEW", 1));
        String table = lake.resolve("silver").toString();
        assertThat(KernelReader.rows(table)).extracting(r -> r.get("tenant_id") + "/" + r.get("order_id") + "="
                + r.get("status")).containsExactlyInAnyOrder("t1/1=PAID", "t2/1=NEW", "t1/2=NEW");
        assertThat(silver.snapshot().properties()).containsEntry("streamlake.silver.key", "tenant_id,order_id");
        // the delete marker holds both key columns, so a later (t2, 2) event older than it stays out
        List<Map<String, Object>> markers = KernelReader.rows(lake.resolve("silver_deletes").toString());
        assertThat(markers).singleElement().satisfies(m -> {
            assertThat(m).containsEntry("tenant_id", "t2").containsEntry("order_id", 2L)
                    .containsEntry("delete_sequence", 5L);
        });
    }

    @Test
    void tombstonesCarryTheKeyAsAJsonObjectAndAnyOtherTombstoneIsQuarantined() {
        Pipeline p = pipeline("lake", CDC, MergeStrategies.latestBy("seq"));
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(p)) {
            CdcScenario.given(p).events(event("t1", 1, "NEW", 1), event("t2", 1, "NEW", 1))
                    .tombstone("t1", 1L).run(driver);
            hub.send(0, bytes("t2"), null, Map.of()); // not a JSON object of the key
            hub.send(0, bytes("{\"tenant_id\":\"t2\"}"), null, Map.of()); // a key column missing
            driver.runOneBatch();
            assertThat(driver.silver().rows()).extracting(r -> r.string("tenant_id") + "/" + r.value("order_id"))
                    .containsExactly("t2/1");
            assertThat(driver.quarantine().rows()).hasSize(2).allSatisfy(r -> {
                assertThat(r.string("reason")).isEqualTo("TOMBSTONE_WITHOUT_KEY");
                assertThat(r.string("error")).contains("(tenant_id, order_id)").contains("JSON object");
            });
        }
        assertThatThrownBy(() -> CdcScenario.given(p).tombstone("t1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 columns");
    }

    @Test
    void aRecordMissingAnyKeyColumnIsQuarantinedNamingIt() {
        Pipeline p = pipeline("lake", CDC, MergeStrategies.latestBy("seq"));
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(p)) {
            hub.send(0, "a", "{\"tenant_id\":\"t1\",\"status\":\"NEW\",\"seq\":1}");
            hub.send(0, "a", "{\"order_id\":7,\"status\":\"NEW\",\"seq\":1}");
            hub.send(0, "a", "{\"tenant_id\":\"t1\",\"order_id\":7,\"status\":\"NEW\",\"seq\":1}");
            driver.runOneBatch();
            assertThat(driver.quarantine().rows()).extracting(r -> r.string("reason") + " " + r.string("error"))
                    .satisfiesExactly(
                            e -> assertThat(e).startsWith("MISSING_KEY").contains("'order_id'"),
                            e -> assertThat(e).startsWith("MISSING_KEY").contains("'tenant_id'"));
            assertThat(driver.silver()).hasRowCount(1);
        }
    }

    @Test
    void aTableKeepsItsKeyWhetherOneColumnOrSeveral(@TempDir Path lake) {
        Pipeline two = pipeline(lake.toString(), CDC, MergeStrategies.latestBy("seq"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(two)) {
            CdcScenario.given(two).events(event("t1", 1, "NEW", 1)).run(driver);
        }
        Pipeline one = Pipeline.from(hub).bronze(lake + "/bronze").silver(lake + "/silver", "order_id")
                .withSchema(CDC).withMergeStrategy(MergeStrategies.latestBy("seq"));
        Pipeline swapped = Pipeline.from(hub).bronze(lake + "/bronze").silver(lake + "/silver", "order_id", "tenant_id")
                .withSchema(CDC).withMergeStrategy(MergeStrategies.latestBy("seq"));
        for (Pipeline other : List.of(one, swapped)) {
            try (PipelineTestDriver driver = PipelineTestDriver.create(other)) {
                assertThatThrownBy(driver::runOneBatch).isInstanceOf(ConfigurationException.class)
                        .hasMessageContaining("('tenant_id', 'order_id')");
            }
        }
    }

    @Test
    void validationNamesTheKeyColumnThatIsWrong() {
        Pipeline.BronzeStage stage = Pipeline.from(hub).bronze("b");
        assertThatThrownBy(() -> stage.silver("s", "tenant_id", "nope").withSchema(CDC).validate())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'nope'");
        assertThatThrownBy(() -> stage.silver("s", "tenant_id", "tenant_id"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        // partitioned by part of the key: each tenant a folder, each key in one partition for good
        assertThat(stage.silver("s", "tenant_id", "order_id").withSchema(CDC).withPartitionColumns("tenant_id")
                .validate().partitionColumns()).containsExactly("tenant_id");
        assertThatThrownBy(() -> stage.silver("s", "tenant_id", "order_id").withSchema(CDC)
                .withPartitionColumns("tenant_id", "order_id").validate())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("a folder of its own");
        assertThat(stage.silver("s", "tenant_id", "order_id").withSchema(CDC))
                .hasToString(
                        "Pipeline[streamlake: orders -> bronze b -> silver s by (tenant_id, order_id), lastWins()]");
    }

    @Test
    void scd2KeepsAHistoryPerKeyOfSeveralColumns(@TempDir Path lake) {
        Pipeline p = pipeline(lake.toString(), HISTORY, MergeStrategies.scd2("seq").withDeletes(IS_DELETE)
                .dropColumns("op"));
        CdcScenario.given(p)
                .events(
                        Row.of(HISTORY, "t1", 1L, "NEW", "UPSERT", 1L, null, null),
                        Row.of(HISTORY, "t2", 1L, "NEW", "UPSERT", 2L, null, null),
                        Row.of(HISTORY, "t1", 1L, null, "DELETE", 4L, null, null), // arrives before PAID
                        Row.of(HISTORY, "t1", 1L, "PAID", "UPSERT", 3L, null, null))
                .inBatches(1).restartingBetweenBatches().onPipelineTables()
                .expectSilver(
                        Stored.without(Row.of(HISTORY, "t1", 1L, "NEW", null, 1L, 1L, 3L), "op"),
                        Stored.without(Row.of(HISTORY, "t1", 1L, "PAID", null, 3L, 3L, 4L), "op"),
                        Stored.without(Row.of(HISTORY, "t2", 1L, "NEW", null, 2L, 2L, null), "op"));
        assertThat(KernelReader.rows(lake.resolve("silver").toString())).hasSize(3);
    }

    @Test
    void aKeyOfSeveralColumnsWithASequenceOfSeveralColumnsOnDelta(@TempDir Path lake) {
        Schema schema = Schema.builder().required("tenant_id", DataType.STRING).required("order_id", DataType.LONG)
                .optional("status", DataType.STRING).optional("op", DataType.STRING)
                .optional("epoch", DataType.LONG).optional("change_no", DataType.LONG).build();
        Pipeline p = pipeline(lake.toString(), schema,
                MergeStrategies.latestBy("epoch", "change_no").withDeletes(IS_DELETE).dropColumns("op"));
        CdcScenario.given(p)
                .events(
                        Row.of(schema, "t1", 1L, "NEW", "UPSERT", 1L, 9L),
                        Row.of(schema, "t1", 1L, "PAID", "UPSERT", 2L, 1L), // a later epoch wins over a higher change_no
                        Row.of(schema, "t2", 1L, null, "DELETE", 1L, 5L),
                        Row.of(schema, "t2", 1L, "LATE", "UPSERT", 1L, 4L), // older than the delete: stays out
                        Row.of(schema, "t2", 1L, "AGAIN", "UPSERT", 1L, 6L)) // newer: back
                .inBatches(1).restartingBetweenBatches().onPipelineTables()
                .expectSilver(
                        Stored.without(Row.of(schema, "t1", 1L, "PAID", null, 2L, 1L), "op"),
                        Stored.without(Row.of(schema, "t2", 1L, "AGAIN", null, 1L, 6L), "op"));
        assertThat(KernelReader.rows(lake.resolve("silver_deletes").toString())).singleElement()
                .satisfies(m -> assertThat(m).containsEntry("tenant_id", "t2")
                        .containsEntry("previous_delete_sequence", "[1,5]")); // cleared by the newer re-insert
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void latestByWithDeletesGivesOneTableInEveryOrderAndBatchSplit(long seed) {
        CdcScenario.given(pipeline("lake", CDC, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE)))
                .events(randomEvents(seed, 14).toArray(Row[]::new))
                .inAnyOrder(seed).orders(15).expectSameSilver();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {4, 5})
    void scd2GivesOneHistoryInEveryOrderAndBatchSplit(long seed) {
        // distinct statuses per key, so the history does not depend on which equal version absorbed which
        List<Row> events = new ArrayList<>();
        int n = 0;
        for (Row r : randomEvents(seed, 12)) {
            events.add(Row.of(HISTORY, r.value("tenant_id"), r.value("order_id"),
                    r.value("status") == null ? null : "S" + n++, r.value("op"), r.value("seq"), null, null));
        }
        CdcScenario.given(pipeline("lake", HISTORY, MergeStrategies.scd2("seq").withDeletes(IS_DELETE)
                .dropColumns("op")))
                .events(events.toArray(Row[]::new))
                .inAnyOrder(seed).orders(15).expectSameSilver();
    }

    /** Events of keys over 2 tenants x 2 orders, sequence values distinct per key, in sequence order. */
    private static List<Row> randomEvents(long seed, int count) {
        Random random = new Random(seed);
        List<Row> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String tenant = "t" + random.nextInt(2);
            long order = random.nextInt(2);
            long seq = i + 1;
            events.add(random.nextInt(4) == 0 ? delete(tenant, order, seq)
                    : event(tenant, order, "S" + random.nextInt(3), seq));
        }
        return events;
    }

    /**
     * Many small files, so merges prune by the files' per-column statistics, which bound a key of
     * two columns without being keys themselves; checked against a map of each key's newest event,
     * then again after compaction rewrote the small files.
     */
    @Test
    void manyFilesPrunedByPerColumnStatisticsAgreeWithAModelAndSurviveCompaction(@TempDir Path lake) {
        Pipeline p = pipeline(lake.toString(), CDC, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE))
                .withTargetFileRows(40).withCompaction(4);
        Random random = new Random(17);
        List<Long> sequences = new ArrayList<>();
        for (long s = 0; s < 12 * 150; s++) {
            sequences.add(s);
        }
        Collections.shuffle(sequences, random); // distinct values in random order: no ties for the model to rule on
        Map<List<Object>, Row> model = new HashMap<>();
        Map<List<Object>, Long> deletedAt = new HashMap<>();
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            for (int batch = 0; batch < 12; batch++) {
                List<Row> events = new ArrayList<>();
                for (int i = 0; i < 150; i++) {
                    // a few large tenants, so keys of one tenant span several files
                    String tenant = "t" + random.nextInt(3);
                    long order = random.nextInt(300);
                    long seq = sequences.get(batch * 150 + i);
                    Row e = random.nextInt(8) == 0 ? delete(tenant, order, seq)
                            : event(tenant, order, "S" + random.nextInt(5), seq);
                    events.add(e);
                    apply(model, deletedAt, e);
                }
                Collections.shuffle(events, random);
                CdcScenario.given(p).events(events.toArray(Row[]::new)).run(driver);
                if (batch == 7) {
                    // another instance with larger files compacts: the many small files into a few
                    try (PipelineTestDriver other = PipelineTestDriver.create(p.withTargetFileRows(1_000))) {
                        assertThat(other.compact()).isGreaterThan(4);
                    }
                }
                assertThat(sorted(driver.silver().rows())).as("batch %d", batch).isEqualTo(sorted(model.values()));
            }
            assertThat(driver.silver().files().size()).isGreaterThan(5);
        }
        assertThat(KernelReader.rows(lake.resolve("silver").toString())).hasSize(model.size());
    }

    private static void apply(Map<List<Object>, Row> model, Map<List<Object>, Long> deletedAt, Row e) {
        List<Object> key = List.of(e.value("tenant_id"), e.value("order_id"));
        long seq = e.longValue("seq");
        Row current = model.get(key);
        long newest = Math.max(current == null ? Long.MIN_VALUE : current.longValue("seq"),
                deletedAt.getOrDefault(key, Long.MIN_VALUE));
        if (seq < newest) {
            return;
        }
        if (IS_DELETE.test(e)) {
            model.remove(key);
            deletedAt.put(key, seq);
        } else {
            model.put(key, e);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static List<String> sorted(java.util.Collection<Row> rows) {
        return rows.stream().map(r -> new TreeMap<>(r.toMap()).toString()).sorted().collect(Collectors.toList());
    }
}
