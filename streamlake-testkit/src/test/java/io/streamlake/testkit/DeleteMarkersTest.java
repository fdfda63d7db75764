package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.Scd1Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.TableRef;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Delete markers of {@code latestBy}: a late update older than a delete (by a predicate or a
 * tombstone) leaves the key deleted within a batch, across batches and across restarts; a newer
 * update inserts the key again; after the retention an older update inserts it again; a crash
 * between the markers' commit and silver's neither loses nor repeats a change.
 */
class DeleteMarkersTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    private static final Schema CDC = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("note", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .build();

    private static final Scd1Strategy CDC_STRATEGY = MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE)
            .dropColumns("op");

    @TempDir Path lake;

    private static Instant t(int minute) {
        return T0.plusSeconds(60L * minute);
    }

    private static Row upsert(String id, @Nullable String status, int minute) {
        return Row.of(CDC, id, status, null, "UPSERT", t(minute));
    }

    private static Row delete(String id, int minute) {
        return Row.of(CDC, id, null, null, "DELETE", t(minute));
    }

    /** A silver row: op is dropped, so the table has no op column. */
    private static Row stored(String id, @Nullable String status, int minute) {
        return Stored.without(Row.of(CDC, id, status, null, null, t(minute)), "op");
    }

    private static Pipeline pipeline(Scd1Strategy strategy) {
        return Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze/orders")
                .silver("silver/orders", "order_id")
                .withSchema(CDC).withMergeStrategy(strategy);
    }

    private static CdcScenario scenario(Scd1Strategy strategy) {
        return CdcScenario.given(pipeline(strategy));
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 2, 100})
    void aLateOlderUpdateAfterADeleteStaysDeleted(int batch) {
        scenario(CDC_STRATEGY)
                .events(
                        upsert("o-1", "CREATED", 1),
                        delete("o-1", 3),
                        upsert("o-1", "PAID", 2), // late, older than the delete: dropped
                        upsert("o-2", "CREATED", 1),
                        delete("o-2", 3),
                        upsert("o-2", "PAID", 3)) // as old as the delete: dropped too
                .inBatches(batch)
                .expectSilver();
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 2, 100})
    void aLateOlderUpdateAfterATombstoneStaysDeleted(int batch) {
        scenario(MergeStrategies.latestBy("updated_at"))
                .events(upsert("o-1", "CREATED", 1), upsert("o-1", "PAID", 5))
                .tombstone("o-1") // deletes the row of minute 5
                .events(upsert("o-1", "LATE", 4)) // older than what the tombstone deleted
                .inBatches(batch)
                .expectSilver();
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 100})
    void aNewerUpdateAfterADeleteInsertsTheKeyAgainAndClearsTheMarker(int batch) {
        CdcScenario s = scenario(CDC_STRATEGY)
                .events(upsert("o-1", "CREATED", 1), delete("o-1", 3), upsert("o-1", "REOPENED", 4),
                        upsert("o-1", "LATE", 2)) // older than the re-insert: loses to the row
                .inBatches(batch);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(driver.silver().rows()).containsExactly(stored("o-1", "REOPENED", 4));
            assertThat(driver.deletedKeys()).isEmpty();
        }
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 100})
    void aDeleteThatOvertakesItsInsertKeepsTheInsertOut(int batch) {
        CdcScenario s = scenario(CDC_STRATEGY)
                .events(delete("o-3", 4), upsert("o-3", "CREATED", 1), upsert("o-4", "CREATED", 1))
                .inBatches(batch);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(driver.silver().rows()).containsExactly(stored("o-4", "CREATED", 1));
            assertThat(driver.deletedKeys()).containsExactly("o-3");
        }
    }

    @Test
    void markersSurviveARestart() {
        scenario(CDC_STRATEGY)
                .events(upsert("o-1", "CREATED", 1), delete("o-1", 3), upsert("o-1", "PAID", 2))
                .inBatches(1)
                .restartingBetweenBatches()
                .expectSilver();
    }

    @Test
    void afterTheRetentionAnOlderUpdateInsertsTheKeyAgain() {
        scenario(CDC_STRATEGY.keepDeletesFor(Duration.ofDays(2)))
                .events(upsert("o-1", "CREATED", 1), delete("o-1", 3), upsert("o-2", "CREATED", 1), delete("o-2", 3))
                .inBatches(4)
                .later(Duration.ofDays(1))
                .events(upsert("o-1", "LATE", 2)) // within the retention: dropped
                .later(Duration.ofDays(1).plusMinutes(1))
                .events(upsert("o-2", "LATE", 2)) // past it: the marker expired, documented behaviour
                .inBatches(1)
                .expectSilver(stored("o-2", "LATE", 2));
    }

    @Test
    void compactionExpiresOldMarkersByTheSourceClock() {
        CdcScenario s = scenario(CDC_STRATEGY.keepDeletesFor(Duration.ofDays(2)))
                .events(upsert("o-1", "CREATED", 1), delete("o-1", 3))
                .later(Duration.ofDays(1))
                .events(delete("o-2", 5))
                .later(Duration.ofDays(1).plusMinutes(1))
                .events(upsert("o-3", "CREATED", 1)) // the source clock is now past o-1's retention
                .inBatches(1);
        assertCompactionExpiresO1AndKeepsO2(s);
    }

    /** Runs a scenario whose markers of o-1 are past their retention and those of o-2 are not, and compacts. */
    static void assertCompactionExpiresO1AndKeepsO2(CdcScenario s) {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(driver.deletedKeys()).containsExactlyInAnyOrder("o-1", "o-2");
            driver.compact();
            assertThat(driver.deletedKeys()).containsExactly("o-2");
        }
    }

    @Test
    void noDeleteMarkersAreKeptWhenNothingCanDelete() {
        CdcScenario s = scenario(MergeStrategies.latestBy("updated_at").ignoreTombstones())
                .events(upsert("o-1", "CREATED", 1)).tombstone("o-1");
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(driver.silver().rows()).hasSize(1);
            assertThat(driver.deleteMarkers().version()).isEqualTo(-1); // never created
        }
    }

    @Test
    void aTableInstanceSilverNeedsADeleteMarkerTable() {
        Pipeline p = Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze")
                .silver(TableRef.of(InMemoryTable.create("silver")), "order_id")
                .withSchema(CDC).withMergeStrategy(CDC_STRATEGY);
        assertThatThrownBy(p::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("withDeleteMarkers");
        p.withDeleteMarkers(TableRef.of(InMemoryTable.create("deletes"))).validate();
        p.withMergeStrategy(CDC_STRATEGY.keepDeletesFor(Duration.ZERO)).validate();
    }

    @Test
    void aReplayedQuarantinedUpdateOlderThanADeleteStaysOut() {
        io.streamlake.quality.Expectation strict = io.streamlake.quality.Expectation.quarantine("no_paid",
                r -> !"PAID".equals(r.string("status")));
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline pipeline = Pipeline.from(hub).bronze(TableRef.of(InMemoryTable.create("bronze")))
                .silver(TableRef.of(InMemoryTable.create("silver")), "order_id")
                .withQuarantine(TableRef.of(InMemoryTable.create("quarantine")))
                .withDeleteMarkers(TableRef.of(InMemoryTable.create("deletes")))
                .withSchema(CDC).withMergeStrategy(CDC_STRATEGY);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline.withExpectation(strict))) {
            send(hub, upsert("o-1", "CREATED", 1), upsert("o-1", "PAID", 2), delete("o-1", 3),
                    upsert("o-2", "PAID", 2));
            driver.runOneBatch();
            assertThat(driver.quarantine().rows()).hasSize(2);
        }
        // The rule is dropped; replaying brings o-2 in, but o-1's PAID is older than its delete.
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            assertThat(driver.replayQuarantine()).isEqualTo(2);
            assertThat(driver.silver().rows()).containsExactly(stored("o-2", "PAID", 2));
        }
    }

    // ---- crashes between the markers' commit and silver's, on Delta ------------------------------

    /**
     * The batch after the delete holds an update older than the delete (dropped by the marker) and
     * a newer one (which re-inserts and clears the marker). Replaying that batch from the markers it
     * left would start from no marker; the marker rows' record of what they replaced prevents it.
     */
    @ParameterizedTest(name = "fault {0}")
    @ValueSource(strings = {"CRASH_AFTER_MARKERS", "CRASH_BEFORE_MARKERS", "FAIL_MARKERS", "CRASH_AFTER_SILVER",
            "CRASH_BEFORE_SILVER"})
    void aCrashAroundTheMarkersCommitNeitherLosesNorRepeatsAChange(String fault) {
        Scd1Strategy strategy = MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE).dropColumns("op");
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silverPath = lake.resolve("silver").toString();
        try (PipelineTestDriver driver = PipelineTestDriver.create(onDelta(hub, strategy))) {
            send(hub, Row.of(CDC, "o-1", "CREATED", "gift", "UPSERT", t(1)), delete("o-1", 5),
                    Row.of(CDC, "o-9", "CREATED", null, "UPSERT", t(1)));
            driver.runOneBatch();
            assertThat(driver.deletedKeys()).containsExactly("o-1");

            send(hub, Row.of(CDC, "o-1", "PAID", "late note", "UPSERT", t(3)), // older than the delete
                    Row.of(CDC, "o-1", "SHIPPED", null, "UPSERT", t(7))); // newer: back, note null
            crashAroundTheMarkersCommit(driver, fault);

            Row[] expected = {
                    Stored.without(Row.of(CDC, "o-1", "SHIPPED", null, null, t(7)), "op"),
                    Stored.without(Row.of(CDC, "o-9", "CREATED", null, null, t(1)), "op"),
            };
            assertThat(driver.silver().rows()).containsExactlyInAnyOrder(expected);
            assertThat(driver.deletedKeys()).isEmpty();
            assertThat(KernelReader.rows(silverPath)).containsExactlyInAnyOrder(expected[0].toMap(),
                    expected[1].toMap());

            // the cleared marker is cleaned up, and the key can be deleted and protected again
            send(hub, delete("o-1", 8), Row.of(CDC, "o-1", "LATE", null, "UPSERT", t(6)));
            driver.runOneBatch();
            assertThat(driver.silver().rows()).containsExactly(expected[1]);
            assertThat(driver.deletedKeys()).containsExactly("o-1");
            List<Map<String, Object>> markers = KernelReader.rows(silverPath + "_deletes");
            assertThat(markers).singleElement().satisfies(m -> {
                assertThat(m).containsEntry("order_id", "o-1").containsEntry("delete_sequence", t(8));
            });
        }
    }

    /**
     * Partial updates keep the sequence value behind each column in the markers table, exactly once
     * with silver like the markers: o-9's note comes from an older event than its row, and o-1's
     * marker stays after the newer update re-inserts it, so that the late note stays out.
     */
    @ParameterizedTest(name = "fault {0}")
    @ValueSource(strings = {"CRASH_AFTER_MARKERS", "CRASH_BEFORE_MARKERS", "FAIL_MARKERS", "CRASH_AFTER_SILVER",
            "CRASH_BEFORE_SILVER"})
    void partialUpdatesKeepTheirColumnSequencesExactlyOnceAcrossACrash(String fault) {
        Scd1Strategy strategy = MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE).ignoreNullUpdates()
                .dropColumns("op");
        assertThat(strategy.tracksColumnSequences()).isTrue();
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silverPath = lake.resolve("silver").toString();
        try (PipelineTestDriver driver = PipelineTestDriver.create(onDelta(hub, strategy))) {
            send(hub, Row.of(CDC, "o-1", "CREATED", "gift", "UPSERT", t(1)), delete("o-1", 5),
                    Row.of(CDC, "o-9", "CREATED", null, "UPSERT", t(2)));
            driver.runOneBatch();

            send(hub, Row.of(CDC, "o-1", "PAID", "late note", "UPSERT", t(3)), // older than the delete
                    Row.of(CDC, "o-1", "SHIPPED", null, "UPSERT", t(7)), // newer: back, note null
                    Row.of(CDC, "o-9", "OLD", "note", "UPSERT", t(1))); // older: sets only the note
            crashAroundTheMarkersCommit(driver, fault);

            Row[] expected = {
                    Stored.without(Row.of(CDC, "o-1", "SHIPPED", null, null, t(7)), "op"),
                    Stored.without(Row.of(CDC, "o-9", "CREATED", "note", null, t(2)), "op"),
            };
            assertThat(driver.silver().rows()).containsExactlyInAnyOrder(expected);
            assertThat(KernelReader.rows(silverPath)).containsExactlyInAnyOrder(expected[0].toMap(),
                    expected[1].toMap());
            assertThat(driver.deletedKeys()).containsExactly("o-1");
            assertThat(KernelReader.rows(silverPath + "_deletes")).filteredOn(m -> "o-9".equals(m.get("order_id")))
                    .singleElement()
                    .satisfies(m -> assertThat(m.get("column_sequences")).isEqualTo(Map.of("note", t(1))));

            // an update between the two events of o-9 takes the note, and one older than it does not
            send(hub, Row.of(CDC, "o-9", null, "newer note", "UPSERT", t(1).plusSeconds(30)),
                    Row.of(CDC, "o-9", null, "oldest note", "UPSERT", t(0)));
            driver.runOneBatch();
            assertThat(driver.silver().rows())
                    .contains(Stored.without(Row.of(CDC, "o-9", "CREATED", "newer note", null, t(2)), "op"));
        }
    }

    /** @return a pipeline from the hub into Delta tables under {@link #lake}, silver at {@code lake/silver} */
    private Pipeline onDelta(InMemoryHub hub, Scd1Strategy strategy) {
        return Pipeline.from(hub).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id").withSchema(CDC).withMergeStrategy(strategy);
    }

    /**
     * Runs the next batch into the fault, checks it failed, and recovers.
     *
     * @param fault CRASH_AFTER_MARKERS, CRASH_BEFORE_MARKERS, FAIL_MARKERS, CRASH_AFTER_SILVER or CRASH_BEFORE_SILVER
     */
    static void crashAroundTheMarkersCommit(PipelineTestDriver driver, String fault) {
        switch (fault) {
            case "CRASH_AFTER_MARKERS" -> driver.crashAfterNextCommit(Stage.DELETE_MARKERS);
            case "CRASH_BEFORE_MARKERS" -> driver.crashBeforeNextCommit(Stage.DELETE_MARKERS);
            case "FAIL_MARKERS" -> driver.failNextCommit(Stage.DELETE_MARKERS);
            case "CRASH_AFTER_SILVER" -> driver.crashAfterNextCommit(Stage.SILVER);
            default -> driver.crashBeforeNextCommit(Stage.SILVER);
        }
        assertThatThrownBy(driver::runOneBatch)
                .isInstanceOfAny(SimulatedCrash.class, io.streamlake.exceptions.SinkException.class);
        driver.runUntilCaughtUp();
    }

    private static void send(InMemoryHub hub, Row... rows) {
        for (Row r : rows) {
            hub.send(0, r.string("order_id"), CdcScenario.json(r));
        }
    }
}
