package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.TableRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The order-independence harness itself: what it runs, that it passes a strategy ordered by a
 * sequence column, that it catches strategies that go by arrival and says how to replay the run
 * that broke them, and what it refuses.
 */
class AnyOrderTest {
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    private static final Schema CDC = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("seq", DataType.LONG)
            .build();

    /** Only the columns {@link AnyOrder#comparingColumns} is asked to compare. */
    private static final Schema SHOWN = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .build();

    private static Row upsert(String id, String status, long seq) {
        return Row.of(CDC, id, status, "UPSERT", seq);
    }

    private static Row delete(String id, long seq) {
        return Row.of(CDC, id, null, "DELETE", seq);
    }

    /** A row of silver when {@code op} is dropped. */
    private static Row stored(String id, @Nullable String status, long seq) {
        return Stored.without(Row.of(CDC, id, status, null, seq), "op");
    }

    private static CdcScenario scenario(MergeStrategy strategy) {
        return CdcScenario.given(Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze/orders")
                .silver("silver/orders", "order_id").withSchema(CDC).withMergeStrategy(strategy));
    }

    private static final Row[] EVENTS = {
            upsert("o-1", "CREATED", 1),
            upsert("o-2", "NEW", 1),
            upsert("o-1", "PAID", 2),
            delete("o-2", 2),
            upsert("o-1", "SHIPPED", 3),
            upsert("o-3", "NEW", 5),
    };

    @Test
    void aStrategyOrderedBySequencePassesInEveryOrderAndBatchSplit() {
        AnyOrder check = scenario(MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).dropColumns("op"))
                .events(EVENTS)
                .inAnyOrder(1L).everyOrderOfEachKey().orders(10);

