package io.streamlake.testkit;

import static io.streamlake.testkit.RandomChanges.CDC;
import static io.streamlake.testkit.RandomChanges.HISTORY;
import static io.streamlake.testkit.RandomChanges.IS_DELETE;

import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Order independence that once failed, found by the arrival-order harness. The SCD type 2 delete,
 * tie and partial-update tests hold since SCD type 2 keeps delete markers, ties resolve by the
 * stored values and partial updates keep a sequence per column, and run in every build. The tests still marked {@code @EnabledIfSystemProperty} fail on today's code
 * (open on issue 11: the untracked values of a split SCD type 2 version); they are skipped unless {@code -Dstreamlake.gaps=true}, so the build stays green:
 *
 * <pre>
 * mvn -pl streamlake-testkit -am test -Dtest=OrderIndependenceGapsTest -Dsurefire.failIfNoSpecifiedTests=false -Dstreamlake.gaps=true
 * </pre>
 *
 * As a fix lands, remove the {@code @EnabledIfSystemProperty} of its tests (or move them to
 * {@link OrderIndependencePropertyTest} and {@link DatabricksCdcExamplesTest}). The rules they
 * hold the code to:
 * <ul>
 *   <li>SCD type 2 keeps a delete whatever arrives after it: a delete that arrives before the
 *       events it follows in sequence still closes the version they make.</li>
 *   <li>Equal sequence values: a delete wins over an update with the same value, in SCD type 1 and
 *       2 alike; between two updates with the same value, the result does not depend on arrival.</li>
 *   <li>{@code ignoreNullUpdates()}: each column takes its value from the newest event that set it.</li>
 * </ul>
 */
class OrderIndependenceGapsTest {
    private static final String GAPS = "streamlake.gaps";

    // ---- SCD type 2 lost a delete that arrived before the key's other events (fixed) --------------

    @Test
    void scd2GivesTheDocumentedDatabricksTableInEveryArrivalOrder() {
        DatabricksCdcExamplesTest.scenario(DatabricksCdcExamplesTest.USERS_HISTORY, DatabricksCdcExamplesTest.scd2())
                .inAnyOrder(20260103L).everyOrderOfEachKey().orders(10)
                .comparingColumns(DatabricksCdcExamplesTest.SCD2_COLUMNS)
                .expectSilver(DatabricksCdcExamplesTest.SCD2_TABLE);
    }

    @Test
    void scd2TrackingHistoryOnASubsetGivesTheDocumentedDatabricksTableInEveryArrivalOrder() {
        DatabricksCdcExamplesTest.scenario(DatabricksCdcExamplesTest.USERS_HISTORY,
                        DatabricksCdcExamplesTest.scd2TrackingAllButCity())
                .inAnyOrder(20260104L).everyOrderOfEachKey().orders(10)
                .comparingColumns(DatabricksCdcExamplesTest.SCD2_COLUMNS)
                .expectSilver(DatabricksCdcExamplesTest.SCD2_TRACKED_TABLE);
    }

    @Test
    void scd2KeepsADeleteThatArrivesFirst() {
        scenario(HISTORY, MergeStrategies.scd2("seq").withDeletes(IS_DELETE).dropColumns("op"))
                .events(upsert(HISTORY, "o-1", "A", 1), upsert(HISTORY, "o-1", "B", 3), delete(HISTORY, "o-1", 5))
                .inAnyOrder(1L).everyOrderOfEachKey()
                .expectSilver(version("o-1", "A", 1, 1, 3L), version("o-1", "B", 3, 3, 5L));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {201, 202, 205})
    void scd2WithDeletesOnRandomEvents(long seed) {
        // Every status of a key distinct, as in OrderIndependencePropertyTest, so that only deletes differ.
        RandomChanges.seed(seed).deletes(0.3).nulls(0.2).distinctStatus()
                .scenario(HISTORY, MergeStrategies.scd2("seq").withDeletes(IS_DELETE).dropColumns("op"))
                .inAnyOrder(seed).orders(20).expectSameSilver();
    }

