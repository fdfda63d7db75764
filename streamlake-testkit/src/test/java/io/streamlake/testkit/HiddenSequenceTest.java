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
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code latestBy} with the sequence column left out of silver, as DLT's
 * {@code COLUMNS * EXCEPT (sequenceNum)}: each key's sequence value is kept in the delete-marker
 * table, exactly once with silver, so late events still lose across batches, restarts and crashes.
 */
class HiddenSequenceTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));
    private static final Schema CDC = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .build();
    private static final Scd1Strategy HIDDEN = MergeStrategies.latestBy("updated_at").withDeletes(IS_DELETE)
            .dropColumns("op", "updated_at");

    @TempDir Path lake;

    private static Instant t(int minute) {
        return T0.plusSeconds(60L * minute);
    }

    private static Row event(String id, String status, int minute) {
        return Row.of(CDC, id, status, "UPSERT", t(minute));
    }

    private static Row stored(String id, String status) {
        return Stored.without(Row.of(CDC, id, status, null, null), "op", "updated_at");
    }

    @ParameterizedTest(name = "fault {0}")
    @ValueSource(strings = {"CRASH_AFTER_MARKERS", "CRASH_BEFORE_MARKERS", "FAIL_MARKERS", "CRASH_AFTER_SILVER",
            "CRASH_BEFORE_SILVER"})
    void lateEventsLoseAcrossBatchesRestartsAndCrashesWithoutTheColumnInSilver(String fault) {
        assertThat(HIDDEN.keepsRowSequences()).isTrue();
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silverPath = lake.resolve("silver").toString();
        Pipeline pipeline = Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).silver(silverPath, "order_id")
                .withSchema(CDC).withMergeStrategy(HIDDEN);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            send(hub, event("o-1", "SHIPPED", 5), event("o-2", "CREATED", 1));
            driver.runOneBatch();
            send(hub, event("o-1", "PAID", 3), // older than silver's row: loses
                    event("o-2", "PAID", 4), // newer: wins
                    event("o-3", "CREATED", 2));
            DeleteMarkersTest.crashAroundTheMarkersCommit(driver, fault);
            driver.restart();
            send(hub, event("o-1", "LATE", 4), event("o-3", "OLDER", 1));
            driver.runOneBatch();

            List<Row> expected = List.of(stored("o-1", "SHIPPED"), stored("o-2", "PAID"), stored("o-3", "CREATED"));
            assertThat(driver.silver().rows()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(KernelReader.rows(silverPath)).containsExactlyInAnyOrderElementsOf(
                    expected.stream().map(Row::toMap).toList());
            assertThat(KernelReader.schema(silverPath).fieldNames()).containsExactly("order_id", "status");
        }
    }

    @Test
    void inAnyArrivalOrderAndBatchSplit() {
        CdcScenario.given(Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze").silver("silver", "order_id")
                .withSchema(CDC).withMergeStrategy(HIDDEN))
                .events(event("o-1", "CREATED", 1), event("o-1", "PAID", 3), Row.of(CDC, "o-1", null, "DELETE", t(4)),
                        event("o-1", "REOPENED", 6), event("o-2", "CREATED", 2), event("o-2", "SHIPPED", 7))
                .inAnyOrder(11L).everyOrderOfEachKey().restartingBetweenBatches()
                .expectSilver(stored("o-1", "REOPENED"), stored("o-2", "SHIPPED"));
    }

    @Test
    void truncatesNeedTheSequenceInSilverAndATableInstanceNeedsAMarkerTable() {
        Pipeline p = Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze").silver("silver", "order_id")
                .withSchema(CDC);
        assertThatThrownBy(() -> p.withMergeStrategy(HIDDEN.withTruncates(r -> "TRUNCATE".equals(r.string("op"))))
                .validate()).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("updated_at").hasMessageContaining("withTruncates");
        Pipeline instance = Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze")
                .silver(TableRef.of(InMemoryTable.create("silver")), "order_id").withSchema(CDC)
                .withMergeStrategy(HIDDEN);
        assertThatThrownBy(instance::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("withDeleteMarkers");
        instance.withDeleteMarkers(TableRef.of(InMemoryTable.create("deletes"))).validate();
    }

    private static void send(InMemoryHub hub, Row... rows) {
        for (Row r : rows) {
            hub.send(0, r.string("order_id"), CdcScenario.json(r));
        }
    }
}
