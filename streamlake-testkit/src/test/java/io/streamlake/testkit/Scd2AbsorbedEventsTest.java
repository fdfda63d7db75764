package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The events SCD type 2 versions absorbed, kept beside silver in the delete-marker table so that a
 * late event lands among them exactly: written only when a version absorbs an event, exactly once
 * with silver across a crash at each commit point, and forgotten after the retention, after which a
 * version splits as it did before they were kept.
 */
class Scd2AbsorbedEventsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    private static final Schema HISTORY = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("note", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .optional(Scd2Strategy.START_AT, DataType.TIMESTAMP)
            .optional(Scd2Strategy.END_AT, DataType.TIMESTAMP)
            .build();

    private static final Scd2Strategy STRATEGY = MergeStrategies.scd2("updated_at").trackHistoryOn("status")
            .withDeletes(IS_DELETE).dropColumns("op");

    @TempDir Path lake;

    private static Instant t(int minute) {
        return T0.plusSeconds(60L * minute);
    }

    private static Row upsert(String id, String status, @Nullable String note, int minute) {
        return Row.of(HISTORY, id, status, note, "UPSERT", t(minute), null, null);
    }

    private static Row version(String id, String status, @Nullable String note, int minute, int start,
            @Nullable Integer end) {
        return Stored.without(Row.of(HISTORY, id, status, note, null, t(minute), t(start), end == null ? null : t(end)),
                "op");
    }

    private static CdcScenario scenario(Scd2Strategy strategy) {
        return CdcScenario.given(Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze/orders")
                .silver("silver/orders", "order_id").withSchema(HISTORY).withMergeStrategy(strategy));
    }

    /** The rows of absorbed events in the delete-marker table: those with a time they were absorbed at. */
    private static List<Row> absorbed(PipelineTestDriver driver) {
        return driver.deleteMarkers().rows().stream().filter(r -> r.value("absorbed_at") != null).toList();
    }

    @Test
    void eventsInOrderThatChangeTrackedValuesKeepNothingBesideSilver() {
        CdcScenario s = scenario(STRATEGY).events(upsert("o-1", "CREATED", "a", 1), upsert("o-1", "PAID", "b", 2),
                upsert("o-2", "CREATED", null, 1)).inBatches(1);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(driver.silver().rows()).hasSize(3);
            assertThat(driver.deleteMarkers().version()).as("the delete-marker table is never written").isEqualTo(-1);
        }
    }

    @Test
    void aVersionThatAbsorbsAnEventKeepsTheEventItShowedBefore() {
        CdcScenario s = scenario(STRATEGY).events(upsert("o-1", "CREATED", "a", 1), upsert("o-1", "CREATED", "b", 2),
                upsert("o-1", "CREATED", "c", 3)).inBatches(1);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(driver.silver().rows()).containsExactly(version("o-1", "CREATED", "c", 3, 1, null));
            assertThat(absorbed(driver)).extracting(r -> r.value("delete_sequence"), r -> r.value("event__note"))
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(t(1), "a"),
                            org.assertj.core.groups.Tuple.tuple(t(2), "b"));
            assertThat(driver.deletedKeys()).as("absorbed events are no deletes").isEmpty();
        }
    }

    @ParameterizedTest(name = "fault {0}")
    @ValueSource(strings = {"CRASH_AFTER_MARKERS", "CRASH_BEFORE_MARKERS", "FAIL_MARKERS", "CRASH_AFTER_SILVER",
            "CRASH_BEFORE_SILVER"})
    void aCrashAroundTheMarkersCommitNeitherLosesNorRepeatsAnAbsorbedEvent(String fault) {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silverPath = lake.resolve("silver").toString();
        Pipeline pipeline = Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).silver(silverPath, "order_id")
                .withSchema(HISTORY).withMergeStrategy(STRATEGY);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            send(hub, upsert("o-1", "A", "x", 1), upsert("o-1", "A", "y", 3), upsert("o-9", "A", null, 1));
            driver.runOneBatch();
            // a late event splits [1, 3), and a newer one is absorbed: y becomes hidden too
            send(hub, upsert("o-1", "B", null, 2), upsert("o-1", "A", "z", 5), Row.of(HISTORY, "o-9", null, null,
                    "DELETE", t(4), null, null));
            DeleteMarkersTest.crashAroundTheMarkersCommit(driver, fault);
            // after the crash, a late event lands among the absorbed events, and a newer one is absorbed
            send(hub, upsert("o-1", "C", null, 4), upsert("o-1", "A", "w", 6));
            driver.runOneBatch();

            List<Row> expected = List.of(version("o-1", "A", "x", 1, 1, 2), version("o-1", "B", null, 2, 2, 3),
                    version("o-1", "A", "y", 3, 3, 4), version("o-1", "C", null, 4, 4, 5),
                    version("o-1", "A", "w", 6, 5, null), version("o-9", "A", null, 1, 1, 4));
            assertThat(driver.silver().rows()).containsExactlyElementsOf(expected);
            assertThat(KernelReader.rows(silverPath)).containsExactlyInAnyOrderElementsOf(
                    expected.stream().map(Row::toMap).toList());
            List<Map<String, Object>> markers = KernelReader.rows(silverPath + "_deletes");
            assertThat(markers).filteredOn(m -> m.get("absorbed_at") != null)
                    .extracting(m -> m.get("order_id"), m -> m.get("delete_sequence"), m -> m.get("event__note"))
                    .as("each absorbed event once").containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("o-1", t(1), "x"),
                            org.assertj.core.groups.Tuple.tuple("o-1", t(3), "y"),
                            org.assertj.core.groups.Tuple.tuple("o-1", t(5), "z"));
            assertThat(markers).filteredOn(m -> m.get("deleted_at") != null)
                    .extracting(m -> m.get("order_id"), m -> m.get("delete_sequence"))
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("o-9", t(4)));
        }
    }

    @Test
    void absorbedEventsAreForgottenAfterTheRetentionAndTheVersionThenSplitsAsBefore() {
        CdcScenario s = scenario(STRATEGY.keepDeletesFor(Duration.ofDays(2)))
                .events(upsert("o-1", "A", "x", 1), upsert("o-1", "A", "y", 3))
                .later(Duration.ofDays(3))
                .events(upsert("o-2", "A", "x", 1), upsert("o-2", "A", "y", 3))
                .inBatches(2);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(absorbed(driver)).extracting(r -> r.value("order_id")).containsExactlyInAnyOrder("o-1", "o-2");
            driver.compact();
            assertThat(absorbed(driver)).as("o-1's absorbed event is past the retention")
                    .extracting(r -> r.value("order_id")).containsExactly("o-2");

            // late events: o-2's lands exactly, o-1's version shows its later event before the split
            InMemoryHub hub = (InMemoryHub) s.pipeline().source();
            send(hub, upsert("o-1", "B", null, 2), upsert("o-2", "B", null, 2));
            driver.runUntilCaughtUp();
            assertThat(driver.silver().rows()).containsExactly(
                    version("o-1", "A", "y", 3, 1, 2), version("o-1", "B", null, 2, 2, 3),
                    version("o-1", "A", "y", 3, 3, null),
                    version("o-2", "A", "x", 1, 1, 2), version("o-2", "B", null, 2, 2, 3),
                    version("o-2", "A", "y", 3, 3, null));
        }
    }

    @Test
    void withoutMarkersVersionsKeepNothingAndSplitAsBefore() {
        Scd2Strategy none = STRATEGY.keepDeletesFor(Duration.ZERO);
        assertThat(none.keepsKeyState()).isFalse();
        assertThat(STRATEGY.keepsKeyState()).isTrue();
        assertThat(MergeStrategies.scd2("updated_at").keepsKeyState())
                .as("absorbed events are kept without deletes too")
                .isTrue();
        scenario(none).events(upsert("o-1", "A", "x", 1), upsert("o-1", "A", "y", 3), upsert("o-1", "B", null, 2))
                .inBatches(1)
                .expectSilver(version("o-1", "A", "y", 3, 1, 2), version("o-1", "B", null, 2, 2, 3),
                        version("o-1", "A", "y", 3, 3, null));
    }

    /**
     * A delete-marker table written before versions kept absorbed events (the columns of delete
     * markers only) gains the new columns at the first absorbed event, and keeps its markers.
     */
    @Test
    void aMarkerTableWrittenBeforeAbsorbedEventsWereKeptGainsTheirColumns() throws Exception {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silverPath = lake.resolve("silver").toString();
        Pipeline pipeline = Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).silver(silverPath, "order_id")
                .withSchema(HISTORY).withMergeStrategy(STRATEGY);
        Schema before = Schema.builder().required("order_id", DataType.STRING)
                .optional("delete_sequence", DataType.TIMESTAMP).optional("deleted_at", DataType.TIMESTAMP)
                .required("bronze_version", DataType.LONG).optional("previous_delete_sequence", DataType.TIMESTAMP)
                .optional("previous_deleted_at", DataType.TIMESTAMP).build();
        io.streamlake.table.Table old = io.streamlake.core.delta.DeltaTable.open(silverPath + "_deletes", Map.of());
        old.create(before);
        try (io.streamlake.table.DataFileWriter w = old.newDataFile(before)) {
            w.write(Row.of(before, "o-1", t(10), Instant.now(), 0L, null, null));
            old.newCommit().add(w.finish()).commit("WRITE");
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            send(hub, upsert("o-1", "A", "x", 1), upsert("o-1", "A", "y", 3), upsert("o-1", "A", "z", 12));
            driver.runOneBatch();
            send(hub, upsert("o-1", "B", null, 2));
            driver.runOneBatch();
            assertThat(driver.silver().rows()).containsExactly(version("o-1", "A", "x", 1, 1, 2),
                    version("o-1", "B", null, 2, 2, 3), version("o-1", "A", "y", 3, 3, 10),
                    version("o-1", "A", "z", 12, 12, null));
        }
        List<Map<String, Object>> markers = KernelReader.rows(silverPath + "_deletes");
        assertThat(markers).filteredOn(m -> m.get("deleted_at") != null).extracting(m -> m.get("delete_sequence"))
                .containsExactly(t(10));
        assertThat(markers).filteredOn(m -> m.get("absorbed_at") != null).extracting(m -> m.get("event__note"))
                .containsExactlyInAnyOrder("x");
    }

    @Test
    void aTombstoneRemovesTheHistoryAndTheEventsItAbsorbed() {
        // without the absorbed events gone, the late B would bring back y at 3
        CdcScenario s = scenario(MergeStrategies.scd2("updated_at").trackHistoryOn("status").dropColumns("op"))
                .events(upsert("o-1", "A", "x", 1), upsert("o-1", "A", "y", 3), upsert("o-1", "A", "z", 5))
                .tombstone("o-1")
                .events(upsert("o-1", "B", null, 2));
        for (int batch : new int[] {1, 2, 100}) {
            try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
                s.inBatches(batch).run(driver);
                assertThat(driver.silver().rows()).as("batches of %d", batch)
                        .containsExactly(version("o-1", "B", null, 2, 2, null));
                assertThat(absorbed(driver)).as("batches of %d", batch).isEmpty();
            } finally {
                ((InMemoryHub) s.pipeline().source()).clear();
            }
        }
    }

    @Test
    void aKeyOfSeveralColumnsKeepsItsAbsorbedEvents() {
        Schema schema = Schema.builder()
                .required("tenant_id", DataType.STRING)
                .required("order_id", DataType.LONG)
                .optional("status", DataType.STRING)
                .optional("note", DataType.STRING)
                .optional("seq", DataType.LONG)
                .optional(Scd2Strategy.START_AT, DataType.LONG)
                .optional(Scd2Strategy.END_AT, DataType.LONG)
                .build();
        CdcScenario.given(Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze/orders")
                .silver("silver/orders", "tenant_id", "order_id").withSchema(schema)
                .withMergeStrategy(MergeStrategies.scd2("seq").trackHistoryOn("status")))
                .events(Row.of(schema, "t-1", 7L, "A", "x", 1L, null, null),
                        Row.of(schema, "t-1", 7L, "A", "y", 3L, null, null),
                        Row.of(schema, "t-2", 7L, "A", "x", 1L, null, null),
                        Row.of(schema, "t-1", 7L, "B", null, 2L, null, null))
                .inAnyOrder(7L).everyOrderOfEachKey().restartingBetweenBatches()
                .expectSilver(Row.of(schema, "t-1", 7L, "A", "x", 1L, 1L, 2L),
                        Row.of(schema, "t-1", 7L, "B", null, 2L, 2L, 3L),
                        Row.of(schema, "t-1", 7L, "A", "y", 3L, 3L, null),
                        Row.of(schema, "t-2", 7L, "A", "x", 1L, 1L, null));
    }

    private static void send(InMemoryHub hub, Row... rows) {
        Arrays.stream(rows).forEach(r -> hub.send(0, r.string("order_id"), CdcScenario.json(r)));
    }
}
