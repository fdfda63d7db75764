package io.streamlake.testkit;

import static io.streamlake.merge.Scd2Strategy.END_AT;
import static io.streamlake.merge.Scd2Strategy.START_AT;
import static io.streamlake.testkit.RandomChanges.IS_DELETE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.merge.CompositeSequence;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd1Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A sequence over two columns of different types, {@code SEQUENCE BY struct(hi, lo)}, on real
 * pipelines.
 *
 * <p>The property tests take {@link RandomChanges}' events, whose one-column sequence value
 * {@code seq} (1 to 8) becomes {@code hi = seq / 3} (a LONG) and {@code lo = "abc".charAt(seq % 3)}
 * (a STRING). That pair orders exactly as {@code seq} does, and ties on {@code hi} for most pairs of
 * events, so {@code lo} often decides. So the silver table of the one-column strategy, run once with
 * the events in sequence order, translated to two columns, is what every arrival order and batch
 * split of the two-column strategy must give: {@code expectSilver}, not only {@code expectSameSilver}.
 */
class MultiColumnSequenceTest {
    private static final int ORDERS = 12;
    private static final Predicate<Row> IS_TRUNCATE = r -> "TRUNCATE".equals(r.string("op"));

    /** {@link RandomChanges#CDC} with {@code seq} split in two. */
    static final Schema CDC2 = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("note", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("hi", DataType.LONG)
            .optional("lo", DataType.STRING)
            .build();

    /** With the validity columns, which hold the composite value's text. */
    static final Schema HISTORY2 = Schema.of(Stream.concat(CDC2.fields().stream(), Stream.of(
            Field.optional(START_AT, DataType.STRING), Field.optional(END_AT, DataType.STRING))).toList());

    @TempDir Path lake;

    // ---- the translation from one column to two -------------------------------------------------

    private static CompositeSequence split(long seq) {
        return CompositeSequence.of(seq / 3, String.valueOf("abc".charAt((int) (seq % 3))));
    }

    /**
     * @param row a row with {@code seq} (and perhaps LONG validity columns), or without it when silver
     *     leaves it out
     * @param target the schema to translate to: each of its columns by name, {@code hi} and
     *     {@code lo} from {@code seq}, the validity columns as the composite value's text
     */
    private static Row split(Row row, Schema target) {
        Row.Builder b = Row.builder(target);
        Long seq = row.schema().indexOf("seq") >= 0 ? row.longValue("seq") : null;
        for (Field f : target.fields()) {
            String name = f.name();
            Object v = switch (name) {
                case "hi", "lo" ->
                    seq == null ? null : CompositeSequence.component(split(seq), name.equals("hi") ? 0 : 1);
                case START_AT, END_AT -> row.value(name) == null ? null : split((Long) row.value(name)).toString();
                default -> row.value(name);
            };
            b.set(name, v);
        }
        return b.build();
    }

    private static Pipeline pipeline(Schema schema, MergeStrategy strategy) {
        return Pipeline.from(InMemoryHub.create("orders", 1)).bronze("bronze/orders")
                .silver("silver/orders", "order_id")
                .withSchema(schema).withMergeStrategy(strategy);
    }

    /** @return the events (in sequence order) on a pipeline of this schema, translated when it has two columns */
    private static CdcScenario scenario(RandomChanges changes, Schema oneSchema, Schema schema, MergeStrategy strategy,
            long... truncates) {
        CdcScenario s = CdcScenario.given(pipeline(schema, strategy));
        for (RandomChanges.Change c : changes.changes(oneSchema)) {
            s = c.row() == null ? s.tombstone(c.key())
                    : s.events(schema == oneSchema ? c.row() : split(c.row(), schema));
        }
        Schema loose = Schema.of(schema.fields().stream().map(f -> Field.optional(f.name(), f.type())).toList());
        Schema oneLoose = Schema.of(oneSchema.fields().stream().map(f -> Field.optional(f.name(), f.type())).toList());
        for (long t : truncates) {
            Row one = Row.builder(oneLoose).set("op", "TRUNCATE").set("seq", t).build();
            s = s.keylessEvents(schema == oneSchema ? one : split(one, loose));
        }
        return s;
    }

    /**
     * Checks that every arrival order and batch split of the events on the two-column strategy
     * gives the one-column strategy's silver table, translated.
     */
    private static void expectTheOneColumnSilver(RandomChanges changes, boolean history, MergeStrategy one,
            MergeStrategy two, long seed, boolean restarts, long... truncates) {
        Schema oneSchema = history ? RandomChanges.HISTORY : RandomChanges.CDC;
        Schema twoSchema = history ? HISTORY2 : CDC2;
        TableContents inOrder = scenario(changes, oneSchema, oneSchema, one, truncates).run();
        Schema stored = two.storedSchema(twoSchema);
        Row[] expected = inOrder.rows().stream().map(r -> split(r, stored)).toArray(Row[]::new);
        AnyOrder check = scenario(changes, oneSchema, twoSchema, two, truncates).inAnyOrder(seed).orders(ORDERS);
        (restarts ? check.restartingBetweenBatches() : check).expectSilver(expected);
    }

    // ---- latestBy ------------------------------------------------------------------------------

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void latestByWithDeletesInAnyOrder(long seed) {
        expectTheOneColumnSilver(RandomChanges.seed(seed).deletes(0.35).nulls(0.2),
                false, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE),
                MergeStrategies.latestBy("hi", "lo").withDeletes(IS_DELETE), seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12})
    void latestByWithEqualCompositeValuesInAnyOrder(long seed) {
        // exact duplicates, and deletes tied with an update: the tie rules hold for composite values too
        expectTheOneColumnSilver(RandomChanges.seed(seed).deletes(0.2).nulls(0.2).duplicates(0.5).deleteTies(0.4),
                false, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE),
                MergeStrategies.latestBy("hi", "lo").withDeletes(IS_DELETE), seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22})
    void latestByIgnoringNullUpdatesRestartingBetweenBatches(long seed) {
        expectTheOneColumnSilver(RandomChanges.seed(seed).deletes(0.3).nulls(0.4).newestComplete(),
                false, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).ignoreNullUpdates().dropColumns("op"),
                MergeStrategies.latestBy("hi", "lo").withDeletes(IS_DELETE).ignoreNullUpdates().dropColumns("op"),
                seed, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {31, 32})
    void latestByWithTheSequenceColumnsLeftOutOfSilver(long seed) {
        RandomChanges changes = RandomChanges.seed(seed).deletes(0.3).nulls(0.2).tombstones(2);
        Scd1Strategy one = MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).ignoreTombstones()
                .dropColumns("op", "seq");
        // both left out, and only one: the whole composite value is kept beside silver either way
        expectTheOneColumnSilver(changes, false, one, MergeStrategies.latestBy("hi", "lo").withDeletes(IS_DELETE)
                .ignoreTombstones().dropColumns("op", "hi", "lo"), seed, true);
        // (the one-column table keeps seq here, for the hi that the two-column table keeps)
        expectTheOneColumnSilver(changes, false, MergeStrategies.latestBy("seq").withDeletes(IS_DELETE)
                .ignoreTombstones().keepColumns("order_id", "status", "note", "seq"),
                MergeStrategies.latestBy("hi", "lo").withDeletes(IS_DELETE).ignoreTombstones()
                        .keepColumns("order_id", "status", "note", "hi"),
                seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {41, 42, 43})
    void latestByWithTruncatesInAnyOrder(long seed) {
        long[] truncates = {2 + seed % 3, 4 + seed % 4}; // ties with events' values on hi, and sometimes on lo
        expectTheOneColumnSilver(RandomChanges.seed(seed).deletes(0.3).nulls(0.2), false,
                MergeStrategies.latestBy("seq").withDeletes(IS_DELETE).withTruncates(IS_TRUNCATE).dropColumns("op"),
                MergeStrategies.latestBy("hi", "lo").withDeletes(IS_DELETE).withTruncates(IS_TRUNCATE)
                        .dropColumns("op"),
                seed, seed == 41, truncates);
    }

    // ---- scd2 -----------------------------------------------------------------------------------

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {81, 82, 83})
    void scd2InAnyOrder(long seed) {
        // as OrderIndependencePropertyTest: each upsert of a key has its own status, so no version absorbs another
        expectTheOneColumnSilver(RandomChanges.seed(seed).nulls(0.3).distinctStatus().duplicates(0.3), true,
                MergeStrategies.scd2("seq").dropColumns("op"), MergeStrategies.scd2("hi", "lo").dropColumns("op"),
                seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {91, 92})
    void scd2WithDeletesRestartingBetweenBatches(long seed) {
        expectTheOneColumnSilver(RandomChanges.seed(seed).nulls(0.3).distinctStatus().deletes(0.3), true,
                MergeStrategies.scd2("seq").trackHistoryOn("status").withDeletes(IS_DELETE),
                MergeStrategies.scd2("hi", "lo").trackHistoryOn("status").withDeletes(IS_DELETE), seed, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {93, 94, 95})
    void scd2WithRepeatedStatusesKeepsItsAbsorbedEventsExactlyRestartingBetweenBatches(long seed) {
        // statuses repeat, so versions absorb events, which the delete-marker table keeps as the text
        // of their composite sequence values
        expectTheOneColumnSilver(RandomChanges.seed(seed).nulls(0.2).statuses(3).deletes(0.2), true,
                MergeStrategies.scd2("seq").trackHistoryOn("status").withDeletes(IS_DELETE),
                MergeStrategies.scd2("hi", "lo").trackHistoryOn("status").withDeletes(IS_DELETE), seed, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {96, 97})
    void scd2IgnoringNullUpdatesInAnyOrder(long seed) {
        expectTheOneColumnSilver(RandomChanges.seed(seed).nulls(0.4).statuses(3), true,
                MergeStrategies.scd2("seq").ignoreNullUpdates(), MergeStrategies.scd2("hi", "lo").ignoreNullUpdates(),
                seed, false);
    }

    // ---- single cases ---------------------------------------------------------------------------

    private static Row event(String id, String status, long hi, @Nullable String lo) {
        return Row.of(CDC2, id, status, null, "UPSERT", hi, lo);
    }

    @Test
    void whenTheFirstColumnTiesTheSecondDecides() {
        CdcScenario.given(pipeline(CDC2, MergeStrategies.latestBy("hi", "lo")))
                .events(event("o-1", "SHIPPED", 5, "b"), event("o-1", "PAID", 5, "a"), event("o-1", "CREATED", 4, "z"),
                        event("o-2", "A", 7, "a"), event("o-2", "B", 7, "c"))
                .inAnyOrder(5).everyOrderOfEachKey()
                .expectSilver(event("o-1", "SHIPPED", 5, "b"), event("o-2", "B", 7, "c"));
        Row v1 = Row.of(HISTORY2, "o-1", "PAID", null, "UPSERT", 5L, "a", "[5,\"a\"]", "[5,\"b\"]");
        Row v2 = Row.of(HISTORY2, "o-1", "SHIPPED", null, "UPSERT", 5L, "b", "[5,\"b\"]", "[10,\"a\"]");
        Row v3 = Row.of(HISTORY2, "o-1", "DONE", null, "UPSERT", 10L, "a", "[10,\"a\"]", null);
        CdcScenario.given(pipeline(HISTORY2, MergeStrategies.scd2("hi", "lo")))
                .events(v1.with(START_AT, null).with(END_AT, null), v2.with(START_AT, null).with(END_AT, null),
                        v3.with(START_AT, null))
                .inAnyOrder(6).everyOrderOfEachKey()
                .expectSilver(v1, v2, v3);
    }

    @Test
    void aNullSecondComponentIsQuarantinedAsNullSequenceNamingTheColumn() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline p = Pipeline.from(hub).bronze("bronze/orders").silver("silver/orders", "order_id").withSchema(CDC2)
                .withMergeStrategy(MergeStrategies.latestBy("hi", "lo").withTruncates(IS_TRUNCATE));
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(p)) {
            hub.send(0, "o-1", CdcScenario.json(event("o-1", "PAID", 5, "b")));
            hub.send(0, "o-1", CdcScenario.json(event("o-1", "LATE", 6, null)));
            hub.send(0, (String) null, "{\"op\":\"TRUNCATE\",\"hi\":9}"); // a truncate without lo
            driver.runOneBatch();
            assertThat(driver.silver().rows()).containsExactly(event("o-1", "PAID", 5, "b"));
            assertThat(driver.quarantine().rows()).hasSize(2).allSatisfy(q -> {
                assertThat(q.string("reason")).isEqualTo("NULL_SEQUENCE");
                assertThat(q.string("error")).contains("sequence column 'lo'");
            });
        }
    }

    /**
     * On Delta tables read back by Delta Kernel: silver as expected, and the marker table's composite
     * values (the delete's, and the hidden row sequences and per-column sequences) as the JSON text,
     * which reads back as the values; across a restart.
     */
    @Test
    void onDeltaTheMarkerTableKeepsTheCompositeValuesText() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silver = lake.resolve("silver").toString();
        Scd1Strategy strategy = MergeStrategies.latestBy("hi", "lo").withDeletes(IS_DELETE).ignoreNullUpdates()
                .dropColumns("op", "lo");
        Pipeline p = Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).silver(silver, "order_id")
                .withSchema(CDC2).withMergeStrategy(strategy);
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            send(hub, Row.of(CDC2, "o-1", "CREATED", "gift", "UPSERT", 1L, "a"),
                    Row.of(CDC2, "o-1", null, null, "DELETE", 1L, "c"),
                    Row.of(CDC2, "o-2", "PAID", null, "UPSERT", 2L, "b"),
                    Row.of(CDC2, "o-2", "OLD", "note", "UPSERT", 2L, "a")); // older by lo: sets only the note
            driver.runOneBatch();
            driver.restart();
            send(hub, Row.of(CDC2, "o-1", "LATE", null, "UPSERT", 1L, "b")); // older than the delete: stays out
            driver.runOneBatch();

            Row o2 = Stored.without(Row.of(CDC2, "o-2", "PAID", "note", null, 2L, null), "op", "lo");
            assertThat(driver.silver().rows()).containsExactly(o2);
            assertThat(KernelReader.rows(silver)).containsExactly(o2.toMap());
            assertThat(KernelReader.schema(silver).fieldNames()).containsExactly("order_id", "status", "note", "hi");

            List<Map<String, Object>> markers = KernelReader.rows(silver + "_deletes");
            List<DataType> types = List.of(DataType.LONG, DataType.STRING);
            assertThat(markers).filteredOn(m -> "o-1".equals(m.get("order_id"))).singleElement().satisfies(m -> {
                assertThat(m.get("delete_sequence")).isEqualTo("[1,\"c\"]");
                assertThat(CompositeSequence.decode((String) m.get("delete_sequence"), types))
                        .isEqualTo(CompositeSequence.of(1L, "c"));
            });
            assertThat(markers).filteredOn(m -> "o-2".equals(m.get("order_id"))).singleElement().satisfies(m -> {
                assertThat(m.get("delete_sequence")).isNull();
                // the row's hidden sequence under the first sequence column, and the note's own
                assertThat(m.get("column_sequences")).isEqualTo(Map.of("hi", "[2,\"b\"]", "note", "[2,\"a\"]"));
            });
        }
    }

    @Test
    void onDeltaScd2ValidityReadsBackAsTheCompositeValuesText() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silver = lake.resolve("silver").toString();
        Pipeline p = Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).silver(silver, "order_id")
                .withSchema(HISTORY2).withMergeStrategy(MergeStrategies.scd2("hi", "lo").withDeletes(IS_DELETE)
                        .dropColumns("op"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            send(hub, Row.of(HISTORY2, "o-1", null, null, "DELETE", 10L, "b", null, null), // overtakes what it ends
                    Row.of(HISTORY2, "o-1", "PAID", null, "UPSERT", 9L, "z", null, null));
            driver.runOneBatch();
            send(hub, Row.of(HISTORY2, "o-1", "CREATED", null, "UPSERT", 9L, "a", null, null));
            driver.runOneBatch();
            List<Map<String, Object>> rows = KernelReader.rows(silver);
            assertThat(rows).extracting(r -> r.get("status"), r -> r.get(START_AT), r -> r.get(END_AT))
                    .containsExactlyInAnyOrder(
                            tuple("CREATED", "[9,\"a\"]", "[9,\"z\"]"),
                            tuple("PAID", "[9,\"z\"]", "[10,\"b\"]"));
            assertThat(KernelReader.rows(silver + "_deletes")).singleElement()
                    .satisfies(m -> assertThat(m.get("delete_sequence")).isEqualTo("[10,\"b\"]"));
        }
    }

    /**
     * A truncate on Delta, one key per file: file statistics of the first sequence column drop a
     * file below the watermark's first part unread and keep one above it; files that reach it are
     * read, where the second column decides. The watermark is the composite value's text.
     */
    @Test
    void onDeltaATruncateComparesFileStatisticsByTheFirstColumnAndRecordsTheText() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silver = lake.resolve("silver").toString();
        Pipeline p = Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).silver(silver, "order_id")
                .withSchema(CDC2).withTargetFileRows(1)
                .withMergeStrategy(MergeStrategies.latestBy("hi", "lo").withTruncates(IS_TRUNCATE).dropColumns("op"));
        Schema loose = Schema.of(CDC2.fields().stream().map(f -> Field.optional(f.name(), f.type())).toList());
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            send(hub, event("o-1", "A", 1, "z"), event("o-2", "B", 2, "a"), event("o-3", "C", 2, "c"),
                    event("o-4", "D", 3, "a"));
            driver.runOneBatch();
            assertThat(driver.silver().files()).hasSize(4);
            String o4 = fileOf(driver, "o-4");
            hub.send(0, (String) null, CdcScenario.json(Row.of(loose, null, null, null, "TRUNCATE", 2L, "b")));
            driver.runOneBatch();
            assertThat(fileOf(driver, "o-4")).as("above the watermark by hi alone: kept as it is").isEqualTo(o4);
            driver.restart();
            send(hub, event("o-5", "LATE", 2, "a"), event("o-6", "NEW", 2, "b\u0000"));
            driver.runOneBatch();

            Row[] expected =
                    {stored("o-3", "C", 2, "c"), stored("o-4", "D", 3, "a"), stored("o-6", "NEW", 2, "b\u0000")};
            assertThat(driver.silver().rows()).containsExactlyInAnyOrder(expected);
            assertThat(KernelReader.rows(silver)).containsExactlyInAnyOrderElementsOf(
                    java.util.Arrays.stream(expected).map(Row::toMap).toList());
            assertThat(driver.silver().snapshot().properties())
                    .containsEntry("streamlake.silver.truncate.column", "[\"hi\",\"lo\"]")
                    .containsEntry("streamlake.silver.truncate.through", "[2,\"b\"]");
        }
    }

    private static String fileOf(PipelineTestDriver driver, String key) {
        return driver.silver().files().stream().filter(f -> key.equals(f.min("order_id").orElse(null)))
                .map(f -> f.path()).findFirst().orElseThrow();
    }

    private static Row stored(String id, String status, long hi, String lo) {
        return Stored.without(Row.of(CDC2, id, status, null, null, hi, lo), "op");
    }

    /** A table written with another sequence shape is refused, naming what to do. */
    @Test
    void aTableOfAnotherSequenceShapeIsRefused() {
        // scd2: the validity columns changed type, which schema evolution refuses
        Schema oneHistory = RandomChanges.HISTORY;
        Pipeline scd2One = Pipeline.from(InMemoryHub.create("orders", 1)).bronze(lake.resolve("b1").toString())
                .silver(lake.resolve("s1").toString(), "order_id").withSchema(oneHistory)
                .withMergeStrategy(MergeStrategies.scd2("seq"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(scd2One)) {
            driver.runOneBatch();
        }
        Schema twoHistory = Schema.of(Stream.concat(oneHistory.fields().stream()
                .filter(f -> !f.name().startsWith("__")),
                Stream.of(Field.optional("n", DataType.LONG),
                        Field.optional(START_AT, DataType.STRING), Field.optional(END_AT, DataType.STRING)))
                .toList());
        Pipeline scd2Two = Pipeline.from(InMemoryHub.create("orders", 1)).bronze(lake.resolve("b1").toString())
                .silver(lake.resolve("s1").toString(), "order_id").withSchema(twoHistory)
                .withMergeStrategy(MergeStrategies.scd2("seq", "n"));
        assertThatThrownBy(() -> runOnce(scd2Two)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining(START_AT);

        // latestBy: its delete markers were written with one column's type
        Schema cdcN = Schema.of(Stream.concat(RandomChanges.CDC.fields().stream(),
                Stream.of(Field.optional("n", DataType.LONG))).toList());
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline one = Pipeline.from(hub).bronze(lake.resolve("b2").toString())
                .silver(lake.resolve("s2").toString(), "order_id").withSchema(cdcN)
                .withMergeStrategy(MergeStrategies.latestBy("seq").withDeletes(IS_DELETE));
        try (PipelineTestDriver driver = PipelineTestDriver.create(one)) {
            hub.send(0, "k", "{\"order_id\":\"k\",\"op\":\"DELETE\",\"seq\":3,\"n\":1}");
            driver.runOneBatch();
        }
        Pipeline two = one.withMergeStrategy(MergeStrategies.latestBy("seq", "n").withDeletes(IS_DELETE));
        try (PipelineTestDriver driver = PipelineTestDriver.create(two)) {
            hub.send(0, "k", "{\"order_id\":\"k\",\"status\":\"A\",\"op\":\"UPSERT\",\"seq\":4,\"n\":1}");
            assertThatThrownBy(driver::runOneBatch).satisfies(e -> assertThat(configurationError(e))
                    .hasMessageContaining("delete-marker table").hasMessageContaining("withDeleteMarkers"));
        }

        // a truncate watermark of one column
        InMemoryHub hub3 = InMemoryHub.create("orders", 1);
        Pipeline truncated = Pipeline.from(hub3).bronze(lake.resolve("b3").toString())
                .silver(lake.resolve("s3").toString(), "order_id").withSchema(cdcN)
                .withMergeStrategy(MergeStrategies.latestBy("seq").withTruncates(IS_TRUNCATE));
        try (PipelineTestDriver driver = PipelineTestDriver.create(truncated)) {
            hub3.send(0, (String) null, "{\"op\":\"TRUNCATE\",\"seq\":3}");
            driver.runOneBatch();
        }
        assertThatThrownBy(() -> runOnce(truncated.withMergeStrategy(
                MergeStrategies.latestBy("seq", "n").withTruncates(IS_TRUNCATE))))
                .satisfies(e -> assertThat(configurationError(e))
                        .hasMessageContaining("MergeStrategies.latestBy(\"seq\")"));
    }

    private static void send(InMemoryHub hub, Row... rows) {
        for (Row r : rows) {
            hub.send(0, r.string("order_id"), CdcScenario.json(r));
        }
    }

    /** Runs the pipeline on Delta tables until caught up; what it throws, it throws. */
    private static void runOnce(Pipeline p) {
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            driver.runOneBatch();
        }
    }

    /** @return the first ConfigurationException in the chain, for a failure the engine may wrap */
    private static ConfigurationException configurationError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConfigurationException e) {
                return e;
            }
        }
        throw new AssertionError("no ConfigurationException in the chain", t);
    }
}
