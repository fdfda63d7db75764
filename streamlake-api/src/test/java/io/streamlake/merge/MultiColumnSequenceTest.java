package io.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Strategies ordered by two columns of different types ({@code SEQUENCE BY struct(hi, lo)}), as
 * pure functions. The second half of the tests checks them against the one-column strategies: an
 * event with one-column value {@code s} gets {@code hi = s / 3, lo = "abc".charAt(s % 3)}, which
 * orders exactly as {@code s} does, so every fold must give the same rows, validity aside.
 */
class MultiColumnSequenceTest {
    static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("note", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("hi", DataType.LONG)
            .optional("lo", DataType.STRING)
            .build();
    static final Schema HISTORY = Schema.builder().optional("id", DataType.STRING)
            .optional("status", DataType.STRING).optional("note", DataType.STRING).optional("op", DataType.STRING)
            .optional("hi", DataType.LONG).optional("lo", DataType.STRING)
            .optional(Scd2Strategy.START_AT, DataType.STRING).optional(Scd2Strategy.END_AT, DataType.STRING).build();
    private static final Predicate<Row> IS_DELETE = Scd1StrategyTest.IS_DELETE;

    private static Row event(@Nullable String status, @Nullable String note, long hi, @Nullable String lo) {
        return Row.of(SCHEMA, "k", status, note, "UPSERT", hi, lo);
    }

    private static Row delete(long hi, String lo) {
        return Row.of(SCHEMA, "k", null, null, "DELETE", hi, lo);
    }

    @Test
    void whenTheFirstColumnTiesTheSecondDecides() {
        Scd1Strategy s = MergeStrategies.latestBy("hi", "lo").withDeletes(IS_DELETE);
        Row current = event("PAID", null, 5, "b");
        assertThat(s.merge(current, event("SHIPPED", null, 5, "c")).kind()).isEqualTo(MergeDecision.Kind.UPSERT);
        assertThat(s.merge(current, event("LATE", null, 5, "a"))).isEqualTo(MergeDecision.keep());
        // the first column decides before the second is looked at
        assertThat(s.merge(current, event("NEWER", null, 6, "a")).kind()).isEqualTo(MergeDecision.Kind.UPSERT);
        assertThat(s.merge(current, event("OLDER", null, 4, "z"))).isEqualTo(MergeDecision.keep());
        // a delete deletes a row that is not newer, compared the same way
        assertThat(s.merge(current, delete(5, "b"))).isEqualTo(MergeDecision.delete());
        assertThat(s.merge(current, delete(5, "a"))).isEqualTo(MergeDecision.keep());
        // equal composite values: the tie rule, in either arrival order
        Row other = event("OTHER", null, 5, "b");
        assertThat(s.merge(current, other).kind()).isEqualTo(MergeDecision.Kind.KEEP);
        assertThat(s.merge(other, current).kind()).isEqualTo(MergeDecision.Kind.UPSERT);
    }

    @Test
    void partialUpdatesKeepACompositeSequencePerColumn() {
        Scd1Strategy s = MergeStrategies.latestBy("hi", "lo").ignoreNullUpdates();
        Scd1Strategy.PartialRow r = s.mergeColumns(null, Map.of(), event("PAID", null, 3, "b"));
        r = s.mergeColumns(r.row(), r.sequences(), event("CREATED", "gift", 3, "a")); // older by the second column
        assertThat(r.row()).isEqualTo(Row.of(SCHEMA, "k", "PAID", "gift", "UPSERT", 3L, "b"));
        assertThat(r.sequences()).isEqualTo(Map.of("note", CompositeSequence.of(3L, "a")));
    }

    @Test
    void validateNamesTheSequenceColumnThatDoesNotFit() {
        assertThatCode(() -> MergeStrategies.latestBy("hi", "lo").validate(SCHEMA, List.of("id")))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> MergeStrategies.latestBy("hi", "nope").validate(SCHEMA, List.of("id")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'nope'");
        Schema withFlag = Schema.builder().required("id", DataType.STRING).optional("hi", DataType.LONG)
                .optional("flag", DataType.BOOLEAN).build();
        assertThatThrownBy(() -> MergeStrategies.latestBy("hi", "flag").validate(withFlag, List.of("id")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'flag' has type boolean")
                .hasMessageContaining("cannot order events");
        assertThatThrownBy(() -> MergeStrategies.latestBy("hi", "id").validate(SCHEMA, List.of("id")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'id' is the silver key");
        assertThatThrownBy(() -> MergeStrategies.scd2("id").validate(HISTORY, List.of("id")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'id' is the silver key");
        assertThatThrownBy(() -> MergeStrategies.latestBy("hi", "lo", "hi"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("named twice");
        // truncates need every sequence column stored; without them any may be left out
        assertThatThrownBy(() -> MergeStrategies.latestBy("hi", "lo").dropColumns("lo")
                .withTruncates(r -> false).validate(SCHEMA, List.of("id")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'lo'");
        assertThat(MergeStrategies.latestBy("hi", "lo").dropColumns("lo").keepsRowSequences()).isTrue();
        assertThat(MergeStrategies.latestBy("hi", "lo").keepsRowSequences()).isFalse();
        assertThatThrownBy(() -> MergeStrategies.scd2("hi", "lo").dropColumns("lo").validate(HISTORY, List.of("id")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'lo'");
    }

    @Test
    void scd2KeepsTheValidityAsTheCompositeValuesText() {
        assertThatCode(() -> MergeStrategies.scd2("hi", "lo").validate(HISTORY, List.of("id")))
                .doesNotThrowAnyException();
        Schema longValidity = Schema.builder().required("id", DataType.STRING).optional("hi", DataType.LONG)
                .optional("lo", DataType.STRING).optional("__START_AT", DataType.LONG)
                .optional("__END_AT", DataType.LONG).build();
        assertThatThrownBy(() -> MergeStrategies.scd2("hi", "lo").validate(longValidity))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("has type long")
                .hasMessageContaining(
                        ".optional(\"__START_AT\", DataType.STRING).optional(\"__END_AT\", DataType.STRING)");

        Scd2Strategy s = MergeStrategies.scd2("hi", "lo").trackHistoryOn("status");
        List<Row> history = List.of();
        for (Row e : List.of(historyEvent("PAID", 5, "b"), historyEvent("CREATED", 5, "a"),
                historyEvent("SHIPPED", 10, "a"))) {
            history = s.mergeHistory(history, e);
        }
        // ordered by value: [5,"b"] before [10,"a"], though its text sorts after it
        assertThat(history).extracting(v -> v.value("status"), v -> v.value("__START_AT"), v -> v.value("__END_AT"))
                .containsExactly(
                        tuple("CREATED", "[5,\"a\"]", "[5,\"b\"]"),
                        tuple("PAID", "[5,\"b\"]", "[10,\"a\"]"),
                        tuple("SHIPPED", "[10,\"a\"]", null));
        Row noLo = Row.of(HISTORY, "k", "X", null, "UPSERT", 7L, null, null, null);
        assertThatThrownBy(() -> s.mergeHistory(List.of(), noLo)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("no lo value");
        assertThat(s).hasToString("scd2(hi, lo).trackHistoryOn(status)");
        assertThat(MergeStrategies.latestBy("hi", "lo")).hasToString("latestBy(hi, lo)");
    }

    private static Row historyEvent(String status, long hi, String lo) {
        return Row.of(HISTORY, "k", status, null, "UPSERT", hi, lo, null, null);
    }

    // ---- the same folds as one column -----------------------------------------------------------

    private static final Schema ONE = Scd1StrategyTest.SCHEMA;

    /** @return the event of one column's value {@code seq} in the two-column schema */
    private static Row split(Row one, Schema target) {
        Long seq = one.longValue("seq");
        Row.Builder b = Row.builder(target).set("id", one.value("id")).set("status", one.value("status"))
                .set("note", one.value("note")).set("op", one.value("op"));
        if (seq != null) {
            b.set("hi", seq / 3).set("lo", String.valueOf("abc".charAt((int) (seq % 3))));
        }
        return b.build();
    }

    private static CompositeSequence split(long seq) {
        return CompositeSequence.of(seq / 3, String.valueOf("abc".charAt((int) (seq % 3))));
    }

    /** Random events of one key in random arrival order: upserts, deletes, nulls, repeated values. */
    private static List<Row> randomEvents(Random random) {
        List<Row> events = new ArrayList<>();
        int n = 2 + random.nextInt(6);
        for (int i = 0; i < n; i++) {
            long seq = random.nextInt(9);
            if (random.nextDouble() < 0.25) {
                events.add(Row.of(ONE, "k", null, null, "DELETE", seq));
            } else {
                events.add(Row.of(ONE, "k", random.nextDouble() < 0.2 ? null : "S" + random.nextInt(3),
                        random.nextDouble() < 0.3 ? null : "n" + random.nextInt(2), "UPSERT", seq));
            }
        }
        Collections.shuffle(events, random);
        return events;
    }

    @Test
    void latestByOverTwoColumnsFoldsAsOneColumnThatOrdersTheSame() {
        Random random = new Random(7);
        for (int round = 0; round < 300; round++) {
            List<Row> events = randomEvents(random);
            boolean partial = random.nextBoolean();
            Scd1Strategy one = MergeStrategies.latestBy("seq").withDeletes(IS_DELETE);
            Scd1Strategy two = MergeStrategies.latestBy("hi", "lo").withDeletes(IS_DELETE);
            if (partial) {
                one = one.ignoreNullUpdates();
                two = two.ignoreNullUpdates();
            }
            Row a = null;
            Row b = null;
            Map<String, Object> seqA = Map.of();
            Map<String, Object> seqB = Map.of();
            for (Row e : events) {
                if (partial) {
                    Scd1Strategy.PartialRow pa = one.mergeColumns(a, seqA, e);
                    Scd1Strategy.PartialRow pb = two.mergeColumns(b, seqB, split(e, SCHEMA));
                    a = pa.row();
                    b = pb.row();
                    seqA = pa.sequences();
                    seqB = pb.sequences();
                } else {
                    a = apply(one.merge(a, e), a);
                    b = apply(two.merge(b, split(e, SCHEMA)), b);
                }
                assertThat(b).as("after %s of %s", e, events).isEqualTo(a == null ? null : split(a, SCHEMA));
                Map<String, Object> expected = new HashMap<>();
                seqA.forEach((c, v) -> expected.put(c, split((Long) v)));
                assertThat(seqB).isEqualTo(expected);
            }
        }
    }

    private static @Nullable Row apply(MergeDecision d, @Nullable Row current) {
        return switch (d.kind()) {
            case UPSERT -> d.row();
            case DELETE -> null;
            case KEEP -> current;
        };
    }

    @Test
    void scd2OverTwoColumnsFoldsAsOneColumnThatOrdersTheSame() {
        Schema oneHistory = Schema.builder().optional("id", DataType.STRING).optional("status", DataType.STRING)
                .optional("note", DataType.STRING).optional("op", DataType.STRING).optional("seq", DataType.LONG)
                .optional(Scd2Strategy.START_AT, DataType.LONG).optional(Scd2Strategy.END_AT, DataType.LONG).build();
        Random random = new Random(11);
        for (int round = 0; round < 300; round++) {
            List<Row> events = randomEvents(random);
            Scd2Strategy one = MergeStrategies.scd2("seq").trackHistoryOn("status").withDeletes(IS_DELETE);
            Scd2Strategy two = MergeStrategies.scd2("hi", "lo").trackHistoryOn("status").withDeletes(IS_DELETE);
            List<Row> a = List.of();
            List<Row> b = List.of();
            List<Object> deletesA = new ArrayList<>();
            List<Object> deletesB = new ArrayList<>();
            for (Row e : events) {
                Row inA = Row.of(oneHistory, "k", e.value("status"), e.value("note"), e.value("op"), e.value("seq"),
                        null, null);
                Row inB = split(e, HISTORY);
                a = one.mergeHistory(a, deletesA, inA);
                b = two.mergeHistory(b, deletesB, inB);
                if (one.isDelete(inA)) {
                    deletesA.add(one.sequenceOf(inA));
                    deletesB.add(two.sequenceOf(inB));
                }
            }
            List<Row> expected = a.stream().map(v -> split(v, HISTORY)
                    .with(Scd2Strategy.START_AT, split((Long) v.value(Scd2Strategy.START_AT)).toString())
                    .with(Scd2Strategy.END_AT, v.value(Scd2Strategy.END_AT) == null ? null
                            : split((Long) v.value(Scd2Strategy.END_AT)).toString()))
                    .toList();
            assertThat(b).as("%s", events).isEqualTo(expected);
        }
    }
}
