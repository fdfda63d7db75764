package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worked examples of Databricks' change data capture documentation, "Example: SCD type 1 and
 * SCD type 2 processing with CDF source data" on
 * <a href="https://docs.databricks.com/en/delta-live-tables/cdc.html">The APPLY CHANGES APIs:
 * Simplify change data capture with Delta Live Tables</a> (the same examples, feed and tables, are
 * on the page's AUTO CDC successor, {@code docs.databricks.com/aws/en/ldp/cdc}). The input feed and
 * the documented target tables are transcribed below; the {@code APPLY AS TRUNCATE} variant is left
 * out (a {@code withTruncates} option is being built separately).
 *
 * <p>Where StreamLake differs by design:
 * <ul>
 *   <li>{@code COLUMNS * EXCEPT (operation, sequenceNum)}: for SCD type 1,
 *       {@code dropColumns("operation", "sequenceNum")} leaves both out of the table, exactly as
 *       Delta Live Tables does (checked on Delta below; the sequence values live in the
 *       delete-marker table). SCD type 2 cannot leave the sequence column out yet, so its tables hold
 *       {@code sequenceNum} besides, and only the columns the documented tables show are compared
 *       ({@link AnyOrder#comparingColumns}).</li>
 *   <li>SCD type 2's validity columns are {@value Scd2Strategy#START_AT} and
 *       {@value Scd2Strategy#END_AT}, as in Delta Live Tables, of the sequence column's type.</li>
 * </ul>
 *
 * <p>The documentation shows one arrival order; the point of a sequence column is that the table
 * must not depend on it, so each example runs in every order of each key's events, random orders
 * of all events, and every batch split. SCD type 2 with the delete in every order is in
 * {@link OrderIndependenceGapsTest} until the lost-delete fix lands; here it runs in the orders
 * that already work.
 */
class DatabricksCdcExamplesTest {
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("operation"));

    /** The change feed {@code cdc_data.users}, as the documentation generates it. */
    static final Schema USERS = Schema.builder()
            .required("userId", DataType.INT)
            .optional("name", DataType.STRING)
            .optional("city", DataType.STRING)
            .optional("operation", DataType.STRING)
            .optional("sequenceNum", DataType.INT)
            .build();

    /** The SCD type 2 target: the feed's columns and the validity of each version. */
    static final Schema USERS_HISTORY = Schema.builder()
            .required("userId", DataType.INT)
            .optional("name", DataType.STRING)
            .optional("city", DataType.STRING)
            .optional("operation", DataType.STRING)
            .optional("sequenceNum", DataType.INT)
            .optional(Scd2Strategy.START_AT, DataType.INT)
            .optional(Scd2Strategy.END_AT, DataType.INT)
            .build();

    /** The columns the documented SCD type 1 table shows. */
    private static final Schema SCD1_SHOWN = Schema.builder()
            .optional("userId", DataType.INT)
            .optional("name", DataType.STRING)
            .optional("city", DataType.STRING)
            .build();

    /** The columns the documented SCD type 2 tables show. */
    private static final Schema SCD2_SHOWN = Schema.builder()
            .optional("userId", DataType.INT)
            .optional("name", DataType.STRING)
            .optional("city", DataType.STRING)
            .optional(Scd2Strategy.START_AT, DataType.INT)
            .optional(Scd2Strategy.END_AT, DataType.INT)
            .build();

    static final String[] SCD1_COLUMNS = {"userId", "name", "city"};
    static final String[] SCD2_COLUMNS = {"userId", "name", "city", Scd2Strategy.START_AT, Scd2Strategy.END_AT};

    /**
     * The documented input records, in the documented order:
     * <pre>
     * | userId | name     | city        | operation | sequenceNum |
     * | 124    | Raul     | Oaxaca      | INSERT    | 1           |
     * | 123    | Isabel   | Monterrey   | INSERT    | 1           |
     * | 125    | Mercedes | Tijuana     | INSERT    | 2           |
     * | 126    | Lily     | Cancun      | INSERT    | 2           |
     * | 123    | null     | null        | DELETE    | 6           |
     * | 125    | Mercedes | Guadalajara | UPDATE    | 6           |
     * | 125    | Mercedes | Mexicali    | UPDATE    | 5           |
     * | 123    | Isabel   | Chihuahua   | UPDATE    | 5           |
     * </pre>
     */
    static Row[] feed(Schema schema) {
        return new Row[] {
                feedRow(schema, 124, "Raul", "Oaxaca", "INSERT", 1),
                feedRow(schema, 123, "Isabel", "Monterrey", "INSERT", 1),
                feedRow(schema, 125, "Mercedes", "Tijuana", "INSERT", 2),
                feedRow(schema, 126, "Lily", "Cancun", "INSERT", 2),
                feedRow(schema, 123, null, null, "DELETE", 6),
                feedRow(schema, 125, "Mercedes", "Guadalajara", "UPDATE", 6),
                feedRow(schema, 125, "Mercedes", "Mexicali", "UPDATE", 5),
                feedRow(schema, 123, "Isabel", "Chihuahua", "UPDATE", 5),
        };
    }

    /** Index in {@link #feed} of Isabel's DELETE, and of her two other events. */
    static final int ISABEL_DELETE = 4;
    static final int ISABEL_INSERT = 1;
    static final int ISABEL_UPDATE = 7;

    private static Row feedRow(Schema schema, int userId, @Nullable String name, @Nullable String city,
            String operation, int sequenceNum) {
        return Row.builder(schema).set("userId", userId).set("name", name).set("city", city)
                .set("operation", operation).set("sequenceNum", sequenceNum).build();
    }

    /**
     * The documented SCD type 1 target ({@code APPLY AS DELETE WHEN operation = "DELETE"},
     * {@code COLUMNS * EXCEPT (operation, sequenceNum)}, {@code STORED AS SCD TYPE 1}):
     * <pre>
     * | userId | name     | city        |
     * | 124    | Raul     | Oaxaca      |
     * | 125    | Mercedes | Guadalajara |
     * | 126    | Lily     | Cancun      |
     * </pre>
     */
    static final Row[] SCD1_TABLE = {
            Row.of(SCD1_SHOWN, 124, "Raul", "Oaxaca"),
            Row.of(SCD1_SHOWN, 125, "Mercedes", "Guadalajara"),
            Row.of(SCD1_SHOWN, 126, "Lily", "Cancun"),
    };

    /**
     * The documented SCD type 2 target (the same clauses, {@code STORED AS SCD TYPE 2}):
     * <pre>
     * | userId | name     | city        | __START_AT | __END_AT |
     * | 123    | Isabel   | Monterrey   | 1          | 5        |
     * | 123    | Isabel   | Chihuahua   | 5          | 6        |
     * | 124    | Raul     | Oaxaca      | 1          | null     |
     * | 125    | Mercedes | Tijuana     | 2          | 5        |
     * | 125    | Mercedes | Mexicali    | 5          | 6        |
     * | 125    | Mercedes | Guadalajara | 6          | null     |
     * | 126    | Lily     | Cancun      | 2          | null     |
     * </pre>
     */
    static final Row[] SCD2_TABLE = {
            Row.of(SCD2_SHOWN, 123, "Isabel", "Monterrey", 1, 5),
            Row.of(SCD2_SHOWN, 123, "Isabel", "Chihuahua", 5, 6),
            Row.of(SCD2_SHOWN, 124, "Raul", "Oaxaca", 1, null),
            Row.of(SCD2_SHOWN, 125, "Mercedes", "Tijuana", 2, 5),
            Row.of(SCD2_SHOWN, 125, "Mercedes", "Mexicali", 5, 6),
            Row.of(SCD2_SHOWN, 125, "Mercedes", "Guadalajara", 6, null),
            Row.of(SCD2_SHOWN, 126, "Lily", "Cancun", 2, null),
    };

    /**
     * The documented SCD type 2 target that tracks history on every column but {@code city}
     * ({@code TRACK HISTORY ON * EXCEPT (city)}): a change of city alone updates the version in
     * place.
     * <pre>
     * | userId | name     | city        | __START_AT | __END_AT |
     * | 123    | Isabel   | Chihuahua   | 1          | 6        |
     * | 124    | Raul     | Oaxaca      | 1          | null     |
     * | 125    | Mercedes | Guadalajara | 2          | null     |
     * | 126    | Lily     | Cancun      | 2          | null     |
     * </pre>
     */
    static final Row[] SCD2_TRACKED_TABLE = {
            Row.of(SCD2_SHOWN, 123, "Isabel", "Chihuahua", 1, 6),
            Row.of(SCD2_SHOWN, 124, "Raul", "Oaxaca", 1, null),
            Row.of(SCD2_SHOWN, 125, "Mercedes", "Guadalajara", 2, null),
            Row.of(SCD2_SHOWN, 126, "Lily", "Cancun", 2, null),
    };

    /** {@code APPLY AS DELETE WHEN operation = "DELETE" ... COLUMNS * EXCEPT (operation, sequenceNum) STORED AS SCD TYPE 1}. */
    static MergeStrategy scd1() {
        return MergeStrategies.latestBy("sequenceNum").withDeletes(IS_DELETE).dropColumns("operation", "sequenceNum");
    }

    /** The same, {@code STORED AS SCD TYPE 2}: every stored column but the sequence column is tracked. */
    static MergeStrategy scd2() {
        return MergeStrategies.scd2("sequenceNum").withDeletes(IS_DELETE).dropColumns("operation");
    }

    /** {@code TRACK HISTORY ON * EXCEPT (city)}: of the columns the target keeps, userId and name. */
    static MergeStrategy scd2TrackingAllButCity() {
        return MergeStrategies.scd2("sequenceNum").withDeletes(IS_DELETE).dropColumns("operation")
                .trackHistoryOn("userId", "name");
    }

    static CdcScenario scenario(Schema schema, MergeStrategy strategy) {
        return CdcScenario.given(Pipeline.from(InMemoryHub.create("users", 1)).bronze("bronze/users")
                .silver("silver/users", "userId").withSchema(schema).withMergeStrategy(strategy))
                .events(feed(schema));
    }

    @TempDir Path lake;

    // ---- SCD type 1 -----------------------------------------------------------------------------

    @Test
    void scd1GivesTheDocumentedTableInEveryArrivalOrderAndBatchSplit() {
        // 3! orders of Isabel's events times 3! of Mercedes', plus random interleavings, each in all 8 splits.
        TableContents silver = scenario(USERS, scd1()).inAnyOrder(20260101L).everyOrderOfEachKey().orders(30)
                .comparingColumns(SCD1_COLUMNS).expectSilver(SCD1_TABLE);
        assertThat(silver.snapshot().schema().orElseThrow().fields()).extracting(f -> f.name())
                .containsExactly("userId", "name", "city"); // COLUMNS * EXCEPT (operation, sequenceNum), exactly
    }

    @Test
    void scd1GivesTheDocumentedTableWhenThePipelineRestartsBetweenBatches() {
        scenario(USERS, scd1()).inAnyOrder(20260102L).everyOrderOfEachKey().orders(5).restartingBetweenBatches()
                .comparingColumns(SCD1_COLUMNS).expectSilver(SCD1_TABLE);
    }

    // ---- SCD type 2 -----------------------------------------------------------------------------

    @Test
    void scd2GivesTheDocumentedTableInTheDocumentedOrderInEveryBatchSplit() {
        scenario(USERS_HISTORY, scd2()).inAnyOrder(1L).orders(0).restartingBetweenBatches()
                .comparingColumns(SCD2_COLUMNS).expectSilver(SCD2_TABLE);
        TableContents silver = scenario(USERS_HISTORY, scd2()).inAnyOrder(1L).orders(0)
                .comparingColumns(SCD2_COLUMNS).expectSilver(SCD2_TABLE);
        assertThat(silver.snapshot().schema().orElseThrow().fields()).extracting(f -> f.name())
                .containsExactly("userId", "name", "city", "sequenceNum", Scd2Strategy.START_AT, Scd2Strategy.END_AT);
    }

    @Test
    void scd2GivesTheDocumentedTableInEveryOrderWhereIsabelsDeleteIsNotHerFirstEvent() {
        // Every other order of each key's events, in every batch split. The orders where the delete
        // arrives before Isabel's other events lose it today: see OrderIndependenceGapsTest.
        CdcScenario s = scenario(USERS_HISTORY, scd2());
        List<AnyOrder.Run> working = deleteNotFirst(s.inAnyOrder(2L).orders(0).everyOrderOfEachKey().runs());
        assertThat(working).hasSize(36 * 4 / 6);
        for (AnyOrder.Run run : working) {
            s.replaying(run).inAnyOrder(2L).orders(0).comparingColumns(SCD2_COLUMNS).expectSilver(SCD2_TABLE);
        }
    }

    @Test
    void scd2TrackingHistoryOnASubsetGivesTheDocumentedTableInTheDocumentedOrderInEveryBatchSplit() {
        scenario(USERS_HISTORY, scd2TrackingAllButCity()).inAnyOrder(3L).orders(0)
                .comparingColumns(SCD2_COLUMNS).expectSilver(SCD2_TRACKED_TABLE);
        scenario(USERS_HISTORY, scd2TrackingAllButCity()).inAnyOrder(3L).orders(0).restartingBetweenBatches()
                .comparingColumns(SCD2_COLUMNS).expectSilver(SCD2_TRACKED_TABLE);
    }

    @Test
    void scd2TrackingHistoryOnASubsetGivesTheDocumentedTableInEveryOrderWhereIsabelsDeleteIsNotHerFirstEvent() {
        CdcScenario s = scenario(USERS_HISTORY, scd2TrackingAllButCity());
        for (AnyOrder.Run run : deleteNotFirst(s.inAnyOrder(4L).orders(0).everyOrderOfEachKey().runs())) {
            s.replaying(run).inAnyOrder(4L).orders(0).comparingColumns(SCD2_COLUMNS).expectSilver(SCD2_TRACKED_TABLE);
        }
    }

    /** The one-batch runs whose orders do not send Isabel's delete before both her other events. */
    static List<AnyOrder.Run> deleteNotFirst(List<AnyOrder.Run> runs) {
        List<AnyOrder.Run> out = new ArrayList<>();
        for (AnyOrder.Run run : runs) {
            List<Integer> o = run.order();
            int delete = o.indexOf(ISABEL_DELETE);
            if (run.batchSizes().size() == 1
                    && (o.indexOf(ISABEL_INSERT) < delete || o.indexOf(ISABEL_UPDATE) < delete)) {
                out.add(run);
            }
        }
        return out;
    }

    // ---- on Delta, read back with Delta Kernel ---------------------------------------------------

    private Pipeline deltaPipeline(String name, Schema schema, MergeStrategy strategy) {
        return Pipeline.from(InMemoryHub.create("users", 1))
                .bronze(lake.resolve(name + "-bronze").toString())
                .silver(lake.resolve(name + "-silver").toString(), "userId")
                .withSchema(schema).withMergeStrategy(strategy).withTargetFileRows(2);
    }

    @Test
    void theDocumentedTablesOnDeltaAsKernelReadsThem() {
        // Few batches: a Delta run commits bronze, silver and the delete markers per batch.
        CdcScenario.given(deltaPipeline("scd1", USERS, scd1())).events(feed(USERS)).inBatches(4).onPipelineTables()
                .run();
        assertThat(kernelRows("scd1", SCD1_COLUMNS)).containsExactlyInAnyOrderElementsOf(maps(SCD1_TABLE));
        assertColumnsAsDocumented("scd1", SCD1_COLUMNS);

        // A run of the order check, on Delta: a random order, cut at random into two or three batches.
        AnyOrder.Run run = scenario(USERS, scd1()).inAnyOrder(5L).orders(5).batchSplits(4).runs().stream()
                .filter(r -> !r.order().equals(List.of(0, 1, 2, 3, 4, 5, 6, 7)))
                .filter(r -> r.batchSizes().size() == 2 || r.batchSizes().size() == 3)
                .findFirst().orElseThrow();
        CdcScenario.given(deltaPipeline("scd1-reordered", USERS, scd1())).events(feed(USERS)).replaying(run)
                .onPipelineTables().run();
        assertThat(kernelRows("scd1-reordered", SCD1_COLUMNS)).containsExactlyInAnyOrderElementsOf(maps(SCD1_TABLE));
        assertColumnsAsDocumented("scd1-reordered", SCD1_COLUMNS);

        CdcScenario.given(deltaPipeline("scd2", USERS_HISTORY, scd2())).events(feed(USERS_HISTORY)).inBatches(4)
                .onPipelineTables().run();
        assertThat(kernelRows("scd2", SCD2_COLUMNS)).containsExactlyInAnyOrderElementsOf(maps(SCD2_TABLE));
        assertColumnsAsDocumentedPlusTheSequence("scd2", SCD2_COLUMNS);

        CdcScenario.given(deltaPipeline("scd2-tracked", USERS_HISTORY, scd2TrackingAllButCity()))
                .events(feed(USERS_HISTORY)).inBatchesOf(5, 3).onPipelineTables().run();
        assertThat(kernelRows("scd2-tracked", SCD2_COLUMNS))
                .containsExactlyInAnyOrderElementsOf(maps(SCD2_TRACKED_TABLE));
        assertColumnsAsDocumentedPlusTheSequence("scd2-tracked", SCD2_COLUMNS);
    }

    /**
     * The table's columns as Delta Kernel reads them: the documented ones, without {@code operation},
     * and {@code sequenceNum}, which StreamLake cannot leave out yet.
     */
    private void assertColumnsAsDocumented(String name, String... documented) {
        assertThat(KernelReader.schema(lake.resolve(name + "-silver").toString()).fieldNames())
                .as("silver columns of " + name).containsExactly(documented);
    }

    private void assertColumnsAsDocumentedPlusTheSequence(String name, String... documented) {
        List<String> expected = new ArrayList<>(List.of(documented));
        expected.add(3, "sequenceNum"); // after city, as declared
        assertThat(KernelReader.schema(lake.resolve(name + "-silver").toString()).fieldNames())
                .as("silver columns of " + name).containsExactlyElementsOf(expected).doesNotContain("operation");
    }

    private List<Map<String, @Nullable Object>> kernelRows(String name, String... columns) {
        List<Map<String, @Nullable Object>> out = new ArrayList<>();
        for (Map<String, @Nullable Object> row : KernelReader.rows(lake.resolve(name + "-silver").toString())) {
            Map<String, @Nullable Object> shown = new LinkedHashMap<>();
            for (String c : columns) {
                shown.put(c, row.get(c));
            }
            out.add(shown);
        }
        return out;
    }

    private static List<Map<String, @Nullable Object>> maps(Row... rows) {
        List<Map<String, @Nullable Object>> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(r.toMap());
        }
        return out;
    }
}
