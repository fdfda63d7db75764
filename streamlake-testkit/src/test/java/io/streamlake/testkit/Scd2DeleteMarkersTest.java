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
 * SCD type 2 deletes in any order: a delete that arrives before the events it deletes (even as the
 * key's first event) still ends the versions they start, within a batch, across batches, across
 * restarts and across a crash between the delete-marker commit and silver's; a delete wins over an
 * update with the same sequence value.
 */
class Scd2DeleteMarkersTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    private static final Schema HISTORY = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .optional(Scd2Strategy.START_AT, DataType.TIMESTAMP)
            .optional(Scd2Strategy.END_AT, DataType.TIMESTAMP)
            .build();

    private static final Scd2Strategy STRATEGY = MergeStrategies.scd2("updated_at").withDeletes(IS_DELETE)
            .dropColumns("op");

    @TempDir Path lake;

    private static Instant t(int minute) {
        return T0.plusSeconds(60L * minute);
    }

    private static Row upsert(String id, String status, int minute) {
        return Row.of(HISTORY, id, status, "UPSERT", t(minute), null, null);
    }

    private static Row delete(String id, int minute) {
        return Row.of(HISTORY, id, null, "DELETE", t(minute), null, null);
    }

    private static Row version(String id, String status, int minute, @Nullable Integer end) {
        // op is dropped: the table has no op column
        return Stored.without(Row.of(HISTORY, id, status, null, t(minute), t(minute), end == null ? null : t(end)),
                "op");
    }

    private static CdcScenario scenario(Scd2Strategy strategy) {
        return CdcScenario.given(Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze/orders")
                .silver("silver/orders", "order_id").withSchema(HISTORY).withMergeStrategy(strategy));
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 2, 100})
    void aDeleteThatArrivesFirstEndsTheVersionsOfTheEventsItOvertook(int batch) {
        scenario(STRATEGY)
                .events(
                        delete("o-1", 5), // the key's first event
                        upsert("o-1", "CREATED", 1),
                        upsert("o-1", "PAID", 3),
                        upsert("o-2", "CREATED", 2),
                        delete("o-2", 4),
                        upsert("o-2", "PAID", 3)) // late, before o-2's delete
                .inBatches(batch)
                .expectSilver(
                        version("o-1", "CREATED", 1, 3),
                        version("o-1", "PAID", 3, 5),
                        version("o-2", "CREATED", 2, 3),
                        version("o-2", "PAID", 3, 4));
    }

    @Test
    void theMarkerSurvivesARestartAndLaterEventsStartAfterTheGap() {
        scenario(STRATEGY)
                .events(delete("o-1", 5), upsert("o-1", "CREATED", 1), upsert("o-1", "REOPENED", 8))
                .inBatches(1)
                .restartingBetweenBatches()
                .expectSilver(version("o-1", "CREATED", 1, 5), version("o-1", "REOPENED", 8, null));
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 100})
    void aDeleteWinsOverAnUpdateWithTheSameSequenceValueInEitherOrder(int batch) {
        scenario(STRATEGY)
                .events(
                        upsert("o-1", "CREATED", 1), upsert("o-1", "PAID", 5), delete("o-1", 5),
                        upsert("o-2", "CREATED", 1), delete("o-2", 5), upsert("o-2", "PAID", 5))
                .inBatches(batch)
                .expectSilver(version("o-1", "CREATED", 1, 5), version("o-2", "CREATED", 1, 5));
    }

    @Test
    void aKeyDeletedTwiceKeepsAMarkerPerDeleteAndBothGapsHold() {
        CdcScenario s = scenario(STRATEGY)
                .events(delete("o-1", 4), delete("o-1", 9), upsert("o-1", "A", 1), upsert("o-1", "B", 6))
                .inBatches(1);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(driver.silver().rows()).containsExactly(version("o-1", "A", 1, 4), version("o-1", "B", 6, 9));
            assertThat(driver.deleteMarkers().rows()).extracting(r -> r.value("delete_sequence"))
                    .containsExactly(t(4), t(9));
            assertThat(driver.deletedKeys()).containsExactly("o-1");
        }
    }

    @Test
    void withoutMarkersADeleteIsRememberedOnlyWithinItsBatch() {
        Scd2Strategy none = STRATEGY.keepDeletesFor(Duration.ZERO);
        assertThat(none.keepsDeleteMarkers()).isFalse();
        scenario(none).events(delete("o-1", 5), upsert("o-1", "CREATED", 1)).inBatches(2)
                .expectSilver(version("o-1", "CREATED", 1, 5));
        scenario(none).events(delete("o-1", 5), upsert("o-1", "CREATED", 1)).inBatches(1)
                .expectSilver(version("o-1", "CREATED", 1, null)); // documented: forgotten across batches
    }

    @Test
    void compactionExpiresMarkersPastTheRetentionByTheSourceClock() {
        CdcScenario s = scenario(STRATEGY.keepDeletesFor(Duration.ofDays(2)))
                .events(delete("o-1", 5))
                .later(Duration.ofDays(3))
                .events(delete("o-2", 5))
                .inBatches(1);
        DeleteMarkersTest.assertCompactionExpiresO1AndKeepsO2(s);
    }

    /** Strategies with nothing to remember keep no marker table. */
    @Test
    void scd2KeepsMarkersOnlyWhenItHasDeletes() {
        assertThat(MergeStrategies.scd2("updated_at").keepsDeleteMarkers()).isFalse();
        assertThat(STRATEGY.keepsDeleteMarkers()).isTrue();
        assertThat(STRATEGY.deleteRetention()).isEqualTo(Duration.ofDays(7));
        assertThat(STRATEGY.keepDeletesFor(Duration.ofDays(2))).hasToString(
                "scd2(updated_at).withDeletes(...).dropColumns(op).keepDeletesFor(PT48H)");
    }

    @ParameterizedTest(name = "fault {0}")
    @ValueSource(strings = {"CRASH_AFTER_MARKERS", "CRASH_BEFORE_MARKERS", "FAIL_MARKERS", "CRASH_AFTER_SILVER",
            "CRASH_BEFORE_SILVER"})
    void aCrashAroundTheMarkersCommitNeitherLosesNorRepeatsAChange(String fault) {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silverPath = lake.resolve("silver").toString();
        Pipeline pipeline = Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).silver(silverPath, "order_id")
                .withSchema(HISTORY).withMergeStrategy(STRATEGY);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            send(hub, upsert("o-9", "CREATED", 1));
            driver.runOneBatch();
            // the delete comes first and shares its batch with the events it ends
            send(hub, delete("o-1", 5), upsert("o-1", "CREATED", 1), upsert("o-1", "PAID", 3));
            DeleteMarkersTest.crashAroundTheMarkersCommit(driver, fault);
            // an older event after the crash still ends at the delete
            send(hub, upsert("o-1", "LATE", 4));
            driver.runOneBatch();

            List<Row> expected = List.of(version("o-1", "CREATED", 1, 3), version("o-1", "PAID", 3, 4),
                    version("o-1", "LATE", 4, 5), version("o-9", "CREATED", 1, null));
            assertThat(driver.silver().rows()).containsExactlyElementsOf(expected);
            assertThat(KernelReader.rows(silverPath)).containsExactlyInAnyOrderElementsOf(
                    expected.stream().map(Row::toMap).toList());
            List<Map<String, Object>> markers = KernelReader.rows(silverPath + "_deletes");
            assertThat(markers).singleElement().satisfies(m -> assertThat(m).containsEntry("order_id", "o-1")
                    .containsEntry("delete_sequence", t(5)));
        }
    }

    private static void send(InMemoryHub hub, Row... rows) {
        Arrays.stream(rows).forEach(r -> hub.send(0, r.string("order_id"), CdcScenario.json(r)));
    }
}
