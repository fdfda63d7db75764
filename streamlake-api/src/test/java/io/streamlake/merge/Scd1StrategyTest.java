package io.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The one-row-per-key strategies and their options, as pure functions. */
class Scd1StrategyTest {
    /** Change events with an {@code op} and a sequence; shared with {@link Scd2StrategyTest}. */
    static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("note", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("seq", DataType.LONG)
            .build();
    static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("op"));

    private static Row row(@Nullable String status, @Nullable String note, @Nullable Long seq) {
        return Row.of(SCHEMA, "k", status, note, "UPSERT", seq);
    }

    private static Row delete(long seq) {
        return Row.of(SCHEMA, "k", null, null, "DELETE", seq);
    }

    /** Folds a strategy over rows in arrival order, as the engine does for one key. */
    private static @Nullable Row fold(MergeStrategy s, List<Row> arrivals) {
        Row state = null;
        for (Row in : arrivals) {
            MergeDecision d = s.merge(state, in);
            state = switch (d.kind()) {
                case UPSERT -> d.row();
                case DELETE -> null;
                case KEEP -> state;
            };
        }
        return state;
    }

    @Test
    void latestByDeletesOnlyWhenTheDeleteIsNotOlderThanTheRow() {
        Scd1Strategy s = MergeStrategies.latestBy("seq").withDeletes(IS_DELETE);
        Row current = row("PAID", null, 5L);
        assertThat(s.merge(current, delete(6))).isEqualTo(MergeDecision.delete());
        assertThat(s.merge(current, delete(5))).isEqualTo(MergeDecision.delete()); // a delete wins a tie
        assertThat(s.merge(current, delete(4))).isEqualTo(MergeDecision.keep()); // an older delete
        assertThat(s.merge(null, delete(4))).isEqualTo(MergeDecision.keep()); // nothing to delete
        assertThat(s.merge(current, row("SHIPPED", null, 6L)).row()).isEqualTo(row("SHIPPED", null, 6L));
    }

    @Test
    void withoutASequenceADeleteAlwaysDeletesAndALaterInsertComesBack() {
        for (Scd1Strategy s : List.of(MergeStrategies.firstWins().withDeletes(IS_DELETE),
                MergeStrategies.lastWins().withDeletes(IS_DELETE))) {
            assertThat(s.merge(row("A", null, null), delete(1))).as(s.toString()).isEqualTo(MergeDecision.delete());
            assertThat(fold(s, List.of(row("A", null, 1L), delete(2), row("B", null, 3L))))
                    .as(s.toString()).isEqualTo(row("B", null, 3L));
        }
        assertThat(fold(MergeStrategies.firstWins().withDeletes(IS_DELETE),
                List.of(row("A", null, 1L), row("B", null, 2L)))).isEqualTo(row("A", null, 1L));
    }

    @Test
    void aLateOlderUpdateAfterADeleteReinsertsTheKey() {
        // Pins today's behaviour: no delete marker is kept, so silver cannot tell that the update
        // at 4 is older than the delete at 6 and inserts the key again. Keeping markers for a
        // retention period is planned; when it lands, this row must stay deleted.
        Scd1Strategy s = MergeStrategies.latestBy("seq").withDeletes(IS_DELETE);
        assertThat(fold(s, List.of(row("PAID", null, 5L), delete(6), row("CREATED", null, 4L))))
                .isEqualTo(row("CREATED", null, 4L));
    }

    @Test
    void ignoreNullUpdatesKeepsCurrentValuesForNullFields() {
        Scd1Strategy s = MergeStrategies.latestBy("seq").ignoreNullUpdates();
        Row current = row("PAID", "gift", 5L);
        assertThat(s.merge(current, row(null, "rush", 6L)).row()).isEqualTo(row("PAID", "rush", 6L));
        assertThat(s.merge(null, row(null, "rush", 6L)).row()).isEqualTo(row(null, "rush", 6L));
        assertThat(s.merge(current, row(null, "rush", 4L))).isEqualTo(MergeDecision.keep());
        assertThat(MergeStrategies.lastWins().ignoreNullUpdates().merge(current, row("SHIPPED", null, null)).row())
                .isEqualTo(row("SHIPPED", "gift", 5L));
        // without the option a null overwrites
        assertThat(MergeStrategies.latestBy("seq").merge(current, row(null, "rush", 6L)).row())
                .isEqualTo(row(null, "rush", 6L));
    }