    // ---- equal sequence values -------------------------------------------------------------------

    @Test
    void latestByGivesOneResultForTwoUpdatesWithTheSameSequenceValue() {
        scenario(CDC, MergeStrategies.latestBy("seq"))
                .events(upsert(CDC, "o-1", "A", 1), upsert(CDC, "o-1", "B", 2), upsert(CDC, "o-1", "C", 2))
                .inAnyOrder(1L).everyOrderOfEachKey().expectSameSilver();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {212, 214, 215})
    void latestByWithTiesOnRandomEvents(long seed) {
        RandomChanges.seed(seed).deletes(0.2).nulls(0.2).ties(0.5)
                .scenario(CDC, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE))
                .inAnyOrder(seed).orders(20).expectSameSilver();
    }

    @Test
    void scd2GivesOneHistoryForTwoUpdatesWithTheSameSequenceValue() {
        scenario(HISTORY, MergeStrategies.scd2("seq").dropColumns("op"))
                .events(upsert(HISTORY, "o-1", "A", 1), upsert(HISTORY, "o-1", "B", 2), upsert(HISTORY, "o-1", "C", 2))
                .inAnyOrder(1L).everyOrderOfEachKey().expectSameSilver();
    }

    @Test
    void scd2LetsADeleteWinOverAnUpdateWithTheSameSequenceValue() {
        // The version B would start at 3 and end at 3: it never existed.
        scenario(HISTORY, MergeStrategies.scd2("seq").withDeletes(IS_DELETE).dropColumns("op"))
                .events(upsert(HISTORY, "o-1", "A", 1), upsert(HISTORY, "o-1", "B", 3), delete(HISTORY, "o-1", 3))
                .inAnyOrder(1L).everyOrderOfEachKey()
                .expectSilver(version("o-1", "A", 1, 1, 3L));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {221, 222, 223})
    void scd2WithTiesOnRandomEvents(long seed) {
        RandomChanges.seed(seed).nulls(0.2).distinctStatus().ties(0.5)
                .scenario(HISTORY, MergeStrategies.scd2("seq").dropColumns("op"))
                .inAnyOrder(seed).orders(20).expectSameSilver();
    }

    // ---- ignoreNullUpdates with out-of-order partial updates (fixed: per-column sequences) ---------

    @Test
    void ignoreNullUpdatesTakesEachColumnFromTheNewestEventThatSetIt() {
        scenario(CDC, MergeStrategies.latestBy("seq").ignoreNullUpdates())
                .events(
                        Row.of(CDC, "o-1", "CREATED", "gift wrap", "UPSERT", 1L),
                        Row.of(CDC, "o-1", "PAID", null, "UPSERT", 2L),          // note from seq 1 stays
                        Row.of(CDC, "o-1", null, "leave at door", "UPSERT", 3L)) // status from seq 2 stays
                .inAnyOrder(1L).everyOrderOfEachKey()
                .expectSilver(Row.of(CDC, "o-1", "PAID", "leave at door", "UPSERT", 3L));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {232, 233, 235})
    void ignoreNullUpdatesOnRandomPartialUpdates(long seed) {
        // In sequence order (the first run), each column ends with the newest non-null value: the rule.
        RandomChanges.seed(seed).nulls(0.4)
                .scenario(CDC, MergeStrategies.latestBy("seq").ignoreNullUpdates())
                .inAnyOrder(seed).orders(20).expectSameSilver();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {503, 504, 505})
    void ignoreNullUpdatesWithDeletesOnRandomPartialUpdates(long seed) {
        // Assumes the rule extends to deletes as "the newest event that set it since the key's newest
        // delete", which the first run (sequence order) gives; to be confirmed with the fix.
        RandomChanges.seed(seed).nulls(0.4).deletes(0.3)
                .scenario(CDC, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).ignoreNullUpdates())
                .inAnyOrder(seed).orders(20).expectSameSilver();
    }

    /**
     * SCD type 2 with partial updates: a late event fills a version's null columns from the version
     * that covered it when it arrived, so an event that arrives before the older one it should take a
     * value from keeps the null. Per-version column sequences would fix it (as latestBy's per-column
     * sequences do); open on issue 11.
     */
    @Test
    void scd2IgnoreNullUpdatesTakesEachColumnFromTheNewestEventThatSetIt() {
        Row created = Row.builder(HISTORY).set("order_id", "o-1").set("status", "A").set("note", "x")
                .set("op", "UPSERT").set("seq", 1L).build();
        Row paid = Row.builder(HISTORY).set("order_id", "o-1").set("status", "B").set("op", "UPSERT").set("seq", 3L)
                .build(); // no note: it keeps x
        scenario(HISTORY, MergeStrategies.scd2("seq").ignoreNullUpdates())
                .events(created, paid)
                .inAnyOrder(1L).everyOrderOfEachKey()
                .expectSilver(
                        Row.of(HISTORY, "o-1", "A", "x", "UPSERT", 1L, 1L, 3L),
                        Row.of(HISTORY, "o-1", "B", "x", "UPSERT", 3L, 3L, null));
    }

    // ---- found by these tests, not among the known gaps -----------------------------------------
    //
    // SCD type 2: when a late event splits a version that absorbed a later event (one with the
    // same tracked values), the part before the split keeps the absorbed event's untracked values
    // and sequence value instead of its own. Scd2Strategy documents history as exact when a version
    // absorbed at most one later event, which holds for the boundaries and tracked columns
    // (OrderIndependencePropertyTest) but not for these. Decide whether the contract or the code
    // changes; these hold the code to the in-order answer.

    private static final String SPLIT = "SCD2: the part of a split version before the split shows the values of the"
            + " event it absorbed after it";

    @Test
    void scd2KeepsTheUntrackedValuesOfTheEventsBeforeASplit() {
        Row first = Row.builder(HISTORY).set("order_id", "o-1").set("status", "A").set("note", "x")
                .set("op", "UPSERT").set("seq", 1L).build();
        Row later = first.with("note", "y").with("seq", 3L);  // same status: absorbed in place
        Row late = first.with("status", "B").with("note", null).with("seq", 2L);  // arrives last, splits [1, 3)
        scenario(HISTORY, MergeStrategies.scd2("seq").trackHistoryOn("status"))
                .events(first, later, late)
                .inAnyOrder(1L).everyOrderOfEachKey()
                .expectSilver(
                        Row.of(HISTORY, "o-1", "A", "x", "UPSERT", 1L, 1L, 2L),
                        Row.of(HISTORY, "o-1", "B", null, "UPSERT", 2L, 2L, 3L),
                        Row.of(HISTORY, "o-1", "A", "y", "UPSERT", 3L, 3L, null));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {701, 702, 703})
    void scd2WithStatusesRepeatedAtMostTwiceComparingEveryColumn(long seed) {
        // OrderIndependencePropertyTest runs these event sets comparing the tracked columns and the
        // validity only, which pass.
        RandomChanges.seed(seed).nulls(0.2).statusAtMostTwice()
                .scenario(HISTORY, MergeStrategies.scd2("seq").trackHistoryOn("status"))
                .inAnyOrder(seed).orders(20).expectSameSilver();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static CdcScenario scenario(Schema schema, MergeStrategy strategy) {
        return CdcScenario.given(io.streamlake.Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze/orders")
                .silver("silver/orders", "order_id").withSchema(schema).withMergeStrategy(strategy));
    }

    private static Row upsert(Schema schema, String id, String status, long seq) {
        return Row.builder(schema).set("order_id", id).set("status", status).set("op", "UPSERT").set("seq", seq).build();
    }

    private static Row delete(Schema schema, String id, long seq) {
        return Row.builder(schema).set("order_id", id).set("op", "DELETE").set("seq", seq).build();
    }

    /** A version of the SCD type 2 table, {@code op} dropped. */
    private static Row version(String id, String status, long seq, long start, @Nullable Long end) {
        // op is dropped: the table has no op column
        return Stored.without(Row.of(HISTORY, id, status, null, null, seq, start, end), "op");
    }
}
