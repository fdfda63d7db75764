package io.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Scd2Strategy#mergeHistory(Scd2Strategy.History, java.util.Collection, Row)} as a pure
 * function: every arrival order of a key's events gives the history that folding them in sequence
 * order gives ({@link #inOrder}), every column compared, for random events with repeated statuses,
 * nulls, deletes and ties, under each way of tracking history and with {@code ignoreNullUpdates()}.
 */
class Scd2ExactHistoryTest {
    private static final Schema SCHEMA = Schema.of(Stream.concat(Scd1StrategyTest.SCHEMA.fields().stream(),
            Stream.of(Field.optional("__START_AT", DataType.LONG), Field.optional("__END_AT", DataType.LONG)))
            .toList());
    private static final Predicate<Row> IS_DELETE = Scd1StrategyTest.IS_DELETE;

    private static Row event(@Nullable String status, @Nullable String note, long seq) {
        return Row.of(SCHEMA, "k", status, note, "UPSERT", seq, null, null);
    }

    private static Row delete(long seq) {
        return Row.of(SCHEMA, "k", null, null, "DELETE", seq, null, null);
    }

    private static Row version(@Nullable String status, @Nullable String note, long seq, long start,
            @Nullable Long end) {
        return Row.of(SCHEMA, "k", status, note, "UPSERT", seq, start, end);
    }

    /** Folds events in arrival order as the engine does, keeping what the strategy asks to keep. */
    static Scd2Strategy.History arrive(Scd2Strategy s, List<Row> arrivals) {
        Scd2Strategy.History h = new Scd2Strategy.History(List.of(), List.of());
        List<Object> deletes = new ArrayList<>();
        for (Row e : arrivals) {
            h = s.mergeHistory(h, deletes, e);
            if (s.isDelete(e) && !deletes.contains(e.value("seq"))) {
                deletes.add(e.value("seq"));
            }
        }
        return h;
    }

    /**
     * The history the events give in sequence order, through the single-event merge (exact for
     * events in order): a delete before the updates with its sequence value (it wins over them),
     * and updates with one sequence value as one, the tie rule's (the greater stored values; with
     * ignoreNullUpdates each column's greatest value).
     */
    static List<Row> inOrder(Scd2Strategy s, List<Row> events) {
        Map<Long, List<Row>> bySeq = new java.util.TreeMap<>();
        for (Row e : events) {
            bySeq.computeIfAbsent((Long) e.value("seq"), k -> new ArrayList<>()).add(e);
        }
        List<Row> history = List.of();
        List<Object> deletes = new ArrayList<>();
        for (Map.Entry<Long, List<Row>> e : bySeq.entrySet()) {
            List<Row> at = e.getValue();
            if (at.stream().anyMatch(s::isDelete)) {
                Row d = at.stream().filter(s::isDelete).findFirst().orElseThrow();
                history = s.mergeHistory(history, deletes, d);
                deletes.add(e.getKey());
                continue;
            }
            List<Row> updates = at.stream().map(r -> s.options.apply(null, r)).distinct().toList();
            Row one;
            if (s.options.ignoreNullUpdates()) {
                Row.Builder b = Row.builder(SCHEMA);
                for (int i = 0; i < SCHEMA.size(); i++) {
                    Object best = null;
                    for (Row u : updates) {
                        Object v = u.value(i);
                        if (v != null && (best == null || CdcStrategy.compareValues(v, best) > 0)) {
                            best = v;
                        }
                    }
                    b.set(i, best);
                }
                one = b.build();
            } else {
                one = updates.stream().max(s::compareTies).orElseThrow();
            }
            history = s.mergeHistory(history, deletes, one);
        }
        return history;
    }

    private static List<Row> sorted(List<Row> versions) {
        List<Row> out = new ArrayList<>(versions);
        out.sort(Comparator.comparingLong(r -> (Long) r.value("__START_AT")));
        return out;
    }

    private static final String[] STATUS = {"A", "B", "C"};
    private static final String[] NOTE = {"x", "y"};

    /** A key's random events: statuses from a few, so versions absorb events; nulls, deletes, ties. */
    private static List<Row> events(Random random, int count, double nulls, double deletes, double ties) {
        List<Row> out = new ArrayList<>();
        List<Long> seqs = new ArrayList<>();
        for (long s = 1; s <= 9; s++) {
            seqs.add(s);
        }
        java.util.Collections.shuffle(seqs, random);
        for (int i = 0; i < count; i++) {
            long seq = i > 0 && random.nextDouble() < ties ? (Long) out.get(random.nextInt(out.size())).value("seq")
                    : seqs.get(i);
            if (random.nextDouble() < deletes) {
                out.add(delete(seq));
                continue;
            }
            String status = random.nextDouble() < nulls ? null : STATUS[random.nextInt(STATUS.length)];
            String note = random.nextDouble() < nulls ? null : NOTE[random.nextInt(NOTE.length)];
            out.add(event(status, note, seq));
        }
        return out;
    }

    private static void permutations(List<Row> events, int from, List<List<Row>> out) {
        if (from >= events.size() - 1) {
            out.add(new ArrayList<>(events));
            return;
        }
        for (int i = from; i < events.size(); i++) {
            java.util.Collections.swap(events, from, i);
            permutations(events, from + 1, out);
            java.util.Collections.swap(events, from, i);
        }
    }

    private static final Map<String, Scd2Strategy> STRATEGIES = new LinkedHashMap<>();

    static {
        Scd2Strategy base = MergeStrategies.scd2("seq").withDeletes(IS_DELETE);
        STRATEGIES.put("all", base);
        STRATEGIES.put("on status", base.trackHistoryOn("status"));
        STRATEGIES.put("except note", base.trackHistoryExcept("note"));
        STRATEGIES.put("all, ignoreNullUpdates", base.ignoreNullUpdates());
        STRATEGIES.put("on status, ignoreNullUpdates", base.trackHistoryOn("status").ignoreNullUpdates());
        STRATEGIES.put("except note, drop op, ignoreNullUpdates",
                base.trackHistoryExcept("note").dropColumns("op").ignoreNullUpdates());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void everyArrivalOrderGivesTheInOrderHistory(long seed) {
        Random random = new Random(seed);
        for (int round = 0; round < 40; round++) {
            List<Row> events =
                    events(random, 2 + random.nextInt(5), 0.3, round % 2 == 0 ? 0.2 : 0, round % 3 == 0 ? 0.3 : 0);
            List<List<Row>> orders = new ArrayList<>();
            permutations(new ArrayList<>(events), 0, orders);
            for (Map.Entry<String, Scd2Strategy> s : STRATEGIES.entrySet()) {
                List<Row> want = sorted(inOrder(s.getValue(), events));
                for (List<Row> order : orders) {
                    assertThat(sorted(arrive(s.getValue(), order).versions()))
                            .as("%s, events %s arriving as %s", s.getKey(), events, order)
                            .containsExactlyElementsOf(want);
                }
            }
        }
    }

    @Test
    void aLateEventSplitsAVersionBetweenTheEventsItAbsorbed() {
        Scd2Strategy s = MergeStrategies.scd2("seq").trackHistoryOn("status");
        Scd2Strategy.History h = arrive(s, List.of(event("A", "x", 1), event("A", "y", 3), event("A", "z", 5)));
        assertThat(h.versions()).containsExactly(version("A", "z", 5, 1, null));
        assertThat(h.absorbed()).as("the version's first events, which its row no longer shows")
                .containsExactlyInAnyOrder(asEvent(event("A", "x", 1)), asEvent(event("A", "y", 3)));
        h = s.mergeHistory(h, List.of(), event("B", null, 4));
        assertThat(h.versions()).containsExactly(version("A", "y", 3, 1, 4L), version("B", null, 4, 4, 5L),
                version("A", "z", 5, 5, null));
    }

    @Test
    void eventsInOrderThatChangeTrackedValuesKeepNothing() {
        Scd2Strategy s = MergeStrategies.scd2("seq").trackHistoryOn("status");
        assertThat(arrive(s, List.of(event("A", "x", 1), event("B", "y", 3), event("C", "z", 5))).absorbed()).isEmpty();
    }

    @Test
    void ignoringNullUpdatesAVersionTakesEachColumnFromTheNewestEventThatSetIt() {
        Scd2Strategy s = MergeStrategies.scd2("seq").trackHistoryOn("status").ignoreNullUpdates();
        List<Row> events = List.of(event("A", "x", 1), event("B", null, 3), event(null, "y", 2));
        // in order: seq 2 keeps status A (absorbed), seq 3 keeps note y
        List<Row> want = List.of(version("A", "y", 2, 1, 3L), version("B", "y", 3, 3, null));
        List<List<Row>> orders = new ArrayList<>();
        permutations(new ArrayList<>(events), 0, orders);
        for (List<Row> order : orders) {
            assertThat(sorted(arrive(s, order).versions())).as("arriving as %s", order).containsExactlyElementsOf(want);
        }
    }

    @Test
    void aVersionWhoseFirstEventsAreForgottenSplitsAsBefore() {
        Scd2Strategy s = MergeStrategies.scd2("seq").trackHistoryOn("status");
        Scd2Strategy.History h = arrive(s, List.of(event("A", "x", 1), event("A", "y", 3)));
        // the absorbed event at seq 1 expired: only the version's row is known
        Scd2Strategy.History forgotten = new Scd2Strategy.History(h.versions(), List.of());
        Scd2Strategy.History late = s.mergeHistory(forgotten, List.of(), event("B", null, 2));
        assertThat(late.versions()).containsExactly(version("A", "y", 3, 1, 2L), version("B", null, 2, 2, 3L),
                version("A", "y", 3, 3, null));
        assertThat(late.versions()).isEqualTo(s.mergeHistory(h.versions(), List.of(), event("B", null, 2)));
    }

    private static Row asEvent(Row e) {
        return e.with("__START_AT", e.value("seq"));
    }
}