        // 6 events: the order given, 3! * 2! - 1 other orders of each key's events, 10 random ones,
        // each in one batch and in batches of 1 to 5.
        assertThat(check.runs()).hasSize((1 + 11 + 10) * 6);
        TableContents first = check.expectSilver(stored("o-1", "SHIPPED", 3), stored("o-3", "NEW", 5));
        assertThat(first.rows()).hasSize(2);
        check.restartingBetweenBatches().expectSilver(stored("o-1", "SHIPPED", 3), stored("o-3", "NEW", 5));
    }

    @Test
    void itCatchesLastWinsAndSaysWhichRunBrokeItAndHowToReplayIt() {
        CdcScenario s = scenario(MergeStrategies.lastWins())
                .events(upsert("o-1", "CREATED", 1), upsert("o-1", "PAID", 2));
        AnyOrder check = s.inAnyOrder(7L).orders(0).everyOrderOfEachKey();
        List<AnyOrder.Run> runs = check.runs();
        assertThat(runs).extracting(AnyOrder.Run::order, AnyOrder.Run::batchSizes).containsExactly(
                org.assertj.core.groups.Tuple.tuple(List.of(0, 1), List.of(2)),
                org.assertj.core.groups.Tuple.tuple(List.of(0, 1), List.of(1, 1)),
                org.assertj.core.groups.Tuple.tuple(List.of(1, 0), List.of(2)),
                org.assertj.core.groups.Tuple.tuple(List.of(1, 0), List.of(1, 1)));

        assertThatThrownBy(() -> check.expectSilver(Row.of(CDC, "o-1", "PAID", "UPSERT", 2L)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("silver of run 3 of 4 differs from the expected rows")
                .hasMessageContaining("seed: 7, check: inAnyOrder(7L).orders(0).everyOrderOfEachKey()")
                .hasMessageContaining("arrival order (event indexes as added): [1, 0]")
                .hasMessageContaining("batch sizes: [2]")
                .hasMessageContaining("#1 o-1 {\"order_id\":\"o-1\",\"status\":\"PAID\"")
                .hasMessageContaining("replay it: scenario.reordered(1, 0).inBatchesOf(2)")
                .hasMessageContaining(".runs().get(2)")
                .hasMessageContaining("CREATED");

        // The run replays alone, on its own or through the runs list, and fails the same way.
        CdcScenario replayed = s.reordered(1, 0).inBatchesOf(2);
        assertThat(replayed.run().rows()).containsExactly(Row.of(CDC, "o-1", "CREATED", "UPSERT", 1L));
        assertThat(scenario(MergeStrategies.lastWins())
                .events(upsert("o-1", "CREATED", 1), upsert("o-1", "PAID", 2))
                .replaying(runs.get(2)).run().rows())
                .containsExactly(Row.of(CDC, "o-1", "CREATED", "UPSERT", 1L));
    }

    @Test
    void randomOrdersAloneCatchLastWinsAndNameTheSeed() {
        CdcScenario s = scenario(MergeStrategies.lastWins()).events(EVENTS);
        assertThatThrownBy(() -> s.inAnyOrder(11L).orders(5).expectSameSilver())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("differs from silver of run 1 (the events as given, in one batch)")
                .hasMessageContaining("seed: 11, check: inAnyOrder(11L).orders(5)")
                .hasMessageContaining("replay it: scenario.reordered(");
    }

    @Test
    void expectSameSilverCatchesDeletesWithoutMarkersAndPassesWithThem() {
        // Without delete markers a late update older than a delete inserts the key again: the result
        // goes by arrival, as documented for keepDeletesFor(Duration.ZERO).
        Row[] events = {upsert("o-1", "CREATED", 1), delete("o-1", 3), upsert("o-1", "PAID", 2)};
        assertThatThrownBy(() -> scenario(MergeStrategies.latestBy("seq").withDeletes(IS_DELETE)
                .keepDeletesFor(Duration.ZERO)).events(events).inAnyOrder(3L).everyOrderOfEachKey().expectSameSilver())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("seed: 3");
        TableContents first = scenario(MergeStrategies.latestBy("seq").withDeletes(IS_DELETE)).events(events)
                .inAnyOrder(3L).everyOrderOfEachKey().expectSameSilver();
        assertThat(first.rows()).isEmpty();
    }

    @Test
    void theRunsFollowFromTheSeed() {
        CdcScenario s = scenario(MergeStrategies.latestBy("seq")).events(EVENTS);
        assertThat(s.inAnyOrder(5L).orders(8).runs()).isEqualTo(s.inAnyOrder(5L).orders(8).runs());
        assertThat(s.inAnyOrder(5L).orders(8).runs()).isNotEqualTo(s.inAnyOrder(6L).orders(8).runs());
        // More batch splits leave the orders alone.
        assertThat(s.inAnyOrder(5L).orders(8).batchSplits(2).runs().stream().map(AnyOrder.Run::order).distinct())
                .containsExactlyElementsOf(s.inAnyOrder(5L).orders(8).runs().stream().map(AnyOrder.Run::order)
                        .distinct().toList());
        for (AnyOrder.Run run : s.inAnyOrder(5L).orders(8).runs()) {
            assertThat(run.order()).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
            assertThat(run.batchSizes().stream().mapToInt(Integer::intValue).sum()).isEqualTo(6);
        }
    }

    @Test
    void everyBatchSizeRunsUpToTheSplitLimitAndRandomCutsBeyondIt() {
        CdcScenario five = scenario(MergeStrategies.latestBy("seq")).events(
                upsert("a", "A", 1), upsert("b", "A", 1), upsert("c", "A", 1), upsert("d", "A", 1),
                upsert("e", "A", 1));
        assertThat(five.inAnyOrder(1L).orders(0).runs()).extracting(AnyOrder.Run::batchSizes).containsExactly(
                List.of(5), List.of(1, 1, 1, 1, 1), List.of(2, 2, 1), List.of(3, 2), List.of(4, 1));

        List<Row> many = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            many.add(upsert("k" + i, "A", i));
        }
        List<AnyOrder.Run> runs = scenario(MergeStrategies.latestBy("seq")).events(many.toArray(Row[]::new))
                .inAnyOrder(1L).orders(0).batchSplits(6).runs();
        assertThat(runs).hasSize(6);
        assertThat(runs.get(0).batchSizes()).containsExactly(20);
        assertThat(runs.get(1).batchSizes()).hasSize(20).containsOnly(1);
        Set<List<Integer>> splits = new HashSet<>();
        for (AnyOrder.Run run : runs) {
            assertThat(run.batchSizes().stream().mapToInt(Integer::intValue).sum()).isEqualTo(20);
            assertThat(splits.add(run.batchSizes())).as("split %s twice", run.batchSizes()).isTrue();
        }
    }

    @Test
    void everyOrderOfEachKeyKeepsEachKeysPlaces() {
        CdcScenario s = scenario(MergeStrategies.latestBy("seq")).events(
                upsert("a", "A", 1), upsert("b", "B", 1), upsert("a", "A", 2), upsert("b", "B", 2),
                upsert("a", "A", 3));
        List<AnyOrder.Run> oneBatch = s.inAnyOrder(1L).orders(0).everyOrderOfEachKey().runs().stream()
                .filter(r -> r.batchSizes().size() == 1).toList();
        assertThat(oneBatch).hasSize(3 * 2 * 1 * 2);
        assertThat(oneBatch.stream().map(AnyOrder.Run::order).distinct()).hasSize(12);
        for (AnyOrder.Run run : oneBatch) {
            List<Integer> o = run.order();
            assertThat(List.of(o.get(0), o.get(2), o.get(4))).containsExactlyInAnyOrder(0, 2, 4);
            assertThat(List.of(o.get(1), o.get(3))).containsExactlyInAnyOrder(1, 3);
        }

        List<Row> twelve = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            twelve.add(upsert("a", "A", i));
        }
        assertThatThrownBy(() -> scenario(MergeStrategies.latestBy("seq")).events(twelve.toArray(Row[]::new))
                .inAnyOrder(1L).everyOrderOfEachKey().runs())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("use orders(n)");
    }

    @Test
    void comparingColumnsComparesOnlyThose() {
        CdcScenario s = scenario(MergeStrategies.latestBy("seq")).events(EVENTS);
        s.inAnyOrder(2L).orders(2).comparingColumns("order_id", "status").expectSilver(
                Row.of(SHOWN, "o-1", "SHIPPED"), Row.of(SHOWN, "o-2", null), Row.of(SHOWN, "o-3", "NEW"));
        assertThatThrownBy(() -> s.inAnyOrder(2L).orders(0).comparingColumns("order_id", "status").expectSilver(
                Row.of(SHOWN, "o-1", "PAID"), Row.of(SHOWN, "o-2", null), Row.of(SHOWN, "o-3", "NEW")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("run 1 of");
        assertThatThrownBy(() -> s.inAnyOrder(2L).comparingColumns("order_id", "city").expectSilver())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no column 'city'");
    }

    @Test
    void inBatchesOfCutsTheEventsInTurnTheLastSizeRepeating() {
        CdcScenario s = scenario(MergeStrategies.latestBy("seq")).events(EVENTS);
        assertThat(bronzeCommits(s.inBatchesOf(6)) + 4).isEqualTo(bronzeCommits(s.inBatchesOf(2, 1)));
        assertThat(bronzeCommits(s.inBatchesOf(6)) + 1).isEqualTo(bronzeCommits(s.inBatchesOf(4, 5)));
        assertThat(bronzeCommits(s.inBatches(1))).isEqualTo(bronzeCommits(s.inBatchesOf(1)));
        assertThatThrownBy(() -> s.inBatchesOf()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.inBatchesOf(2, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 0]");
    }

    /** Bronze's version after the scenario: one commit per batch. Copies of a scenario share its hub. */
    private static long bronzeCommits(CdcScenario s) {
        s.clearHub();
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            return driver.bronze().version();
        }
    }

    @Test
    void reorderedSendsTheEventsInThatOrder() {
        CdcScenario s = scenario(MergeStrategies.lastWins()).events(upsert("o-1", "A", 1), upsert("o-1", "B", 2),
                upsert("o-1", "C", 3));
        assertThat(s.reordered(2, 0, 1).run().rows()).containsExactly(Row.of(CDC, "o-1", "B", "UPSERT", 2L));
        assertThatThrownBy(() -> s.reordered(0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs 3 indexes");
        assertThatThrownBy(() -> s.reordered(0, 1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("each index must appear once");
        assertThatThrownBy(() -> s.reordered(0, 1, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whatTheCheckRefuses() {
        CdcScenario s = scenario(MergeStrategies.latestBy("seq")).events(EVENTS);
        assertThatThrownBy(() -> s.later(Duration.ofDays(1)).inAnyOrder(1L)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("later(...)");
        assertThatThrownBy(() -> s.later(Duration.ofDays(1)).reordered(0, 1, 2, 3, 4, 5))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.onPipelineTables().inAnyOrder(1L)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("replaying(run)");
        InMemoryTable shared = InMemoryTable.create("silver");
        CdcScenario onInstance = CdcScenario.given(Pipeline.from(InMemoryHub.create("orders", 1))
                .bronze("bronze/orders").silver(TableRef.of(shared), "order_id").withSchema(CDC)
                .withMergeStrategy(MergeStrategies.latestBy("seq").keepDeletesFor(Duration.ZERO)));
        assertThatThrownBy(() -> onInstance.events(EVENTS).inAnyOrder(1L)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("name tables by path");
        assertThatThrownBy(() -> scenario(MergeStrategies.latestBy("seq")).inAnyOrder(1L).runs())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no events");
        assertThatThrownBy(() -> s.inAnyOrder(1L).orders(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.inAnyOrder(1L).batchSplits(1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.inAnyOrder(1L).comparingColumns()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void runsRestartWhenAskedAndSayHowToReplayThat() {
        CdcScenario s = scenario(MergeStrategies.latestBy("seq")).events(EVENTS);
        assertThat(s.inAnyOrder(1L).orders(1).runs()).noneMatch(AnyOrder.Run::restarts);
        List<AnyOrder.Run> runs = s.inAnyOrder(1L).orders(1).restartingBetweenBatches().runs();
        assertThat(runs).allMatch(AnyOrder.Run::restarts);
        assertThat(runs.get(1).replay()).isEqualTo(".reordered(0, 1, 2, 3, 4, 5).inBatchesOf(1, 1, 1, 1, 1, 1)"
                + ".restartingBetweenBatches()");
        assertThat(s.restartingBetweenBatches().inAnyOrder(1L).runs()).allMatch(AnyOrder.Run::restarts);
    }
}
