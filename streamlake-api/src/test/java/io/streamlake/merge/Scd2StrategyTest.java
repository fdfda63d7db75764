package io.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** SCD type 2 history as a pure function of the key's versions and one event. */
class Scd2StrategyTest {
    private static final Schema SCHEMA = Schema.of(Stream.concat(Scd1StrategyTest.SCHEMA.fields().stream(),
            Stream.of(Field.optional("__START_AT", DataType.LONG), Field.optional("__END_AT", DataType.LONG)))
            .toList());
    private static final Predicate<Row> IS_DELETE = Scd1StrategyTest.IS_DELETE;
    private static final Scd2Strategy TRACK_STATUS = MergeStrategies.scd2("seq").trackHistoryOn("status")
            .withDeletes(IS_DELETE);

    private static Row event(@Nullable String status, @Nullable String note, long seq) {
        return Row.of(SCHEMA, "k", status, note, "UPSERT", seq, null, null);
    }

    private static Row delete(long seq) {
        return Row.of(SCHEMA, "k", null, null, "DELETE", seq, null, null);
    }

    /** A version: the values of the event at {@code seq}, valid from start to end. */
    private static Row version(String status, @Nullable String note, long seq, long start, @Nullable Long end) {
        return Row.of(SCHEMA, "k", status, note, "UPSERT", seq, start, end);
    }

    /** Folds events as the engine does: remembering the deletes it has seen. */
    private static List<Row> fold(Scd2Strategy s, List<Row> arrivals) {
        List<Row> history = List.of();
        List<Object> deletes = new ArrayList<>();
        for (Row e : arrivals) {
            history = s.mergeHistory(history, deletes, e);
            if (s.isDelete(e)) {
                deletes.add(e.value(s.sequenceColumn()));
            }
        }
        return history;
    }

    @Test
    void aTrackedChangeClosesTheCurrentVersionAndStartsANewOne() {
        assertThat(fold(TRACK_STATUS, List.of(event("CREATED", null, 1), event("PAID", null, 5))))
                .containsExactly(version("CREATED", null, 1, 1, 5L), version("PAID", null, 5, 5, null));
    }

    @Test
    void anUntrackedChangeUpdatesTheCurrentVersionInPlace() {
        assertThat(fold(TRACK_STATUS, List.of(event("CREATED", "a", 1), event("CREATED", "b", 3))))
                .containsExactly(version("CREATED", "b", 3, 1, null));
        // an older untracked change loses to the values already shown
        assertThat(fold(TRACK_STATUS, List.of(event("CREATED", "b", 3), event("CREATED", "a", 2))))
                .containsExactly(version("CREATED", "b", 3, 2, null));
    }

    @Test
    void withoutTrackHistoryOnEveryStoredColumnButTheSequenceIsTracked() {
        Scd2Strategy all = MergeStrategies.scd2("seq");
        assertThat(fold(all, List.of(event("CREATED", "a", 1), event("CREATED", "b", 3))))
                .containsExactly(version("CREATED", "a", 1, 1, 3L), version("CREATED", "b", 3, 3, null));
        assertThat(fold(all, List.of(event("CREATED", "a", 1), event("CREATED", "a", 3))))
                .containsExactly(version("CREATED", "a", 3, 1, null));
        assertThat(fold(all.dropColumns("note"), List.of(event("CREATED", "a", 1), event("CREATED", "b", 3))))
                .containsExactly(Row.of(SCHEMA, "k", "CREATED", null, "UPSERT", 3L, 1L, null));
    }

    @Test
    void keepColumnsNeedNotListTheValidityColumnsEvenWhenTheyAreRequired() {
        Schema required = Schema.builder().required("id", DataType.STRING).optional("status", DataType.STRING)
                .optional("seq", DataType.LONG).required("__START_AT", DataType.LONG)
                .optional("__END_AT", DataType.LONG)
                .build();
        Scd2Strategy s = MergeStrategies.scd2("seq").keepColumns("id", "status", "seq");
        assertThatCode(() -> s.validate(required, List.of("id"))).doesNotThrowAnyException();
        assertThat(s.storedSchema(required)).isEqualTo(required);
    }

