package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ExpectationFailedException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.quality.Expectation;
import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input never disappears: decode failures and expectations, each action, quarantine exactly once. */
class QualityTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 2);

    private Pipeline pipeline(Path lake) {
        return Pipeline.from(hub)
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void everyKindOfBadPayloadIsQuarantinedWithItsBytesPositionAndReason(@TempDir Path lake) {
        Pipeline p = pipeline(lake).withMaxValueBytes(400);
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            hub.send(0, "ok", Orders.json("ok", "PAID", 1));
            hub.send(0, bytes("m"), bytes("{not json"), Map.of("trace", bytes("t-1")));
            hub.send(0, bytes("w"), bytes("{\"order_id\":\"w\",\"items\":\"three\"}"), Map.of());
            hub.send(0, bytes("n"), bytes("{\"status\":\"PAID\"}"), Map.of());
            hub.send(1, bytes("u"), new byte[] {'{', '"', 'o', '"', ':', (byte) 0xC3, 0x28, '}'}, Map.of());
            hub.send(1, bytes("big"), bytes("{\"order_id\":\"big\",\"status\":\"" + "x".repeat(500) + "\"}"), Map.of());
            hub.send(1, null, null, Map.of()); // a tombstone without a key
            driver.runOneBatch();

            assertThat(driver.silver()).hasRowCount(1).hasRow(Map.of("order_id", "ok"));
            TableContents q = driver.quarantine();
            assertThat(q).hasRowCount(6).hasNoDuplicates("partition", "position");
            Row malformed =
                    q.rows().stream().filter(r -> "m".equals(new String(r.bytes("key"), StandardCharsets.UTF_8)))
                            .findFirst().orElseThrow();
            assertThat(malformed.bytes("value")).isEqualTo(bytes("{not json"));
            assertThat(malformed.string("rule")).isEqualTo("decode");
            assertThat(malformed.string("error")).containsIgnoringCase("json");
            assertThat(malformed.string("source")).isEqualTo("orders");
            assertThat(malformed.longValue("position")).isEqualTo(1L);
            assertThat(((Map<?, ?>) malformed.value("headers")).containsKey("trace")).isTrue();
            assertThat(q.column("error")).anySatisfy(e -> assertThat((String) e).contains("items"))
                    .anySatisfy(e -> assertThat((String) e).containsIgnoringCase("utf-8"))
                    .anySatisfy(e -> assertThat((String) e).contains("400"));
            assertThat(q.column("rule")).contains("tombstone");
            assertThat(driver.expectationMetrics()).first()
                    .isEqualTo(new ExpectationMetrics("decode", Expectation.Action.QUARANTINE, 1, 5));
        }
        // The independent reader sees the same quarantine table.
        List<Map<String, Object>> rows = KernelReader.rows(lake.resolve("silver_quarantine").toString());
        assertThat(rows).hasSize(6);
    }

    @Test
    void eachExpectationActionDoesWhatItSaysAndIsCounted(@TempDir Path lake) {
        Pipeline p = pipeline(lake)
                .withExpectation(Expectation.warn("known_currency", r -> "EUR".equals(r.string("currency"))))
                .withExpectation(Expectation.drop("not_test", r -> !r.string("order_id").startsWith("TEST")))
                .withExpectation(Expectation.quarantine("positive_amount",
                        r -> ((BigDecimal) r.value("amount")).signum() > 0));
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            hub.send("a", Orders.json("a", "PAID", 1));
            hub.send("b", Orders.json("b", "PAID", 2).replace("EUR", "USD"));
            hub.send("TEST-1", Orders.json("TEST-1", "PAID", 3));
            hub.send("c", Orders.json("c", "PAID", 4).replaceFirst("\"amount\":[0-9.]+", "\"amount\":-5"));
            driver.runOneBatch();

            assertThat(driver.silver()).hasRowCount(2).hasRow(Map.of("order_id", "b"))
                    .hasNoRow(Map.of("order_id", "TEST-1")).hasNoRow(Map.of("order_id", "c"));
            assertThat(driver.quarantine()).hasRowCount(1).hasRowsWhere("rule", "positive_amount", 1);
            assertThat(driver.expectation("not_test").failed()).isEqualTo(1);
            assertThatThrownBy(() -> driver.expectation("nope")).hasMessageContaining("known_currency");
            assertThat(driver.expectationMetrics()).containsExactly(
                    new ExpectationMetrics("decode", Expectation.Action.QUARANTINE, 4, 0),
                    new ExpectationMetrics("known_currency", Expectation.Action.WARN, 3, 1),
                    new ExpectationMetrics("not_test", Expectation.Action.DROP, 3, 1),
                    new ExpectationMetrics("positive_amount", Expectation.Action.QUARANTINE, 2, 1));
        }
    }

    @Test
    void aFailExpectationStopsNamingTheRuleAndPositionAndSilverKeepsEarlierBatches(@TempDir Path lake) {
        Pipeline p =
                pipeline(lake).withExpectation(Expectation.fail("has_customer", r -> r.value("customer_id") != null));
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            hub.send(0, "a", Orders.json("a", "PAID", 1));
            driver.runOneBatch();
            hub.send(0, "b", "{\"order_id\":\"b\"}");
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ExpectationFailedException.class)
                    .hasMessageContaining("has_customer").hasMessageContaining("orders/0@1");
            assertThat(driver.silver()).hasRowCount(1);
            assertThat(driver.bronze()).hasRowCount(2);
        }
    }

    @Test
    void aCrashBetweenTheQuarantineAndSilverCommitsQuarantinesEachRecordOnce(@TempDir Path lake) {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake))) {
            hub.send(0, "a", Orders.json("a", "PAID", 1));
            hub.send(0, "bad", "{broken");
            driver.crashAfterNextCommit(Stage.QUARANTINE);
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            assertThat(driver.quarantine()).hasRowCount(1);
            assertThat(driver.silver()).hasRowCount(0);

            driver.runOneBatch(); // restart: silver catches up from bronze, the bad record is already quarantined
            assertThat(driver.silver()).hasRowCount(1);
            assertThat(driver.quarantine()).hasRowCount(1);
        }
    }

    @Test
    void replayingTheQuarantineAfterAFixMovesPassingRecordsIntoSilverExactlyOnce(@TempDir Path lake) {
        Expectation strict =
                Expectation.quarantine("known_status", r -> List.of("CREATED", "PAID").contains(r.string("status")));
        Pipeline p = pipeline(lake).withExpectation(strict);
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            hub.send(0, "a", Orders.json("a", "PAID", 1));
            hub.send(0, "b", Orders.json("b", "SHIPPED", 2));
            hub.send(1, "c", Orders.json("c", "LOST", 3));
            hub.send(1, "d", "{broken");
            driver.runOneBatch();
            assertThat(driver.silver()).hasRowCount(1);
            assertThat(driver.quarantine()).hasRowCount(3);
        }
        // The rule was too strict: widen it and replay. A crash between the silver and quarantine
        // commits must not let a record in twice.
        Expectation fixed = Expectation.quarantine("known_status", r -> !"LOST".equals(r.string("status")));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake).withExpectation(fixed))) {
            driver.crashBeforeNextCommit(Stage.QUARANTINE);
            assertThatThrownBy(driver::replayQuarantine).isInstanceOf(SimulatedCrash.class);
            assertThat(driver.silver()).hasRowCount(2);
            assertThat(driver.quarantine()).hasRowCount(3);

            assertThat(driver.replayQuarantine()).isZero(); // finishes the release; nothing new passes
            assertThat(driver.silver()).hasRowCount(2).hasRow(Map.of("order_id", "b", "status", "SHIPPED"));
            assertThat(driver.quarantine()).hasRowCount(2).hasRow(Map.of("rule", "known_status"))
                    .hasRow(Map.of("rule", "decode"));
            assertThat(driver.replayQuarantine()).isZero();
            assertThat(driver.quarantine()).hasRowCount(2);
        }
        assertThat(KernelReader.rows(lake.resolve("silver").toString())).hasSize(2);
        assertThat(pipeline(lake).withExpectation(fixed).replayQuarantine()).isZero();
    }

    @Test
    void transformsFiltersAndDerivedColumnsShapeSilver() {
        Schema schema = Schema.builder()
                .required("order_id", DataType.STRING)
                .optional("status", DataType.STRING)
                .optional("updated_at", DataType.TIMESTAMP)
                .optional("order_date", DataType.DATE)
                .build();
        Pipeline p = Pipeline.from(hub).bronze("bronze").silver("silver", "order_id").withSchema(schema)
                .withFilter(r -> !"CANCELLED".equals(r.string("status")))
                .withTransform(r -> r.with("status", r.string("status").toLowerCase(java.util.Locale.ROOT)))
                .withDerivedColumn("order_date", r -> LocalDate.ofInstant(r.timestamp("updated_at"), ZoneOffset.UTC))
                .withTransform(r -> {
                    if ("boom".equals(r.string("order_id"))) {
                        throw new IllegalStateException("cannot handle boom");
                    }
                    return r;
                });
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(p)) {
            hub.send("a", Orders.json("a", "PAID", 0));
            hub.send("b", Orders.json("b", "CANCELLED", 0));
            hub.send("boom", Orders.json("boom", "PAID", 0));
            driver.runOneBatch();
            assertThat(driver.silver()).hasRowCount(1)
                    .hasRow(Map.of("order_id", "a", "status", "paid", "order_date", LocalDate.parse("2026-01-01")));
            assertThat(driver.quarantine()).hasRowCount(1).hasRow(Map.of("rule", "transform"));
            assertThat(driver.quarantine().rows().get(0).string("error")).contains("cannot handle boom");
        }
    }

    @Test
    void aLargeBatchSplitAcrossThreadsKeepsArrivalOrderAndCounts() {
        Pipeline p = Pipeline.from(hub).bronze("b").silver("s", "order_id").withSchema(Orders.SCHEMA)
                .withMaxBatchRecords(100_000)
                .withExpectation(Expectation.drop("no_x", r -> !r.string("status").startsWith("X")));
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(p)) {
            // lastWins: the last arrival per key must win, across slice boundaries
            for (int i = 0; i < 60_000; i++) {
                String id = "k" + (i % 1000);
                hub.send(0, id, i % 997 == 0 ? "{broken" : Orders.json(id, (i % 5000 == 1 ? "X" : "S") + i, 0));
            }
            assertThat(driver.runOneBatch()).isEqualTo(60_000);
            long broken = java.util.stream.IntStream.range(0, 60_000).filter(i -> i % 997 == 0).count();
            long dropped =
                    java.util.stream.IntStream.range(0, 60_000).filter(i -> i % 5000 == 1 && i % 997 != 0).count();
            assertThat(driver.quarantine()).hasRowCount(broken);
            assertThat(driver.expectationMetrics()).contains(
                    new ExpectationMetrics("decode", Expectation.Action.QUARANTINE, 60_000 - broken, broken),
                    new ExpectationMetrics("no_x", Expectation.Action.DROP, 60_000 - broken - dropped, dropped));
            TableContents silver = driver.silver();
            assertThat(silver).hasRowCount(1000);
            for (int k = 0; k < 1000; k++) {
                int last = 59_000 + k;
                while (last % 997 == 0 || last % 5000 == 1) {
                    last -= 1000;
                }
                assertThat(silver.row("order_id", "k" + k).orElseThrow().string("status")).isEqualTo("S" + last);
            }
        }
    }

    @Test
    void aDerivedColumnMustBeDeclared() {
        Pipeline p = Pipeline.from(hub).bronze("b").silver("s", "order_id").withSchema(Orders.SCHEMA)
                .withDerivedColumn("order_date", r -> null);
        assertThatThrownBy(p::validate).hasMessageContaining("order_date").hasMessageContaining("declare");
    }
}
