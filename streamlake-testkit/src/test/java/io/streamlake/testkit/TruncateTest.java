package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd1Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.ForwardingTable;
import io.streamlake.table.Table;
import io.streamlake.table.TableRef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Truncates of {@code latestBy} ({@link Scd1Strategy#withTruncates}): the Delta Live Tables example,
 * independence from arrival order, batching, restarts and crashes, partitioned silver and what a
 * truncate reads, the records it needs, and the strategies that cannot have it.
 */
class TruncateTest {
    private static final Predicate<Row> IS_DELETE = r -> "DELETE".equals(r.string("operation"));
    private static final Predicate<Row> IS_TRUNCATE = r -> "TRUNCATE".equals(r.string("operation"));

    /** The users of the Delta Live Tables example; the key is required, as a primary key would be. */
    private static final Schema USERS = Schema.builder()
            .required("userId", DataType.INT)
            .optional("name", DataType.STRING)
            .optional("city", DataType.STRING)
            .optional("operation", DataType.STRING)
            .optional("sequenceNum", DataType.LONG)
            .build();

    /** The example's flow: deletes and truncates by operation, which silver does not keep. */
    private static final Scd1Strategy USERS_FLOW = MergeStrategies.latestBy("sequenceNum").withDeletes(IS_DELETE)
            .withTruncates(IS_TRUNCATE).dropColumns("operation");

    @TempDir Path lake;

    private static Row user(int id, @Nullable String name, @Nullable String city, String operation, long seq) {
        return Row.of(USERS, id, name, city, operation, seq);
    }

    private static Row truncate(long seq) {
        return Row.of(Schema.of(USERS.fields().stream()
                .map(f -> io.streamlake.schema.Field.optional(f.name(), f.type())).toList()), null, null, null,
                "TRUNCATE", seq);
    }

    /** A silver row: operation is dropped. */
    private static Row stored(int id, String name, String city, long seq) {
        return Stored.without(Row.of(USERS, id, name, city, null, seq), "operation");
    }

    private static Pipeline users(InMemoryHub hub, MergeStrategy strategy) {
        return Pipeline.from(hub).bronze("bronze/users").silver("silver/users", "userId").withSchema(USERS)
                .withMergeStrategy(strategy)
                // the rows a truncate removes are deletes in the feed, which CdcScenario checks
                .withChangeFeed("silver/users_changes");
    }

    // ---- the Delta Live Tables example ---------------------------------------------------------

    /**
     * The SCD type 1 example of Databricks' "Simplified change data capture with the APPLY CHANGES
     * API in Delta Live Tables", https://docs.databricks.com/en/delta-live-tables/cdc.html (section
     * "Example: SCD type 1 and SCD type 2 processing with CDF source data"), with its TRUNCATE record
     * uncommented: the feed below is the doc's, in the doc's order, and the doc's result is that
     * "records 124 and 126 are truncated because of the TRUNCATE operation at sequenceNum=3", leaving
     * only 125 Mercedes Guadalajara. The doc's target drops operation and sequenceNum
     * ({@code COLUMNS * EXCEPT (operation, sequenceNum)}); here the sequence column is stored, as
     * {@code latestBy} needs it.
     */
    private static CdcScenario dltExample(InMemoryHub hub) {
        return CdcScenario.given(users(hub, USERS_FLOW))
                .events(
                        user(124, "Raul", "Oaxaca", "INSERT", 1),
                        user(123, "Isabel", "Monterrey", "INSERT", 1),
                        user(125, "Mercedes", "Tijuana", "INSERT", 2),
                        user(126, "Lily", "Cancun", "INSERT", 2),
                        Row.of(USERS, 123, null, null, "DELETE", 6L),
                        user(125, "Mercedes", "Guadalajara", "UPDATE", 6),
                        user(125, "Mercedes", "Mexicali", "UPDATE", 5),
                        user(123, "Isabel", "Chihuahua", "UPDATE", 5))
                .keylessEvents(truncate(3));
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 2, 4, 100})
    void theDeltaLiveTablesExampleKeepsOnlyTheUserNewerThanTheTruncate(int batch) {
        dltExample(InMemoryHub.create("users", 1)).inBatches(batch)
                .expectSilver(stored(125, "Mercedes", "Guadalajara", 6));
    }

    @Test
    void withoutItsTruncateRecordTheExampleKeepsThreeUsers() {
        CdcScenario.given(users(InMemoryHub.create("users", 1), USERS_FLOW))
                .events(
                        user(124, "Raul", "Oaxaca", "INSERT", 1),
                        user(123, "Isabel", "Monterrey", "INSERT", 1),
                        user(125, "Mercedes", "Tijuana", "INSERT", 2),
                        user(126, "Lily", "Cancun", "INSERT", 2),
                        Row.of(USERS, 123, null, null, "DELETE", 6L),
                        user(125, "Mercedes", "Guadalajara", "UPDATE", 6),
                        user(125, "Mercedes", "Mexicali", "UPDATE", 5),
                        user(123, "Isabel", "Chihuahua", "UPDATE", 5))
                .expectSilver(stored(124, "Raul", "Oaxaca", 1), stored(125, "Mercedes", "Guadalajara", 6),
                        stored(126, "Lily", "Cancun", 2));
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {1, 100})
    void theExampleOnDeltaReadsBackWithDeltaKernelAndRecordsTheWatermark(int batch) {
        InMemoryHub hub = InMemoryHub.create("users", 1);
        String silver = lake.resolve("silver").toString();
        CdcScenario s = CdcScenario.given(Pipeline.from(hub).bronze(lake.resolve("bronze").toString())
                .silver(silver, "userId").withSchema(USERS).withMergeStrategy(USERS_FLOW))
                .events(
                        user(124, "Raul", "Oaxaca", "INSERT", 1),
                        user(123, "Isabel", "Monterrey", "INSERT", 1),
                        user(125, "Mercedes", "Tijuana", "INSERT", 2),
                        user(126, "Lily", "Cancun", "INSERT", 2),
                        Row.of(USERS, 123, null, null, "DELETE", 6L),
                        user(125, "Mercedes", "Guadalajara", "UPDATE", 6),
                        user(125, "Mercedes", "Mexicali", "UPDATE", 5),
                        user(123, "Isabel", "Chihuahua", "UPDATE", 5))
                .keylessEvents(truncate(3))
                .inBatches(batch).onPipelineTables();
        assertThat(s.run().rows()).containsExactly(stored(125, "Mercedes", "Guadalajara", 6));
        assertThat(KernelReader.rows(silver)).containsExactly(stored(125, "Mercedes", "Guadalajara", 6).toMap());
        assertThat(DeltaTable.open(silver, Map.of()).snapshot().properties())
                .containsEntry("streamlake.silver.truncate.column", "sequenceNum")
                .containsEntry("streamlake.silver.truncate.through", "3");
    }

    // ---- order, batching, restarts --------------------------------------------------------------

    /** Orders with status and note; {@code op} says UPSERT, DELETE or TRUNCATE. */
    private static final Schema ORDERS = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("region", DataType.STRING)
            .optional("op", DataType.STRING)
            .optional("seq", DataType.LONG)
            .build();
    private static final Schema LOOSE_ORDERS = Schema.of(ORDERS.fields().stream()
            .map(f -> io.streamlake.schema.Field.optional(f.name(), f.type())).toList());
    private static final Scd1Strategy ORDERS_FLOW = MergeStrategies.latestBy("seq")
            .withDeletes(r -> "DELETE".equals(r.string("op"))).withTruncates(r -> "TRUNCATE".equals(r.string("op")))
            .dropColumns("op");

    private static Row upsert(String id, String status, long seq) {
        return Row.of(ORDERS, id, status, "eu", "UPSERT", seq);
    }

    private static Row delete(String id, long seq) {
        return Row.of(ORDERS, id, null, null, "DELETE", seq);
    }

    private static Row truncateOrders(long seq) {
        return Row.of(LOOSE_ORDERS, null, null, null, "TRUNCATE", seq);
    }

    /** A silver row: op is dropped, so the table has no op column. */
    private static Row order(String id, String status, long seq) {
        return Stored.without(Row.of(ORDERS, id, status, "eu", null, seq), "op");
    }

    private static Pipeline orders(InMemoryHub hub) {
        return Pipeline.from(hub).bronze("bronze/orders").silver("silver/orders", "order_id").withSchema(ORDERS)
                .withMergeStrategy(ORDERS_FLOW);
    }

    /**
     * A feed where every event's fate depends on a truncate: o-1's first row ties with it, its
     * update is newer, and a delete between the two deletes the first row (when it comes before the
     * update) or nothing (after it); o-2's only row is older than the truncate; a second, older
     * truncate changes nothing.
     */
    private static final List<Row> FEED = List.of(
            upsert("o-1", "CREATED", 3),
            upsert("o-1", "PAID", 5),
            delete("o-1", 4),
            truncateOrders(3),
            upsert("o-2", "CREATED", 2),
            truncateOrders(1));
    private static final Row[] FEED_RESULT = {order("o-1", "PAID", 5)};

    @Test
    void everyArrivalOrderAndBatchSplitGivesTheSameTable() {
        List<List<Row>> orders = permutations(FEED);
        int runs = 0;
        for (int o = 0; o < orders.size(); o++) {
            List<Row> arrival = orders.get(o);
            // every order as one batch and as single events, and a split of its own (the order's
            // number read as bits: a batch ends after event i when bit i is set)
            for (int cuts : new int[] {0, (1 << arrival.size()) - 1, o % (1 << (arrival.size() - 1))}) {
                InMemoryHub hub = InMemoryHub.create("orders", 1);
                try (PipelineTestDriver driver = PipelineTestDriver.inMemory(orders(hub))) {
                    for (int i = 0; i < arrival.size(); i++) {
                        send(hub, arrival.get(i));
                        if ((cuts & (1 << i)) != 0 || i == arrival.size() - 1) {
                            driver.runUntilCaughtUp();
                        }
                    }
                    assertThat(driver.silver().rows()).as("arrival %s, cuts %s", arrival, Integer.toBinaryString(cuts))
                            .containsExactly(FEED_RESULT);
                    assertThat(driver.silver().snapshot().properties())
                            .containsEntry("streamlake.silver.truncate.through", "3");
                }
                runs++;
            }
        }
        assertThat(runs).isEqualTo(3 * 720);
    }

    @Test
    void aRestartKeepsTheWatermarkSoAnOldEventStaysOut() {
        CdcScenario.given(orders(InMemoryHub.create("orders", 1)))
                .events(upsert("o-1", "CREATED", 2), upsert("o-2", "CREATED", 4))
                .keylessEvents(truncateOrders(3))
                .events(upsert("o-1", "LATE", 1), // older than the truncate, after a restart
                        upsert("o-3", "LATE", 3), // as old as it
                        upsert("o-4", "NEW", 7))
                .inBatches(1)
                .restartingBetweenBatches()
                .expectSilver(order("o-2", "CREATED", 4), order("o-4", "NEW", 7));
    }

    @Test
    void aLaterTruncateRaisesTheWatermarkAndAnOlderOneChangesNothing() {
        CdcScenario s = CdcScenario.given(orders(InMemoryHub.create("orders", 1)))
                .events(upsert("o-1", "CREATED", 2), upsert("o-2", "CREATED", 4), upsert("o-3", "CREATED", 9))
                .keylessEvents(truncateOrders(3))
                .keylessEvents(truncateOrders(2))
                .events(upsert("o-4", "CREATED", 5))
                .keylessEvents(truncateOrders(5))
                .inBatches(1);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(driver.silver().rows()).containsExactly(order("o-3", "CREATED", 9));
            assertThat(driver.silver().snapshot().properties())
                    .containsEntry("streamlake.silver.truncate.through", "5");
        }
    }

    // ---- crashes --------------------------------------------------------------------------------

    /**
     * The truncating batch also quarantines a record (a truncate without a sequence value) and
     * deletes a key (a delete marker), so a crash can fall between each of the three commits.
     */
    @ParameterizedTest(name = "fault {0}")
    @ValueSource(strings = {"CRASH_AFTER_QUARANTINE", "CRASH_AFTER_MARKERS", "CRASH_BEFORE_MARKERS",
            "CRASH_BEFORE_SILVER", "FAIL_SILVER", "CRASH_AFTER_SILVER"})
    void aCrashAroundTheTruncatingBatchReplaysToTheSameTable(String fault) {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silver = lake.resolve("silver").toString();
        Pipeline pipeline = Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).silver(silver, "order_id")
                .withQuarantine(lake.resolve("quarantine").toString())
                .withSchema(ORDERS).withMergeStrategy(ORDERS_FLOW).withTargetFileRows(2);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            send(hub, upsert("o-1", "CREATED", 2), upsert("o-2", "CREATED", 4), upsert("o-3", "CREATED", 1),
                    upsert("o-4", "CREATED", 8), upsert("o-5", "CREATED", 3));
            driver.runOneBatch();
            assertThat(driver.silver().files()).hasSizeGreaterThan(1);

            send(hub, upsert("o-6", "CREATED", 2), // older than the truncate in its own batch
                    truncateOrders(3),
                    Row.of(LOOSE_ORDERS, null, null, null, "TRUNCATE", null), // quarantined
                    delete("o-4", 9), // a marker
                    upsert("o-2", "PAID", 5),
                    upsert("o-7", "NEW", 6));
            switch (fault) {
                case "CRASH_AFTER_QUARANTINE" -> driver.crashAfterNextCommit(Stage.QUARANTINE);
                case "CRASH_AFTER_MARKERS" -> driver.crashAfterNextCommit(Stage.DELETE_MARKERS);
                case "CRASH_BEFORE_MARKERS" -> driver.crashBeforeNextCommit(Stage.DELETE_MARKERS);
                case "CRASH_BEFORE_SILVER" -> driver.crashBeforeNextCommit(Stage.SILVER);
                case "FAIL_SILVER" -> driver.failNextCommit(Stage.SILVER);
                default -> driver.crashAfterNextCommit(Stage.SILVER);
            }
            assertThatThrownBy(driver::runOneBatch).isInstanceOfAny(SimulatedCrash.class, SinkException.class);
            driver.runUntilCaughtUp();

            Row[] expected = {order("o-2", "PAID", 5), order("o-7", "NEW", 6)};
            assertThat(driver.silver().rows()).containsExactlyInAnyOrder(expected);
            assertThat(KernelReader.rows(silver)).containsExactlyInAnyOrder(expected[0].toMap(), expected[1].toMap());
            assertThat(driver.quarantine().rows()).singleElement()
                    .satisfies(q -> assertThat(q.string("reason")).isEqualTo("NULL_SEQUENCE"));
            assertThat(driver.deletedKeys()).containsExactly("o-4");
            assertThat(driver.silver().snapshot().properties())
                    .containsEntry("streamlake.silver.truncate.through", "3");

            // after the replay the watermark still holds, and the marker still keeps o-4 out
            send(hub, upsert("o-1", "LATE", 3), upsert("o-4", "LATE", 7));
            driver.runOneBatch();
            assertThat(driver.silver().rows()).containsExactlyInAnyOrder(expected);
        }
    }

    // ---- partitioned silver, and what a truncate reads ------------------------------------------

    @Test
    void partitionedSilverRemovesOldFilesUnreadKeepsNewOnesAndRewritesTheRestInTheBatchCommit() {
        CountingTable silver = new CountingTable(InMemoryTable.create("silver"));
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline pipeline = Pipeline.from(hub).bronze(TableRef.of(InMemoryTable.create("bronze")))
                .silver(TableRef.of(silver), "order_id")
                .withDeleteMarkers(TableRef.of(InMemoryTable.create("deletes")))
                .withSchema(ORDERS).withMergeStrategy(ORDERS_FLOW).withPartitionColumns("region")
                .withTargetFileRows(2);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            // one batch per group of rows, so each lands in files of its own: old (all <= 5), mixed, new (all > 5)
            send(hub, regional("a-1", "eu", 1), regional("a-2", "eu", 2), regional("a-3", "us", 3));
            driver.runOneBatch();
            send(hub, regional("b-1", "eu", 4), regional("b-2", "eu", 8));
            driver.runOneBatch();
            send(hub, regional("c-1", "us", 9), regional("c-2", "us", 10));
            driver.runOneBatch();
            Map<String, DataFile> before = driver.silver().files().stream()
                    .collect(Collectors.toMap(DataFile::path, f -> f));
            Set<String> old = paths(before, f -> (Long) f.max("seq").orElseThrow() <= 5);
            Set<String> mixed = paths(before, f -> (Long) f.min("seq").orElseThrow() <= 5
                    && (Long) f.max("seq").orElseThrow() > 5);
            Set<String> young = paths(before, f -> (Long) f.min("seq").orElseThrow() > 5);
            assertThat(old).isNotEmpty();
            assertThat(mixed).isNotEmpty();
            assertThat(young).isNotEmpty();
            long version = driver.silver().version();

            silver.reads.clear();
            send(hub, truncateOrders(5), regional("b-1", "us", 6)); // b-1 comes back, in another partition
            driver.runOneBatch();

            assertThat(driver.silver().version()).as("one silver commit").isEqualTo(version + 1);
            assertThat(driver.silver().rows()).containsExactlyInAnyOrder(
                    Stored.without(Row.of(ORDERS, "b-1", "CREATED", "us", null, 6L), "op"),
                    Stored.without(Row.of(ORDERS, "b-2", "CREATED", "eu", null, 8L), "op"),
                    Stored.without(Row.of(ORDERS, "c-1", "CREATED", "us", null, 9L), "op"),
                    Stored.without(Row.of(ORDERS, "c-2", "CREATED", "us", null, 10L), "op"));
            assertThat(silver.reads.keySet()).as("files read").doesNotContainAnyElementsOf(old);
            Set<String> after = driver.silver().files().stream().map(DataFile::path).collect(Collectors.toSet());
            assertThat(after).doesNotContainAnyElementsOf(old).doesNotContainAnyElementsOf(mixed);
            // files holding only newer rows stay, unless the batch's own merge rewrote them (b-1 lands in us)
            assertThat(young.stream().filter(after::contains)).isNotEmpty();
            for (DataFile f : driver.silver().files()) {
                assertThat(f.partitionValues().get("region")).isIn("eu", "us");
                assertThat((Long) f.min("seq").orElseThrow()).isGreaterThan(5);
            }
        }
    }

    @Test
    void partitionedSilverOnDeltaReadsBackWithDeltaKernel() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        String silver = lake.resolve("silver").toString();
        Pipeline pipeline = Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).silver(silver, "order_id")
                .withSchema(ORDERS).withMergeStrategy(ORDERS_FLOW).withPartitionColumns("region")
                .withTargetFileRows(2);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            send(hub, regional("a-1", "eu", 1), regional("a-2", "us", 7), regional("a-3", "us", 2),
                    regional("a-4", "eu", 9));
            driver.runOneBatch();
            send(hub, truncateOrders(5), regional("a-3", "eu", 6), regional("a-5", "us", 4));
            driver.runOneBatch();
            List<Map<String, Object>> expected = List.of(
                    Stored.without(Row.of(ORDERS, "a-2", "CREATED", "us", null, 7L), "op").toMap(),
                    Stored.without(Row.of(ORDERS, "a-3", "CREATED", "eu", null, 6L), "op").toMap(),
                    Stored.without(Row.of(ORDERS, "a-4", "CREATED", "eu", null, 9L), "op").toMap());
            assertThat(KernelReader.rows(silver)).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(driver.silver().rows().stream().map(Row::toMap).toList())
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    /**
     * Strings order by code point everywhere (the merge, file statistics, the truncate), which
     * differs from {@link String#compareTo} on U+FFFD against a character beyond U+FFFF: the emoji
     * is the newer. A truncate at U+FFFD keeps the emoji's row, and one at the emoji keeps nothing.
     */
    @ParameterizedTest(name = "truncate at {0}")
    @ValueSource(strings = {"2026-01-01T00:00:02\ud83d\ude00", "2026-01-01T00:00:02\ufffd"})
    void stringSequencesCompareByCodePointInTheMergeTheStatisticsAndTheTruncate(String through) {
        Schema schema = Schema.builder().required("id", DataType.STRING).optional("op", DataType.STRING)
                .optional("seq", DataType.STRING).build();
        Schema loose = Schema.builder().optional("id", DataType.STRING).optional("op", DataType.STRING)
                .optional("seq", DataType.STRING).build();
        String emoji = "2026-01-01T00:00:02\ud83d\ude00";
        String replacement = "2026-01-01T00:00:02\ufffd";
        CdcScenario s = CdcScenario
                .given(Pipeline.from(InMemoryHub.create("s", 1)).bronze("bronze").silver("silver", "id")
                        .withSchema(schema).withMergeStrategy(MergeStrategies.latestBy("seq")
                                .withTruncates(r -> "TRUNCATE".equals(r.string("op")))))
                .events(Row.of(schema, "k-1", null, emoji), Row.of(schema, "k-2", null, replacement),
                        Row.of(schema, "k-3", null, "2026-01-01T00:00:01"))
                .keylessEvents(Row.of(loose, null, "TRUNCATE", through))
                .inBatches(3);
        List<Row> expected = new ArrayList<>();
        if (through.equals(replacement)) {
            expected.add(Row.of(schema, "k-1", null, emoji)); // newer than U+FFFD by code point
        }
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(s.pipeline())) {
            s.run(driver);
            assertThat(driver.silver().rows()).containsExactlyElementsOf(expected);
        }
    }

    // ---- the records a truncate needs -------------------------------------------------------------

    @Test
    void aKeylessTruncateIsNotQuarantinedAndANullSequenceOneIs() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline pipeline = orders(hub).withQuarantine("quarantine/orders");
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            send(hub, upsert("o-1", "CREATED", 2), upsert("o-2", "CREATED", 4));
            driver.runOneBatch();
            send(hub, Row.of(LOOSE_ORDERS, null, null, null, "TRUNCATE", null));
            driver.runOneBatch();
            assertThat(driver.silver().rows()).hasSize(2); // nothing truncated
            assertThat(driver.quarantine().rows()).singleElement().satisfies(q -> {
                assertThat(q.string("reason")).isEqualTo("NULL_SEQUENCE");
                assertThat(q.string("error")).contains("truncate record").contains("'seq'");
            });
            assertThat(driver.silver().snapshot().properties()).doesNotContainKey("streamlake.silver.truncate.through");

            send(hub, truncateOrders(3), Row.of(LOOSE_ORDERS, null, "LOST", null, "UPSERT", 9L)); // no key, no truncate
            driver.runOneBatch();
            assertThat(driver.silver().rows()).containsExactly(order("o-2", "CREATED", 4));
            assertThat(driver.quarantine().rows()).hasSize(2)
                    .anySatisfy(q -> assertThat(q.string("reason")).isEqualTo("MISSING_KEY"));
            assertThat(driver.expectation("decode").passed()).isEqualTo(4); // the truncates were decoded
            assertThat(driver.expectation("decode").failed()).isEqualTo(1);
        }
    }

    @Test
    void aTruncateWithAKeyTruncatesToo() {
        CdcScenario.given(orders(InMemoryHub.create("orders", 1)))
                .events(upsert("o-1", "CREATED", 2), upsert("o-2", "CREATED", 4),
                        Row.of(ORDERS, "o-9", null, null, "TRUNCATE", 3L))
                .expectSilver(order("o-2", "CREATED", 4));
    }

    @Test
    void aPredicateThatThrowsQuarantinesTheRecordAndThePipelineGoesOn() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Scd1Strategy careless = MergeStrategies.latestBy("seq").withTruncates(r -> r.string("op").equals("TRUNCATE"));
        Pipeline pipeline = orders(hub).withMergeStrategy(careless).withQuarantine("quarantine/orders");
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            send(hub, Row.of(ORDERS, "o-1", "CREATED", null, null, 1L), upsert("o-2", "CREATED", 2));
            driver.runOneBatch();
            assertThat(driver.silver().rows()).containsExactly(upsert("o-2", "CREATED", 2));
            assertThat(driver.quarantine().rows()).singleElement().satisfies(r -> {
                assertThat(r.string("reason")).isEqualTo("MERGE_FAILED");
                assertThat(r.string("error")).contains("truncate predicate of latestBy(seq).withTruncates(...) threw")
                        .contains("NullPointerException").contains("make it handle nulls");
            });
        }
    }

    // ---- strategies that cannot truncate --------------------------------------------------------

    @Test
    void aTruncatedTableRefusesAStrategyThatCannotHonourTheWatermark() {
        InMemoryTable silver = InMemoryTable.create("silver");
        InMemoryTable bronze = InMemoryTable.create("bronze");
        InMemoryTable deletes = InMemoryTable.create("deletes");
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline base = Pipeline.from(hub).bronze(TableRef.of(bronze)).silver(TableRef.of(silver), "order_id")
                .withDeleteMarkers(TableRef.of(deletes)).withSchema(ORDERS);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(base.withMergeStrategy(ORDERS_FLOW))) {
            send(hub, upsert("o-1", "CREATED", 2), upsert("o-2", "CREATED", 4), truncateOrders(3));
            driver.runOneBatch();
        }
        for (MergeStrategy other : List.of(MergeStrategies.lastWins(), MergeStrategies.firstWins(),
                MergeStrategies.latestBy("status"), MergeStrategies.latestBy("seq", "status"))) {
            try (PipelineTestDriver driver = PipelineTestDriver.inMemory(base.withMergeStrategy(other))) {
                assertThatThrownBy(driver::runOneBatch).as(other.toString()).isInstanceOf(ConfigurationException.class)
                        .hasMessageContaining("was truncated through seq = 3")
                        .hasMessageContaining(other.toString())
                        .hasMessageContaining("use MergeStrategies.latestBy(\"seq\")");
            }
        }
        // the same latestBy without withTruncates keeps the truncate: older events stay out
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(base.withMergeStrategy(
                MergeStrategies.latestBy("seq").dropColumns("op")))) {
            send(hub, upsert("o-3", "LATE", 3), upsert("o-4", "NEW", 5));
            driver.runOneBatch();
            assertThat(driver.silver().rows()).containsExactlyInAnyOrder(order("o-2", "CREATED", 4),
                    order("o-4", "NEW", 5));
        }
    }

    @Test
    void aReplayedQuarantinedEventOlderThanTheTruncateStaysOut() {
        io.streamlake.quality.Expectation strict = io.streamlake.quality.Expectation.quarantine("no_paid",
                r -> !"PAID".equals(r.string("status")));
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline pipeline = Pipeline.from(hub).bronze(TableRef.of(InMemoryTable.create("bronze")))
                .silver(TableRef.of(InMemoryTable.create("silver")), "order_id")
                .withQuarantine(TableRef.of(InMemoryTable.create("quarantine")))
                .withDeleteMarkers(TableRef.of(InMemoryTable.create("deletes")))
                .withSchema(ORDERS).withMergeStrategy(ORDERS_FLOW);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline.withExpectation(strict))) {
            send(hub, upsert("o-1", "PAID", 2), upsert("o-2", "PAID", 4), truncateOrders(3));
            driver.runOneBatch();
            assertThat(driver.quarantine().rows()).hasSize(2);
        }
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            assertThat(driver.replayQuarantine()).isEqualTo(2);
            assertThat(driver.silver().rows()).containsExactly(order("o-2", "PAID", 4));
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static Row regional(String id, String region, long seq) {
        return Row.of(ORDERS, id, "CREATED", region, "UPSERT", seq);
    }

    private static Set<String> paths(Map<String, DataFile> files, Predicate<DataFile> which) {
        return files.values().stream().filter(which).map(DataFile::path).collect(Collectors.toSet());
    }

    private static void send(InMemoryHub hub, Row... rows) {
        for (Row r : rows) {
            Object key = r.value(0);
            hub.send(0, key == null ? null : key.toString(), CdcScenario.json(r));
        }
    }

    private static <T> List<List<T>> permutations(List<T> items) {
        if (items.isEmpty()) {
            return List.of(List.of());
        }
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            List<T> rest = new ArrayList<>(items);
            T first = rest.remove(i);
            for (List<T> tail : permutations(rest)) {
                List<T> p = new ArrayList<>();
                p.add(first);
                p.addAll(tail);
                out.add(p);
            }
        }
        return out;
    }

    /** Silver, counting which files are read. */
    private static final class CountingTable extends ForwardingTable {
        final Map<String, Integer> reads = new ConcurrentHashMap<>();

        CountingTable(Table delegate) {
            super(delegate);
        }

        @Override
        public Iterator<Row> read(DataFile file, Schema schema) {
            reads.merge(file.path(), 1, Integer::sum);
            return super.read(file, schema);
        }
    }
}