    @Test
    void droppedColumnsAreStoredAsNullButStillDriveDeletes() {
        Scd1Strategy s = MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).dropColumns("op");
        Row stored = s.merge(null, row("PAID", "gift", 1L)).row();
        assertThat(stored.toMap()).containsEntry("op", null).containsEntry("status", "PAID");
        assertThat(s.merge(stored, delete(2))).isEqualTo(MergeDecision.delete());
    }

    @Test
    void keepColumnsStoresOnlyTheListedColumns() {
        Scd1Strategy s = MergeStrategies.latestBy("seq").keepColumns("id", "status", "seq");
        assertThat(s.merge(null, row("PAID", "gift", 1L)).row()).isEqualTo(Row.of(SCHEMA, "k", "PAID", null, null, 1L));
        assertThat(MergeStrategies.lastWins().keepColumns("id", "status", "note").dropColumns("note")
                .merge(null, row("PAID", "gift", 1L)).row()).isEqualTo(Row.of(SCHEMA, "k", "PAID", null, null, null));
    }

    @Test
    void tombstonesDeleteUnlessIgnored() {
        Row keyOnly = Row.of(SCHEMA, "k", null, null, null, null);
        Row current = row("PAID", null, 1L);
        assertThat(MergeStrategies.latestBy("seq").onTombstone(current, keyOnly)).isEqualTo(MergeDecision.delete());
        assertThat(MergeStrategies.latestBy("seq").ignoreTombstones().onTombstone(current, keyOnly))
                .isEqualTo(MergeDecision.keep());
        MergeStrategy lambda = (cur, in) -> MergeDecision.upsert(in);
        assertThat(lambda.onTombstone(current, keyOnly)).isEqualTo(MergeDecision.delete());
    }

    @Test
    void optionsReturnCopiesAndDescribeThemselves() {
        Scd1Strategy base = MergeStrategies.latestBy("seq");
        Scd1Strategy cdc = base.withDeletes(IS_DELETE).ignoreNullUpdates().dropColumns("op").ignoreTombstones();
        assertThat(base).hasToString("latestBy(seq)");
        assertThat(cdc)
                .hasToString("latestBy(seq).withDeletes(...).ignoreNullUpdates().dropColumns(op).ignoreTombstones()");
        assertThat(base.merge(row("A", null, 1L), delete(2)).kind()).isEqualTo(MergeDecision.Kind.UPSERT);
        assertThat(MergeStrategies.firstWins().keepColumns("id", "seq"))
                .hasToString("firstWins().keepColumns(id, seq)");
    }

    @Test
    void validateNamesWhatIsWrongAndWhatToDo() {
        assertThatCode(() -> MergeStrategies.latestBy("seq").dropColumns("op").validate(SCHEMA, List.of("id")))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> MergeStrategies.latestBy("seq").dropColumns("nope").validate(SCHEMA))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'nope'");
        assertThatThrownBy(() -> MergeStrategies.lastWins().dropColumns("id").validate(SCHEMA))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("required")
                .hasMessageContaining("declare it optional");
        // latestBy may leave its sequence column out (the engine keeps it beside silver), unless it truncates
        assertThatCode(() -> MergeStrategies.latestBy("seq").dropColumns("seq").validate(SCHEMA))
                .doesNotThrowAnyException();
        assertThat(MergeStrategies.latestBy("seq").dropColumns("seq").keepsKeyState()).isTrue();
        assertThatThrownBy(() -> MergeStrategies.latestBy("seq").dropColumns("seq")
                .withTruncates(r -> false).validate(SCHEMA))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("sequence column")
                .hasMessageContaining("remove it from dropColumns");
        assertThatThrownBy(() -> MergeStrategies.latestBy("seq").keepColumns("status", "seq").validate(SCHEMA))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'id'");
        Schema optionalKey = Schema.builder().optional("id", DataType.STRING).optional("seq", DataType.LONG).build();
        assertThatThrownBy(
                () -> MergeStrategies.latestBy("seq").keepColumns("seq").validate(optionalKey, List.of("id")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("silver key")
                .hasMessageContaining("add it to keepColumns");
        assertThatThrownBy(() -> MergeStrategies.latestBy("missing").validate(SCHEMA))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("no column 'missing'");
    }

    @Test
    void equalSequenceValuesResolveByTheStoredValuesNotByArrival() {
        Scd1Strategy s = MergeStrategies.latestBy("seq");
        Row created = row("CREATED", "x", 5L);
        Row paid = row("PAID", null, 5L);
        // PAID > CREATED in the first column that differs, so PAID stays whichever arrives last
        assertThat(s.merge(created, paid)).isEqualTo(MergeDecision.upsert(paid));
        assertThat(s.merge(paid, created)).isEqualTo(MergeDecision.keep());
        assertThat(s.merge(paid, paid)).isEqualTo(MergeDecision.keep()); // a duplicate rewrites nothing
        // null sorts first; with partial updates the filled row is what is compared
        Scd1Strategy partial = s.ignoreNullUpdates();
        assertThat(partial.merge(created, row(null, "y", 5L))).isEqualTo(MergeDecision.upsert(row("CREATED", "y", 5L)));
        assertThat(partial.merge(row("CREATED", "y", 5L), row(null, "x", 5L))).isEqualTo(MergeDecision.keep());
    }

    /** Folds partial updates as the engine does: column sequences, and a delete marker per key. */
    private static @Nullable Row foldColumns(Scd1Strategy s, List<Row> arrivals) {
        Row row = null;
        Map<String, Object> sequences = Map.of();
        Long marker = null;
        for (Row in : arrivals) {
            long seq = in.value("seq") instanceof Long l ? l : 0;
            boolean delete = s.isDelete(in);
            if (!delete && marker != null && seq <= marker) {
                continue; // not newer than the key's delete: the engine drops it
            }
            if (delete) {
                marker = marker == null ? seq : Math.max(marker, seq);
            }
            if (row == null && delete) {
                continue;
            }
            Scd1Strategy.PartialRow r = s.mergeColumns(row, sequences, in);
            row = r.row();
            sequences = r.sequences();
        }
        return row;
    }

    @Test
    void partialUpdatesTakeEachColumnFromTheNewestEventThatSetItInAnyArrivalOrder() {
        Scd1Strategy s = MergeStrategies.latestBy("seq").ignoreNullUpdates().withDeletes(IS_DELETE);
        assertThat(foldColumns(s, List.of(row("PAID", null, 3L), row("CREATED", "gift", 1L))))
                .isEqualTo(row("PAID", "gift", 3L));
        // a delete between them: what only the older event set is gone, in either order
        assertThat(foldColumns(s, List.of(row("CREATED", "gift", 1L), delete(2), row("PAID", null, 3L))))
                .isEqualTo(row("PAID", null, 3L));
        assertThat(foldColumns(s, List.of(row("PAID", null, 3L), row("CREATED", "gift", 1L), delete(2))))
                .isEqualTo(row("PAID", null, 3L));
        assertThat(foldColumns(s, List.of(delete(2), row("PAID", null, 3L), row("CREATED", "gift", 1L))))
                .isEqualTo(row("PAID", null, 3L));
        Random random = new Random(11);
        for (int set = 0; set < 200; set++) {
            List<Row> events = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                long seq = 1 + random.nextInt(8); // collisions on purpose: the tie rule is per column
                events.add(random.nextInt(5) == 0 ? delete(seq)
                        : row(random.nextBoolean() ? "S" + random.nextInt(3) : null,
                                random.nextBoolean() ? "n" + random.nextInt(3) : null, seq));
            }
            Row expected = foldColumns(s, events);
            for (int round = 0; round < 20; round++) {
                List<Row> arrivals = new ArrayList<>(events);
                Collections.shuffle(arrivals, random);
                assertThat(foldColumns(s, arrivals)).as("events %s arriving %s", events, arrivals).isEqualTo(expected);
            }
        }
        assertThatThrownBy(() -> MergeStrategies.latestBy("seq").mergeColumns(null, Map.of(), row("A", null, 1L)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ignoreNullUpdates");
    }

    @Test
    void stringSequencesCompareByCodePointAsSparkAndTheStatisticsDo() {
        // U+FFFD sorts before U+1F600 by code point (and UTF-8 bytes), after it by UTF-16 unit
        assertThat(CdcStrategy.compareSequence("\uFFFD", "\uD83D\uDE00")).isNegative();
        assertThat("\uFFFD".compareTo("\uD83D\uDE00")).isPositive();
        Schema strings = Schema.builder().required("id", DataType.STRING).optional("status", DataType.STRING)
                .optional("seq", DataType.STRING).build();
        Row older = Row.of(strings, "k", "OLD", "\uFFFD");
        Row newer = Row.of(strings, "k", "NEW", "\uD83D\uDE00");
        Scd1Strategy s = MergeStrategies.latestBy("seq");
        assertThat(s.merge(older, newer)).isEqualTo(MergeDecision.upsert(newer));
        assertThat(s.merge(newer, older)).isEqualTo(MergeDecision.keep());
        // an int and a long (a column widened from INT to LONG) compare by value
        assertThat(CdcStrategy.compareSequence(3, 2L)).isPositive();
        assertThat(CdcStrategy.compareSequence(null, "")).isNegative();
    }

    @Test
    void latestByKeepsDeleteMarkersForSevenDaysByDefault() {
        assertThat(MergeStrategies.latestBy("seq").deleteRetention()).isEqualTo(java.time.Duration.ofDays(7));
        assertThat(MergeStrategies.latestBy("seq").keepsDeleteMarkers()).isTrue();
        assertThat(MergeStrategies.latestBy("seq").ignoreTombstones().keepsDeleteMarkers()).isFalse();
        assertThat(MergeStrategies.latestBy("seq").ignoreTombstones().withDeletes(IS_DELETE).keepsDeleteMarkers())
                .isTrue();
        assertThat(MergeStrategies.latestBy("seq").keepDeletesFor(java.time.Duration.ZERO).keepsDeleteMarkers())
                .isFalse();
        assertThat(MergeStrategies.lastWins().keepsDeleteMarkers()).isFalse();
        assertThat(MergeStrategies.latestBy("seq").keepDeletesFor(java.time.Duration.ofDays(2)).ignoreNullUpdates())
                .hasToString("latestBy(seq).ignoreNullUpdates().keepDeletesFor(PT48H)");
    }

    @Test
    void deleteMarkersNeedASequenceAndAPositiveRetention() {
        assertThatThrownBy(() -> MergeStrategies.firstWins().keepDeletesFor(java.time.Duration.ofDays(1)))
                .isInstanceOf(io.streamlake.exceptions.ConfigurationException.class)
                .hasMessageContaining("latestBy");
        assertThatThrownBy(() -> MergeStrategies.latestBy("seq").keepDeletesFor(java.time.Duration.ofDays(-1)))
                .isInstanceOf(io.streamlake.exceptions.ConfigurationException.class)
                .hasMessageContaining("negative");
    }

    // ---- truncates ------------------------------------------------------------------------------

    private static final Predicate<Row> IS_TRUNCATE = r -> "TRUNCATE".equals(r.string("op"));

    @Test
    void truncatesAreAnOptionOfLatestByThatEveryCopyKeeps() {
        Scd1Strategy s = MergeStrategies.latestBy("seq").withTruncates(IS_TRUNCATE);
        assertThat(s.truncates()).isTrue();
        assertThat(MergeStrategies.latestBy("seq").truncates()).isFalse();
        Row truncate = Row.of(Schema.builder().optional("id", DataType.STRING).optional("status", DataType.STRING)
                .optional("note", DataType.STRING).optional("op", DataType.STRING).optional("seq", DataType.LONG)
                .build(), null, null, null, "TRUNCATE", 3L);
        assertThat(s.isTruncate(truncate)).isTrue();
        assertThat(s.isTruncate(row("PAID", null, 3L))).isFalse();
        assertThat(MergeStrategies.latestBy("seq").isTruncate(truncate)).isFalse();
        Scd1Strategy copied = s.withDeletes(IS_DELETE).ignoreNullUpdates().dropColumns("op")
                .keepDeletesFor(java.time.Duration.ofDays(2));
        assertThat(copied.truncates()).isTrue();
        assertThat(copied).hasToString(
                "latestBy(seq).withDeletes(...).ignoreNullUpdates().dropColumns(op).keepDeletesFor(PT48H).withTruncates(...)");
        assertThat(s).hasToString("latestBy(seq).withTruncates(...)");
        assertThatCode(() -> copied.validate(SCHEMA, List.of("id"))).doesNotThrowAnyException();
    }

    @Test
    void truncatesNeedASequenceColumnSoArrivalOrderStrategiesRefuseThem() {
        for (Scd1Strategy arrival : List.of(MergeStrategies.firstWins(),
                MergeStrategies.lastWins().ignoreTombstones())) {
            assertThatThrownBy(() -> arrival.withTruncates(IS_TRUNCATE))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageStartingWith(arrival + ".withTruncates(...)")
                    .hasMessageContaining("has no sequence column")
                    .hasMessageContaining("source partitions have no order between them")
                    .hasMessageContaining("MergeStrategies.latestBy(column).withTruncates(...)");
        }
        assertThatThrownBy(() -> MergeStrategies.latestBy("seq").withTruncates(null))
                .isInstanceOf(NullPointerException.class);
    }
}