    @Test
    void trackHistoryExceptTracksEveryOtherStoredColumn() {
        Scd2Strategy exceptNote = MergeStrategies.scd2("seq").trackHistoryExcept("note");
        // a note change is in place, a status change is history: as trackHistoryOn("status") here
        List<Row> events = List.of(event("CREATED", "a", 1), event("CREATED", "b", 3), event("PAID", "b", 5));
        assertThat(fold(exceptNote, events))
                .isEqualTo(fold(MergeStrategies.scd2("seq").trackHistoryOn("status"), events))
                .containsExactly(version("CREATED", "b", 3, 1, 5L), version("PAID", "b", 5, 5, null));
        assertThat(exceptNote).hasToString("scd2(seq).trackHistoryExcept(note)");
        assertThat(exceptNote.trackHistoryOn("note")).hasToString("scd2(seq).trackHistoryOn(note)");
        assertThatThrownBy(() -> MergeStrategies.scd2("seq").trackHistoryExcept("nope").validate(SCHEMA))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("leaves out of history column 'nope'");
        assertThatThrownBy(() -> MergeStrategies.scd2("seq").trackHistoryExcept())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trackHistoryExcept");
    }

    @Test
    void duplicatesChangeNothing() {
        List<Row> history = fold(TRACK_STATUS, List.of(event("CREATED", "a", 1), event("PAID", null, 5)));
        assertThat(TRACK_STATUS.mergeHistory(history, event("CREATED", "a", 1))).isEqualTo(history);
        assertThat(TRACK_STATUS.mergeHistory(history, event("PAID", null, 5))).isEqualTo(history);
    }

    @Test
    void equalSequenceValuesResolveByTheTieRuleInAnyArrivalOrder() {
        // the greater stored values stay (PAID > CREATED; "b" > "a"), whichever arrives last
        for (Scd2Strategy s : List.of(TRACK_STATUS, MergeStrategies.scd2("seq"))) {
            assertThat(fold(s, List.of(event("CREATED", null, 1), event("PAID", null, 1))))
                    .containsExactly(version("PAID", null, 1, 1, null));
            assertThat(fold(s, List.of(event("PAID", null, 1), event("CREATED", null, 1))))
                    .containsExactly(version("PAID", null, 1, 1, null));
            assertThat(fold(s, List.of(event("X", "b", 0), event("PAID", "a", 1), event("PAID", "b", 1))))
                    .isEqualTo(fold(s, List.of(event("PAID", "b", 1), event("PAID", "a", 1), event("X", "b", 0))))
                    .last().isEqualTo(version("PAID", "b", 1, 1, null));
        }
    }

    @Test
    void aDeleteWinsOverAnUpdateWithTheSameSequenceValueInAnyArrivalOrder() {
        Row created = event("CREATED", null, 1);
        Row paid = event("PAID", null, 5);
        List<Row> expected = List.of(version("CREATED", null, 1, 1, 5L));
        assertThat(fold(TRACK_STATUS, List.of(created, paid, delete(5)))).isEqualTo(expected);
        assertThat(fold(TRACK_STATUS, List.of(created, delete(5), paid))).isEqualTo(expected);
        assertThat(fold(TRACK_STATUS, List.of(delete(5), paid, created))).isEqualTo(expected);
    }

    @Test
    void aLateEventSplitsTheVersionThatCoversIt() {
        assertThat(fold(TRACK_STATUS, List.of(event("CREATED", null, 1), event("SHIPPED", null, 9),
                event("PAID", null, 5))))
                .containsExactly(version("CREATED", null, 1, 1, 5L), version("PAID", null, 5, 5, 9L),
                        version("SHIPPED", null, 9, 9, null));
    }

    @Test
    void anEventBeforeTheFirstVersionStartsTheHistoryEarlier() {
        assertThat(fold(TRACK_STATUS, List.of(event("PAID", null, 5), event("CREATED", null, 1))))
                .containsExactly(version("CREATED", null, 1, 1, 5L), version("PAID", null, 5, 5, null));
        // same tracked values: the version just starts earlier, keeping its later values
        assertThat(fold(TRACK_STATUS, List.of(event("PAID", "b", 5), event("PAID", "a", 1))))
                .containsExactly(version("PAID", "b", 5, 1, null));
    }

    @Test
    void aLateEventBeforeAnInPlaceUpdateSplitsTheVersionInThree() {
        // CREATED at 1, CREATED (note b) at 6 absorbed in place; PAID at 3 arrives late. The event at
        // 6 still says CREATED, so CREATED resumes at 6.
        assertThat(fold(TRACK_STATUS, List.of(event("CREATED", "a", 1), event("CREATED", "b", 6),
                event("PAID", null, 3))))
                .containsExactly(version("CREATED", "b", 6, 1, 3L), version("PAID", null, 3, 3, 6L),
                        version("CREATED", "b", 6, 6, null));
    }

    @Test
    void aLateEventThatRepeatsItsNeighboursValuesJoinsThem() {
        List<Row> history = fold(TRACK_STATUS, List.of(event("A", null, 1), event("B", null, 3), event("A", null, 5)));
        assertThat(history).hasSize(3);
        assertThat(TRACK_STATUS.mergeHistory(history, event("A", null, 4)))
                .containsExactly(version("A", null, 1, 1, 3L), version("B", null, 3, 3, 4L),
                        version("A", null, 5, 4, null));
    }

