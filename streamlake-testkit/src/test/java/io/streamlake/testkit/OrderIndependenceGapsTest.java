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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Order independence that once failed, found by the arrival-order harness; every test here holds
 * and runs in every build. The SCD type 2 delete, tie and partial-update tests hold since SCD type
 * 2 keeps delete markers, ties resolve by the stored values and partial updates keep a sequence per
 * column; the SCD type 2 split and partial-update tests (issue 11) since SCD type 2 keeps the events
 * its versions absorbed beside silver and rebuilds a key's history from its events in sequence
 * order ({@link Scd2HistoryPropertyTest} holds the rule on random events). A new gap found by the
 * harness goes here, marked {@code @EnabledIfSystemProperty(named = "streamlake.gaps", matches =
 * "true")} until it is fixed, so the build stays green:
 *
 * <pre>
 * mvn -pl streamlake-testkit -am test -Dtest=OrderIndependenceGapsTest -Dsurefire.failIfNoSpecifiedTests=false -Dstreamlake.gaps=true
 * </pre>
 *
 * The rules they hold the code to:
 * <ul>
 *   <li>SCD type 2 keeps a delete whatever arrives after it: a delete that arrives before the
 *       events it follows in sequence still closes the version they make.</li>
 *   <li>Equal sequence values: a delete wins over an update with the same value, in SCD type 1 and
 *       2 alike; between two updates with the same value, the result does not depend on arrival.</li>
 *   <li>{@code ignoreNullUpdates()}: each column takes its value from the newest event that set it
 *       (for SCD type 2, the newest at or before the event a version shows).</li>
 *   <li>SCD type 2: the part of a split version before the split shows the last event before the
 *       split, with its own untracked values and sequence value.</li>
 * </ul>
 */
class OrderIndependenceGapsTest {
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
                        Row.of(CDC, "o-1", "PAID", null, "UPSERT", 2L), // note from seq 1 stays
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
     * SCD type 2 with partial updates: a late event filled a version's null columns from the version
     * that covered it when it arrived, so an event that arrived before the older one it should take a
     * value from kept the null (issue 11; fixed: a version's events are refolded in sequence order).
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

    // ---- SCD type 2 splits of versions that absorbed events (issue 11; fixed) ----------------------
    //
    // When a late event split a version that absorbed a later event (one with the same tracked
    // values), the part before the split kept the absorbed event's untracked values and sequence
    // value instead of its own, and a late event before several absorbed events resumed the version
    // only at the last. The versions' absorbed events are now kept beside silver, so the split
    // follows the events.

    @Test
    void scd2KeepsTheUntrackedValuesOfTheEventsBeforeASplit() {
        Row first = Row.builder(HISTORY).set("order_id", "o-1").set("status", "A").set("note", "x")
                .set("op", "UPSERT").set("seq", 1L).build();
        Row later = first.with("note", "y").with("seq", 3L); // same status: absorbed in place
        Row late = first.with("status", "B").with("note", null).with("seq", 2L); // arrives last, splits [1, 3)
        scenario(HISTORY, MergeStrategies.scd2("seq").trackHistoryOn("status"))
                .events(first, later, late)
                .inAnyOrder(1L).everyOrderOfEachKey()
                .expectSilver(
                        Row.of(HISTORY, "o-1", "A", "x", "UPSERT", 1L, 1L, 2L),
                        Row.of(HISTORY, "o-1", "B", null, "UPSERT", 2L, 2L, 3L),
                        Row.of(HISTORY, "o-1", "A", "y", "UPSERT", 3L, 3L, null));
    }

    @Test
    void scd2ResumesAVersionAtTheFirstEventItAbsorbedAfterALateOne() {
        Row first = Row.builder(HISTORY).set("order_id", "o-1").set("status", "A").set("note", "x")
                .set("op", "UPSERT").set("seq", 1L).build();
        // two later events with the same status, absorbed in place; the late B lands before both
        scenario(HISTORY, MergeStrategies.scd2("seq").trackHistoryOn("status"))
                .events(first, first.with("note", "y").with("seq", 3L), first.with("note", "z").with("seq", 5L),
                        first.with("status", "B").with("note", null).with("seq", 2L))
                .inAnyOrder(1L).everyOrderOfEachKey()
                .expectSilver(
                        Row.of(HISTORY, "o-1", "A", "x", "UPSERT", 1L, 1L, 2L),
                        Row.of(HISTORY, "o-1", "B", null, "UPSERT", 2L, 2L, 3L),
                        Row.of(HISTORY, "o-1", "A", "z", "UPSERT", 5L, 3L, null));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {701, 702, 703})
    void scd2WithStatusesRepeatedAtMostTwiceComparingEveryColumn(long seed) {
        // Before the fix only the tracked columns and the validity matched in every order.
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
        return Row.builder(schema).set("order_id", id).set("status", status).set("op", "UPSERT").set("seq", seq)
                .build();
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
