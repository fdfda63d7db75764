package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.quality.Expectation;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The columns silver stores, as Delta Live Tables' {@code COLUMNS * EXCEPT (op)}: a column that
 * {@code dropColumns} / {@code keepColumns} leaves out is not in the table, while the merge still
 * sees it; a table that already has the column keeps it; schema evolution, compaction and the
 * quarantine replay work with the narrower table. Read back with Delta Kernel.
 */
class StoredColumnsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    private static final Schema CDC = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .build();

    /** CDC and a column added later. */
    private static final Schema CDC_WITH_NOTE = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .optional("note", DataType.STRING)
            .build();

    private static final MergeStrategy KEEPS_OP = MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE);
    private static final MergeStrategy DROPS_OP = MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE)
            .dropColumns("op");

    @TempDir Path lake;

    private final InMemoryHub hub = InMemoryHub.create("orders", 1);

    private static Instant t(int minute) {
        return T0.plusSeconds(60L * minute);
    }

    private Pipeline pipeline(Schema schema, MergeStrategy strategy) {
        return Pipeline.from(hub).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(schema).withMergeStrategy(strategy).withTargetFileRows(2);
    }

    private String silverPath() {
        return lake.resolve("silver").toString();
    }

    private void send(String id, @Nullable String status, String op, int minute) {
        hub.send(id, CdcScenario.json(Row.of(CDC, id, status, op, t(minute))));
    }

    private Map<Object, Map<String, Object>> kernelRowsById() {
        Map<Object, Map<String, Object>> byId = new HashMap<>();
        for (Map<String, Object> r : KernelReader.rows(silverPath())) {
            assertThat(byId.put(r.get("order_id"), r)).as("one row per key").isNull();
        }
        return byId;
    }

    private List<String> kernelColumns() {
        return KernelReader.schema(silverPath()).fieldNames();
    }

    @Test
    void aDroppedColumnIsNotInTheTableAndStillDrivesDeletes() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(CDC, DROPS_OP))) {
            send("o-1", "CREATED", "UPSERT", 1);
            send("o-2", "CREATED", "UPSERT", 1);
            send("o-3", "CREATED", "UPSERT", 1);
            driver.runOneBatch();
            send("o-2", null, "DELETE", 2); // op, not stored, deletes
            send("o-1", "PAID", "UPSERT", 3);
            driver.runOneBatch();
            assertThat(driver.silver().schema().orElseThrow()).isEqualTo(Stored.without(CDC, "op"));
        }
        assertThat(kernelColumns()).containsExactly("order_id", "status", "updated_at");
        Map<Object, Map<String, Object>> rows = kernelRowsById();
        assertThat(rows).containsOnlyKeys("o-1", "o-3");
        assertThat(rows.get("o-1")).containsEntry("status", "PAID").doesNotContainKey("op");
    }

    @Test
    void keepColumnsStoresOnlyTheKeptColumns() {
        MergeStrategy keep = MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE)
                .keepColumns("order_id", "updated_at");
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(CDC, keep))) {
            send("o-1", "CREATED", "UPSERT", 1);
            send("o-2", "CREATED", "UPSERT", 1);
            send("o-2", null, "DELETE", 2);
            driver.runOneBatch();
        }
        assertThat(kernelColumns()).containsExactly("order_id", "updated_at");
        assertThat(kernelRowsById()).containsOnlyKeys("o-1");
    }

    @Test
    void scd2StoresItsValidityColumnsEvenWhenKeepColumnsDoesNotListThem() {
        Schema history = Schema.builder().required("order_id", DataType.STRING)
                .optional("status", DataType.STRING).optional("op", DataType.STRING)
                .optional("updated_at", DataType.TIMESTAMP)
                .optional(Scd2Strategy.START_AT, DataType.TIMESTAMP).optional(Scd2Strategy.END_AT, DataType.TIMESTAMP)
                .build();
        MergeStrategy scd2 = MergeStrategies.scd2("updated_at").withDeletes(IS_DELETE)
                .keepColumns("order_id", "status", "updated_at");
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(history, scd2))) {
            send("o-1", "CREATED", "UPSERT", 1);
            send("o-1", "PAID", "UPSERT", 3);
            send("o-1", null, "DELETE", 5);
            driver.runOneBatch();
        }
        assertThat(kernelColumns()).containsExactly("order_id", "status", "updated_at", Scd2Strategy.START_AT,
                Scd2Strategy.END_AT);
        List<Map<String, Object>> rows = KernelReader.rows(silverPath());
        assertThat(rows).extracting(r -> r.get("status"), r -> r.get(Scd2Strategy.START_AT),
                r -> r.get(Scd2Strategy.END_AT)).containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("CREATED", t(1), t(3)),
                        org.assertj.core.groups.Tuple.tuple("PAID", t(3), t(5)));
    }

    /**
     * A table created by a strategy that stored op (as every table before this change did: op as
     * null) keeps its op column when the pipeline drops it: Delta cannot remove a column without
     * column mapping. Merges keep working; rows written from then on hold null there.
     */
    @Test
    void anExistingTableThatHasTheColumnKeepsItAndGetsNullThere() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(CDC, KEEPS_OP))) {
            send("o-1", "CREATED", "UPSERT", 1);
            send("o-2", "CREATED", "UPSERT", 1);
            send("o-3", "CREATED", "UPSERT", 1);
            driver.runOneBatch();
        }
        assertThat(kernelColumns()).containsExactly("order_id", "status", "op", "updated_at");
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(CDC, DROPS_OP))) {
            send("o-2", null, "DELETE", 2);
            send("o-1", "PAID", "UPSERT", 3);
            send("o-4", "NEW", "UPSERT", 3);
            send("o-3", "LATE", "UPSERT", 0); // older than the row: stays CREATED
            driver.runOneBatch();
            assertThat(driver.silver().schema().orElseThrow()).isEqualTo(CDC);
        }
        assertThat(kernelColumns()).containsExactly("order_id", "status", "op", "updated_at");
        Map<Object, Map<String, Object>> rows = kernelRowsById();
        assertThat(rows).containsOnlyKeys("o-1", "o-3", "o-4");
        assertThat(rows.get("o-1")).containsEntry("status", "PAID").containsEntry("op", null);
        assertThat(rows.get("o-4")).containsEntry("status", "NEW").containsEntry("op", null);
        // a row the second pipeline did not change keeps what the first one stored
        assertThat(rows.get("o-3")).containsEntry("status", "CREATED");
    }

    /** Schema evolution works from the stored columns: a new column is added, the dropped one is not. */
    @Test
    void aNewDeclaredColumnIsAddedToATableThatLeavesAColumnOut() {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(CDC, DROPS_OP))) {
            send("o-1", "CREATED", "UPSERT", 1);
            send("o-2", "CREATED", "UPSERT", 1);
            driver.runOneBatch();
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(CDC_WITH_NOTE, DROPS_OP))) {
            hub.send("o-1", CdcScenario.json(Row.of(CDC_WITH_NOTE, "o-1", "PAID", "UPSERT", t(2), "gift")));
            hub.send("o-2", CdcScenario.json(Row.of(CDC_WITH_NOTE, "o-2", null, "DELETE", t(2), null)));
            driver.runOneBatch();
        }
        assertThat(kernelColumns()).containsExactly("order_id", "status", "updated_at", "note");
        Map<Object, Map<String, Object>> rows = kernelRowsById();
        assertThat(rows).containsOnlyKeys("o-1");
        assertThat(rows.get("o-1")).containsEntry("status", "PAID").containsEntry("note", "gift");

        // storing op again (no dropColumns) adds it as a new column, null in the rows before
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(CDC_WITH_NOTE, KEEPS_OP))) {
            send("o-3", "NEW", "UPSERT", 3);
            driver.runOneBatch();
        }
        assertThat(kernelColumns()).containsExactly("order_id", "status", "updated_at", "note", "op");
        rows = kernelRowsById();
        assertThat(rows.get("o-3")).containsEntry("op", "UPSERT");
        assertThat(rows.get("o-1")).containsEntry("op", null).containsEntry("note", "gift");
    }

    @Test
    void compactionKeepsTheStoredColumns() {
        Pipeline pipeline = pipeline(CDC, DROPS_OP);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            for (int i = 0; i < 8; i++) {
                send("o-" + i, "CREATED", "UPSERT", 1);
                driver.runOneBatch(); // a file or more per batch
            }
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline.withTargetFileRows(50).withCompaction(2))) {
            assertThat(driver.compact()).isPositive();
            assertThat(driver.silver().files()).hasSize(1);
        }
        assertThat(kernelColumns()).containsExactly("order_id", "status", "updated_at");
        assertThat(kernelRowsById()).hasSize(8);
    }

    @Test
    void theQuarantineReplayMergesIntoTheNarrowTable() {
        // Pipeline.replayQuarantine: the engine opens silver with the stored columns, as a run does
        Pipeline base = pipeline(CDC, DROPS_OP).withQuarantine(lake.resolve("quarantine").toString());
        Expectation noPaid = Expectation.quarantine("no_paid", r -> !"PAID".equals(r.string("status")));
        try (PipelineTestDriver driver = PipelineTestDriver.create(base.withExpectation(noPaid))) {
            send("o-1", "CREATED", "UPSERT", 1);
            send("o-1", "PAID", "UPSERT", 2);
            send("o-2", "PAID", "UPSERT", 2);
            driver.runOneBatch();
        }
        assertThat(base.replayQuarantine()).isEqualTo(2);
        assertThat(kernelColumns()).containsExactly("order_id", "status", "updated_at");
        Map<Object, Map<String, Object>> rows = kernelRowsById();
        assertThat(rows.get("o-1")).containsEntry("status", "PAID");
        assertThat(rows.get("o-2")).containsEntry("status", "PAID");
    }

    @Test
    void aPartitionedTableLeavesTheColumnOutToo() {
        Schema dated = Schema.builder().required("order_id", DataType.STRING).optional("status", DataType.STRING)
                .optional("op", DataType.STRING).optional("updated_at", DataType.TIMESTAMP)
                .optional("order_date", DataType.DATE).build();
        Pipeline pipeline = pipeline(dated, DROPS_OP)
                .withDerivedColumn("order_date", r -> LocalDate.ofInstant(r.timestamp("updated_at"), ZoneOffset.UTC))
                .withPartitionColumns("order_date");
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            send("o-1", "CREATED", "UPSERT", 1);
            send("o-2", "CREATED", "UPSERT", 1);
            driver.runOneBatch();
            send("o-1", null, "DELETE", 2);
            driver.runOneBatch();
        }
        assertThat(kernelColumns()).containsExactly("order_id", "status", "updated_at", "order_date");
        assertThat(kernelRowsById()).containsOnlyKeys("o-2");
    }

    /** Pipeline.replayQuarantine opens a partitioned silver with its partition columns (it used to pass none). */
    @Test
    void theQuarantineReplayWorksOnAPartitionedNarrowTable() {
        Schema dated = Schema.builder().required("order_id", DataType.STRING).optional("status", DataType.STRING)
                .optional("op", DataType.STRING).optional("updated_at", DataType.TIMESTAMP)
                .optional("order_date", DataType.DATE).build();
        Pipeline base = pipeline(dated, DROPS_OP).withQuarantine(lake.resolve("quarantine").toString())
                .withDerivedColumn("order_date", r -> LocalDate.ofInstant(r.timestamp("updated_at"), ZoneOffset.UTC))
                .withPartitionColumns("order_date");
        Expectation noPaid = Expectation.quarantine("no_paid", r -> !"PAID".equals(r.string("status")));
        try (PipelineTestDriver driver = PipelineTestDriver.create(base.withExpectation(noPaid))) {
            send("o-1", "CREATED", "UPSERT", 1);
            send("o-2", "PAID", "UPSERT", 2);
            driver.runOneBatch();
        }
        assertThat(base.replayQuarantine()).isEqualTo(1);
        assertThat(kernelColumns()).containsExactly("order_id", "status", "updated_at", "order_date");
        assertThat(kernelRowsById()).containsOnlyKeys("o-1", "o-2");
    }

    // ---- what cannot be left out ----------------------------------------------------------------

    @Test
    void theSequenceColumnCanBeLeftOutOnlyWhereNothingNeedsItInSilverAndTheMessageSaysWhy() {
        // latestBy keeps it beside silver (HiddenSequenceTest); a truncate removes rows by it
        pipeline(CDC, MergeStrategies.latestBy("updated_at").dropColumns("updated_at")).validate();
        Pipeline p = pipeline(CDC, MergeStrategies.latestBy("updated_at").withTruncates(r -> "TRUNCATE".equals(
                r.string("op"))).dropColumns("updated_at"));
        assertThatThrownBy(p::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'updated_at'").hasMessageContaining("the sequence column")
                .hasMessageContaining("without withTruncates can")
                .hasMessageContaining("remove it from dropColumns");
        Pipeline keep = pipeline(CDC, MergeStrategies.latestBy("updated_at").withTruncates(r -> false)
                .keepColumns("order_id", "status"));
        assertThatThrownBy(keep::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("the sequence column").hasMessageContaining("add it to keepColumns");
    }

    @Test
    void aPartitionColumnCannotBeLeftOut() {
        Schema dated = Schema.builder().required("order_id", DataType.STRING).optional("op", DataType.STRING)
                .optional("order_date", DataType.DATE).build();
        Pipeline p = Pipeline.from(hub).bronze("bronze").silver("silver", "order_id").withSchema(dated)
                .withMergeStrategy(MergeStrategies.lastWins().dropColumns("order_date"))
                .withPartitionColumns("order_date");
        assertThatThrownBy(p::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'order_date'").hasMessageContaining("partitioned by it")
                .hasMessageContaining("remove it from dropColumns");
    }
}