    @Test
    void aDeleteClosesTheCoveringVersionAndLaterEventsStartAfterTheGap() {
        List<Row> deleted = fold(TRACK_STATUS, List.of(event("CREATED", null, 1), delete(4)));
        assertThat(deleted).containsExactly(version("CREATED", null, 1, 1, 4L));
        // a late update from before the delete is history, not a resurrection
        assertThat(TRACK_STATUS.mergeHistory(deleted, event("PAID", null, 3)))
                .containsExactly(version("CREATED", null, 1, 1, 3L), version("PAID", null, 3, 3, 4L));
        assertThat(TRACK_STATUS.mergeHistory(deleted, event("PAID", null, 7)))
                .containsExactly(version("CREATED", null, 1, 1, 4L), version("PAID", null, 7, 7, null));
        // a delete inside a closed version, and a delete of a time the key did not exist
        List<Row> two = fold(TRACK_STATUS, List.of(event("CREATED", null, 1), event("PAID", null, 5)));
        assertThat(TRACK_STATUS.mergeHistory(two, delete(3)))
                .containsExactly(version("CREATED", null, 1, 1, 3L), version("PAID", null, 5, 5, null));
        assertThat(TRACK_STATUS.mergeHistory(deleted, delete(6))).isEqualTo(deleted);
        assertThat(TRACK_STATUS.mergeHistory(List.of(), delete(6))).isEmpty(); // the caller remembers it
        // a delete at the version's own start leaves nothing of it
        assertThat(TRACK_STATUS.mergeHistory(two, delete(5))).containsExactly(version("CREATED", null, 1, 1, 5L));
    }

    @Test
    void aRememberedDeleteEndsTheVersionsOfOlderEventsThatArriveAfterIt() {
        // the delete is the key's first event: the insert it deletes arrives later
        assertThat(fold(TRACK_STATUS, List.of(delete(6), event("CREATED", null, 1))))
                .containsExactly(version("CREATED", null, 1, 1, 6L));
        // a delete in a gap of the history ends the version a late event starts in that gap
        List<Row> gap = fold(TRACK_STATUS, List.of(event("A", null, 1), delete(3), event("C", null, 9), delete(6)));
        assertThat(gap).containsExactly(version("A", null, 1, 1, 3L), version("C", null, 9, 9, null));
        assertThat(fold(TRACK_STATUS, List.of(event("A", null, 1), delete(3), event("C", null, 9), delete(6),
                event("B", null, 4)))).containsExactly(version("A", null, 1, 1, 3L), version("B", null, 4, 4, 6L),
                        version("C", null, 9, 9, null));
        // without the deletes (the two-argument form) the delete is forgotten
        assertThat(TRACK_STATUS.mergeHistory(List.of(), event("CREATED", null, 1)))
                .containsExactly(version("CREATED", null, 1, 1, null));
    }

