package io.streamlake.testkit;

import static io.streamlake.testkit.RandomChanges.CDC;
import static io.streamlake.testkit.RandomChanges.HISTORY;
import static io.streamlake.testkit.RandomChanges.IS_DELETE;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.Schema;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property: for random event sets, every arrival order and every batch split gives the silver table
 * that the events give in sequence order, for each strategy ordered by a sequence column and each
 * of its options. Each case runs a few generated event sets (the parameter is the generator's
 * seed, and the check's), each in the order given, 20 random orders and up to 12 batch splits.
 *
 * <p>Distinct sequence values per key are the main case; ties (equal sequence values within a key)
 * are the last cases. Gaps found are in {@link OrderIndependenceGapsTest}, and each case here says
 * what it leaves out for that reason.
 */
class OrderIndependencePropertyTest {
    private static final int ORDERS = 20;

    private static void assertSameInAnyOrder(RandomChanges changes, Schema schema,
            MergeStrategy strategy, long seed) {
        changes.scenario(schema, strategy).inAnyOrder(seed).orders(ORDERS).expectSameSilver();
    }

    // ---- latestBy (SCD type 1) ------------------------------------------------------------------

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void latestBy(long seed) {
        // Nulls are plain values here: without ignoreNullUpdates an event replaces the whole row.
        assertSameInAnyOrder(RandomChanges.seed(seed).nulls(0.3), CDC, MergeStrategies.latestBy("seq"), seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13, 14})
    void latestByWithDeletes(long seed) {
        assertSameInAnyOrder(RandomChanges.seed(seed).deletes(0.35).nulls(0.2), CDC,
                MergeStrategies.latestBy("seq").withDeletes(IS_DELETE), seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22, 23})
    void latestByWithDeletesDroppingColumns(long seed) {
        assertSameInAnyOrder(RandomChanges.seed(seed).deletes(0.35).nulls(0.2), CDC,
                MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).dropColumns("op", "note"), seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {31, 32, 33})
    void latestByWithDeletesKeepingColumns(long seed) {
        assertSameInAnyOrder(RandomChanges.seed(seed).deletes(0.35).nulls(0.2), CDC,
                MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).keepColumns("order_id", "status", "seq"), seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {41, 42, 43})
    void latestByIgnoringTombstones(long seed) {
        // A tombstone carries no sequence value, so unless the strategy ignores it, it deletes
        // whatever arrived before it: order-dependent by definition, and generated only here.
        assertSameInAnyOrder(RandomChanges.seed(seed).deletes(0.3).nulls(0.2).tombstones(3), CDC,
                MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).ignoreTombstones(), seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {51, 52, 53})
    void latestByKeepingDeletesForARetention(long seed) {
        // No clock moves in an order check, so a marker of any retention outlives every late event;
        // keepDeletesFor(Duration.ZERO) keeps none and is order-dependent by design (AnyOrderTest).
        assertSameInAnyOrder(RandomChanges.seed(seed).deletes(0.4).nulls(0.2), CDC,
                MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).keepDeletesFor(Duration.ofHours(1)), seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {61, 62, 63})
    void latestByIgnoringNullUpdatesWhenEachKeysNewestEventIsComplete(long seed) {
        // Out-of-order partial updates depend on arrival today (OrderIndependenceGapsTest); with a
        // complete newest event (or a delete) per key, no column's value can come from another event.
        assertSameInAnyOrder(RandomChanges.seed(seed).nulls(0.4).newestComplete(), CDC,
                MergeStrategies.latestBy("seq").ignoreNullUpdates(), seed);
        assertSameInAnyOrder(RandomChanges.seed(seed + 100).deletes(0.3).nulls(0.4).newestComplete(), CDC,
                MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).ignoreNullUpdates().dropColumns("op"),
                seed + 100);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {71, 72})
    void latestByWithEveryOptionRestartingBetweenBatches(long seed) {
        RandomChanges.seed(seed).deletes(0.3).nulls(0.3).tombstones(2).newestComplete()
                .scenario(CDC, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).ignoreNullUpdates()
                        .ignoreTombstones().dropColumns("op").keepDeletesFor(Duration.ofDays(2)))
                .inAnyOrder(seed).orders(10).restartingBetweenBatches().expectSameSilver();
    }

    // ---- scd2 (SCD type 2) ----------------------------------------------------------------------
    //
    // Event sets whose statuses are distinct per key (no version ever absorbs an event) or repeated
    // at most twice; Scd2HistoryPropertyTest has statuses repeated freely, deletes, ties and partial
    // updates, compared with the in-order table computed without the engine. Every column is
    // compared: since versions keep the events they absorbed, the part of a split version before the
    // split shows its own last event.

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {81, 82, 83})
    void scd2TrackingEveryColumn(long seed) {
        assertSameInAnyOrder(RandomChanges.seed(seed).nulls(0.3).distinctStatus(), HISTORY,
                MergeStrategies.scd2("seq"), seed);
        assertSameInAnyOrder(RandomChanges.seed(seed + 100).nulls(0.3).distinctStatus(), HISTORY,
                MergeStrategies.scd2("seq").dropColumns("op"), seed + 100);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {91, 92, 93})
    void scd2TrackingHistoryOnASubset(long seed) {
        // note is not tracked: its changes update a version in place.
        assertSameInAnyOrder(RandomChanges.seed(seed).nulls(0.3).distinctStatus(), HISTORY,
                MergeStrategies.scd2("seq").trackHistoryOn("status"), seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {601, 602, 603})
    void scd2TrackingEveryColumnWithStatusesRepeatedAtMostTwice(long seed) {
        RandomChanges.seed(seed).nulls(0.2).statusAtMostTwice()
                .scenario(HISTORY, MergeStrategies.scd2("seq"))
                .inAnyOrder(seed).orders(ORDERS).expectSameSilver();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {701, 702, 703})
    void scd2TrackingHistoryOnASubsetWithStatusesRepeatedAtMostTwice(long seed) {
        RandomChanges.seed(seed).nulls(0.2).statusAtMostTwice()
                .scenario(HISTORY, MergeStrategies.scd2("seq").trackHistoryOn("status"))
                .inAnyOrder(seed).orders(ORDERS).expectSameSilver();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {101, 102})
    void scd2IgnoringTombstonesRestartingBetweenBatches(long seed) {
        RandomChanges.seed(seed).nulls(0.3).distinctStatus().tombstones(3)
                .scenario(HISTORY, MergeStrategies.scd2("seq").trackHistoryOn("status").ignoreTombstones())
                .inAnyOrder(seed).orders(10).restartingBetweenBatches().expectSameSilver();
    }

    // ---- ties: equal sequence values within a key -----------------------------------------------

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {111, 112, 113})
    void duplicatesChangeNothingInAnyOrder(long seed) {
        assertSameInAnyOrder(RandomChanges.seed(seed).deletes(0.3).nulls(0.3).duplicates(0.5), CDC,
                MergeStrategies.latestBy("seq").withDeletes(IS_DELETE), seed);
        assertSameInAnyOrder(RandomChanges.seed(seed + 100).nulls(0.3).distinctStatus().duplicates(0.5), HISTORY,
                MergeStrategies.scd2("seq"), seed + 100);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {121, 122, 123})
    void latestByLetsADeleteWinOverAnUpdateWithTheSameSequenceValue(long seed) {
        RandomChanges changes = RandomChanges.seed(seed).nulls(0.2).deleteTies(0.5);
        assertThat(changes.changes(CDC)).as("the generated events hold a tie").anyMatch(c -> IS_DELETE.test(c.row()));
        TableContents silver = changes.scenario(CDC, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE))
                .inAnyOrder(seed).orders(ORDERS).expectSameSilver();
        // The first run sends each tied delete after its update; a key whose newest event is such a
        // delete must be gone in every run.
        List<RandomChanges.Change> events = changes.changes(CDC);
        for (RandomChanges.Change c : events) {
            long newest = events.stream().filter(o -> o.key().equals(c.key()))
                    .mapToLong(o -> o.row().longValue("seq")).max().orElseThrow();
            if (IS_DELETE.test(c.row()) && c.row().longValue("seq") == newest) {
                assertThat(silver.row("order_id", c.key())).as("key %s, deleted at its newest seq", c.key()).isEmpty();
            }
        }
    }
}
