package io.streamlake.testkit;

import static io.streamlake.testkit.RandomChanges.HISTORY;
import static io.streamlake.testkit.RandomChanges.IS_DELETE;

import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property: an SCD type 2 table is what its events give in sequence order ({@link InOrderHistory},
 * computed without the engine), whatever order they arrive in, however they are cut into batches,
 * across restarts, every column compared. The events repeat statuses (drawn from two or three), so
 * versions absorb events that a late event then lands among; they have nulls (partial updates with
 * {@code ignoreNullUpdates()}), deletes and ties. Each case runs every order of one key's events
 * (up to 6 of them, every batch split), or random orders and splits of three keys' events.
 */
class Scd2HistoryPropertyTest {
    private static final Scd2Strategy BASE = MergeStrategies.scd2("seq");
    private static final Scd2Strategy DELETES = BASE.withDeletes(IS_DELETE).dropColumns("op");

    /** Every order of one key's events, and random ones, in every batch split. */
    private static void everyOrder(RandomChanges changes, Scd2Strategy strategy, long seed, boolean ignoringNulls) {
        RandomChanges one = changes.keys(1).eventsPerKey(6);
        Row[] expected = InOrderHistory.of(strategy, HISTORY, one.changes(HISTORY), ignoringNulls);
        one.scenario(HISTORY, strategy).inAnyOrder(seed).everyOrderOfEachKey().orders(5).expectSilver(expected);
    }

    /** Random orders of three keys' events, random batch splits, restarting between batches. */
    private static void randomOrders(RandomChanges changes, Scd2Strategy strategy, long seed, boolean ignoringNulls) {
        RandomChanges three = changes.keys(3).eventsPerKey(6);
        Row[] expected = InOrderHistory.of(strategy, HISTORY, three.changes(HISTORY), ignoringNulls);
        three.scenario(HISTORY, strategy).inAnyOrder(seed).orders(15).restartingBetweenBatches().expectSilver(expected);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1001, 1002, 1003})
    void trackingEveryColumn(long seed) {
        everyOrder(RandomChanges.seed(seed).statuses(2).nulls(0.3), BASE, seed, false);
        randomOrders(RandomChanges.seed(seed).statuses(2).nulls(0.3), BASE, seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1011, 1012, 1013})
    void trackingHistoryOnASubset(long seed) {
        everyOrder(RandomChanges.seed(seed).statuses(2).nulls(0.3), BASE.trackHistoryOn("status"), seed, false);
        randomOrders(RandomChanges.seed(seed).statuses(3).nulls(0.3), BASE.trackHistoryOn("status"), seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1021, 1022, 1023})
    void trackingHistoryOnAllButSome(long seed) {
        everyOrder(RandomChanges.seed(seed).statuses(2).nulls(0.3), BASE.trackHistoryExcept("note"), seed, false);
        randomOrders(RandomChanges.seed(seed).statuses(2).nulls(0.3), BASE.trackHistoryExcept("note"), seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1031, 1032, 1033})
    void ignoringNullUpdates(long seed) {
        everyOrder(RandomChanges.seed(seed).statuses(2).nulls(0.4), BASE.ignoreNullUpdates(), seed, true);
        everyOrder(RandomChanges.seed(seed + 100).statuses(2).nulls(0.4),
                BASE.trackHistoryOn("status").ignoreNullUpdates(),
                seed + 100, true);
        randomOrders(RandomChanges.seed(seed).statuses(3).nulls(0.4), BASE.trackHistoryOn("status").ignoreNullUpdates(),
                seed, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1041, 1042, 1043})
    void withDeletes(long seed) {
        everyOrder(RandomChanges.seed(seed).statuses(2).nulls(0.3).deletes(0.3), DELETES.trackHistoryOn("status"),
                seed, false);
        everyOrder(RandomChanges.seed(seed + 100).statuses(2).nulls(0.4).deletes(0.3),
                DELETES.trackHistoryExcept("note").ignoreNullUpdates(), seed + 100, true);
        randomOrders(RandomChanges.seed(seed).statuses(2).nulls(0.3).deletes(0.25), DELETES, seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1051, 1052, 1053})
    void withTies(long seed) {
        RandomChanges ties = RandomChanges.seed(seed).statuses(2).nulls(0.3).deletes(0.2).ties(0.4).duplicates(0.2)
                .deleteTies(0.15);
        everyOrder(ties, DELETES.trackHistoryOn("status"), seed, false);
        everyOrder(ties, DELETES.ignoreNullUpdates(), seed, true);
        randomOrders(ties, DELETES.trackHistoryOn("status").ignoreNullUpdates(), seed, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1061, 1062})
    void ignoringTombstones(long seed) {
        randomOrders(RandomChanges.seed(seed).statuses(2).nulls(0.3).deletes(0.2).tombstones(3),
                DELETES.trackHistoryOn("status").ignoreNullUpdates().ignoreTombstones(), seed, true);
    }
}