    @Test
    void eventsAndDeletesGiveTheSameHistoryInAnyArrivalOrder() {
        Random random = new Random(7);
        for (int set = 0; set < 50; set++) {
            // distinct sequence values; tracked values differ between neighbours, as the contract asks
            List<Long> seqs = new ArrayList<>();
            for (long v = 1; v <= 30; v++) {
                seqs.add(v);
            }
            Collections.shuffle(seqs, random);
            List<Row> events = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                long seq = seqs.get(i);
                events.add(random.nextInt(3) == 0 ? delete(seq) : event("S" + seq, "n" + seq, seq));
            }
            List<Row> expected = fold(MergeStrategies.scd2("seq").withDeletes(IS_DELETE), events);
            for (int round = 0; round < 40; round++) {
                List<Row> arrivals = new ArrayList<>(events);
                arrivals.add(events.get(random.nextInt(events.size()))); // a duplicate
                Collections.shuffle(arrivals, random);
                assertThat(fold(MergeStrategies.scd2("seq").withDeletes(IS_DELETE), arrivals))
                        .as("arrivals %s", arrivals).isEqualTo(expected);
            }
        }
    }

    @Test
    void ignoreNullUpdatesFillsFromTheCoveringVersion() {
        Scd2Strategy s = TRACK_STATUS.ignoreNullUpdates();
        assertThat(fold(s, List.of(event("CREATED", "a", 1), event(null, "b", 3))))
                .containsExactly(version("CREATED", "b", 3, 1, null));
    }

    @Test
    void droppedColumnsAreNullInEveryVersion() {
        Scd2Strategy s = TRACK_STATUS.dropColumns("op");
        assertThat(fold(s, List.of(event("CREATED", null, 1), delete(2))))
                .containsExactly(Row.of(SCHEMA, "k", "CREATED", null, null, 1L, 1L, 2L));
    }

    @Test
    void versionsMayComeInAnyOrderAndComeBackSorted() {
        List<Row> history = new ArrayList<>(fold(TRACK_STATUS,
                List.of(event("A", null, 1), event("B", null, 2), event("C", null, 3))));
        Collections.reverse(history);
        assertThat(TRACK_STATUS.mergeHistory(history, event("C", null, 3)))
                .extracting(r -> r.string("status")).containsExactly("A", "B", "C");
    }

    @Test
    void eventsWithDistinctValuesGiveTheSameHistoryInAnyArrivalOrderWithDuplicates() {
        List<Row> inOrder = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            inOrder.add(event("S" + i, "n" + i, 10L * i + (i % 3)));
        }
        List<Row> expected = fold(MergeStrategies.scd2("seq"), inOrder);
        assertThat(expected).hasSize(12);
        assertThat(expected.get(11).value("__END_AT")).isNull();
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<Row> arrivals = new ArrayList<>(inOrder);
            for (int d = 0; d < 4; d++) {
                arrivals.add(inOrder.get(random.nextInt(inOrder.size())));
            }
            Collections.shuffle(arrivals, random);
            assertThat(fold(MergeStrategies.scd2("seq"), arrivals)).as("arrivals %s", arrivals).isEqualTo(expected);
        }
    }

    @Test
    void tombstonesRemoveTheHistoryUnlessIgnored() {
        Row keyOnly = Row.of(SCHEMA, "k", null, null, null, null, null, null);
        Row current = version("PAID", null, 5, 5, null);
        assertThat(TRACK_STATUS.onTombstone(current, keyOnly)).isEqualTo(MergeDecision.delete());
        assertThat(TRACK_STATUS.ignoreTombstones().onTombstone(current, keyOnly)).isEqualTo(MergeDecision.keep());
    }

    @Test
    void anEventWithoutASequenceValueIsRefused() {
        Row noSeq = Row.of(SCHEMA, "k", "PAID", null, null, null, null, null);
        assertThatThrownBy(() -> TRACK_STATUS.mergeHistory(List.of(), noSeq))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("no seq value")
                .hasMessageContaining("expectation");
    }

    @Test
    void theSingleRowMergeIsNotSupported() {
        assertThatThrownBy(() -> TRACK_STATUS.merge(null, event("A", null, 1)))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("mergeHistory");
    }

    @Test
    void validateSaysExactlyWhichColumnsToAdd() {
        assertThatCode(() -> TRACK_STATUS.dropColumns("op").validate(SCHEMA, List.of("id"))).doesNotThrowAnyException();
        Schema noHistory = Schema.builder().required("id", DataType.STRING).optional("ts", DataType.TIMESTAMP).build();
        assertThatThrownBy(() -> MergeStrategies.scd2("ts").validate(noHistory))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(
                        ".optional(\"__START_AT\", DataType.TIMESTAMP).optional(\"__END_AT\", DataType.TIMESTAMP)");
        Schema wrongType = Schema.builder().required("id", DataType.STRING).optional("ts", DataType.decimal(12, 0))
                .optional("__START_AT", DataType.LONG).optional("__END_AT", DataType.LONG).build();
        assertThatThrownBy(() -> MergeStrategies.scd2("ts").validate(wrongType))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("DataType.decimal(12, 0)");
        Schema requiredEnd = Schema.builder().required("id", DataType.STRING).optional("seq", DataType.LONG)
                .optional("__START_AT", DataType.LONG).required("__END_AT", DataType.LONG).build();
        assertThatThrownBy(() -> MergeStrategies.scd2("seq").validate(requiredEnd))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("must be optional");
        assertThatThrownBy(() -> MergeStrategies.scd2("seq").trackHistoryOn("nope").validate(SCHEMA))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'nope'");
        assertThatThrownBy(() -> MergeStrategies.scd2("seq").trackHistoryOn("op").dropColumns("op").validate(SCHEMA))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("tracked column");
        assertThatThrownBy(() -> MergeStrategies.scd2("seq").dropColumns("__END_AT").validate(SCHEMA))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("__END_AT");
    }

    @Test
    void describesItself() {
        assertThat(MergeStrategies.scd2("seq").trackHistoryOn("status", "note").withDeletes(IS_DELETE))
                .hasToString("scd2(seq).trackHistoryOn(status, note).withDeletes(...)");
        assertThat(MergeStrategies.scd2("seq").sequenceColumn()).isEqualTo("seq");
    }
}
