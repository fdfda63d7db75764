package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ExpectationFailedException;
import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.quality.Expectation;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.QuarantineLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Valid-looking records that once stopped a pipeline for good: every restart failed on the same
 * record and the batch's good events never reached silver. Each must become a quarantine row with
 * its reason, and the pipeline must go on, across restarts.
 */
class PoisonRecordsTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 1);
    /** The orders with SCD type 2's validity columns. */
    private static final Schema HISTORY = Schema.of(Stream.concat(Orders.SCHEMA.fields().stream(), Stream.of(
            Field.optional("__START_AT", DataType.TIMESTAMP), Field.optional("__END_AT", DataType.TIMESTAMP)))
            .toList());

    private Pipeline pipeline(Path lake) {
        return Pipeline.from(hub)
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"));
    }

    private void sendRaw(String key, String json) {
        hub.send(0, key.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    @Test
    void numbersThatOverflowAndUnpairedSurrogatesAreQuarantinedAndThePipelineGoesOn(@TempDir Path lake) {
        Map<String, String> poison = Map.of(
                "decimal-exp", "{\"order_id\":\"d\",\"amount\":1e2147483648}",
                "decimal-neg-exp", "{\"order_id\":\"d2\",\"amount\":1e-2147483649}",
                "int-exp", "{\"order_id\":\"i\",\"items\":1e2147483648}",
                "int-huge", "{\"order_id\":\"i2\",\"items\":123456789012345678901234567890}",
                "string-surrogate", "{\"order_id\":\"s\",\"status\":\"\\ud800\"}",
                "key-surrogate", "{\"order_id\":\"\\udc00x\",\"status\":\"PAID\"}",
                "low-then-high", "{\"order_id\":\"s3\",\"status\":\"a\\udc00\\ud800b\"}");
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake))) {
            hub.send("ok-1", Orders.json("ok-1", "PAID", 1));
            poison.forEach(this::sendRaw);
            hub.send("ok-2", Orders.json("ok-2", "PAID", 2));
            driver.runOneBatch();
            assertThat(driver.silver()).hasRowCount(2).hasRow(Map.of("order_id", "ok-2"));
            TableContents q = driver.quarantine();
            assertThat(q).hasRowCount(poison.size());
            for (Row r : q.rows()) {
                String key = new String(r.bytes("key"), StandardCharsets.UTF_8);
                assertThat(r.bytes("value")).as(key).isEqualTo(poison.get(key).getBytes(StandardCharsets.UTF_8));
                assertThat(r.string("rule")).as(key).isEqualTo("decode");
                assertThat(r.string("error")).as(key).isNotBlank();
            }
            assertThat(q.rows())
                    .filteredOn(r -> new String(r.bytes("key"), StandardCharsets.UTF_8).endsWith("surrogate"))
                    .hasSize(2).allSatisfy(r -> {
                        assertThat(r.string("error")).contains("surrogate");
                        assertThat(r.string("reason")).isEqualTo("UNPAIRED_SURROGATE");
                    });
            assertThat(q.rows()).filteredOn(r -> new String(r.bytes("key"), StandardCharsets.UTF_8).startsWith("int"))
                    .hasSize(2).allSatisfy(r -> {
                        assertThat(r.string("error")).contains("items");
                        assertThat(r.string("reason")).isEqualTo("WRONG_TYPE");
                    });

            // and after a restart, more events go through
            driver.restart();
            hub.send("ok-3", Orders.json("ok-3", "PAID", 3));
            driver.runOneBatch();
            assertThat(driver.silver()).hasRowCount(3);
            assertThat(driver.quarantine()).hasRowCount(poison.size());
        }
        assertThat(KernelReader.rows(lake.resolve("silver").toString())).hasSize(3);
    }

    @Test
    void aStringATransformProducesThatUtf8CannotHoldIsQuarantinedNotACommitFailure(@TempDir Path lake) {
        Pipeline p = pipeline(lake).withTransform(r -> "bad".equals(r.string("order_id"))
                ? r.with("status", "x\ud800") : r);
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            hub.send("ok", Orders.json("ok", "PAID", 1));
            hub.send("bad", Orders.json("bad", "PAID", 2));
            driver.runOneBatch();
            assertThat(driver.silver()).hasRowCount(1);
            assertThat(driver.quarantine()).hasRowCount(1);
            assertThat(driver.quarantine().rows().get(0).string("error")).contains("status").contains("surrogate");
            assertThat(driver.quarantine().rows().get(0).string("reason")).isEqualTo("UNSTORABLE_VALUE");
        }
    }

    @Test
    void anExpectationThatThrowsQuarantinesWithTheExceptionAsTheReason(@TempDir Path lake) {
        Pipeline p = pipeline(lake).withExpectation(Expectation.quarantine("status_known",
                r -> r.string("status").length() > 2)); // throws on a null status
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            hub.send("ok", Orders.json("ok", "PAID", 1));
            sendRaw("null-status", "{\"order_id\":\"n\",\"status\":null,\"updated_at\":\"2026-01-01T00:00:00Z\"}");
            driver.runOneBatch();
            List<Row> q = driver.quarantine().rows();
            assertThat(q).hasSize(1);
            assertThat(q.get(0).string("rule")).isEqualTo("status_known");
            assertThat(q.get(0).string("error")).contains("NullPointerException").contains("threw");
            assertThat(q.get(0).string("reason")).isEqualTo("EXPECTATION_THREW");
        }
    }

    @Test
    void aFailExpectationThatThrowsStopsWithTheExceptionAsTheCauseAndSaysTheRuleIsAtFault(@TempDir Path lake) {
        Pipeline p = pipeline(lake).withExpectation(Expectation.fail("status_known",
                r -> r.string("status").length() > 2));
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            sendRaw("null-status", "{\"order_id\":\"n\",\"status\":null,\"updated_at\":\"2026-01-01T00:00:00Z\"}");
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ExpectationFailedException.class)
                    .hasCauseInstanceOf(NullPointerException.class)
                    .hasMessageContaining("status_known").hasMessageContaining("threw")
                    .hasMessageContaining("Make the rule handle such rows");
        }
    }

    @Test
    void aNullSequenceValueIsQuarantinedNamingTheColumnForEveryOrderedStrategyAcrossRestarts(@TempDir Path lake) {
        for (MergeStrategy strategy : List.of(MergeStrategies.latestBy("updated_at"),
                MergeStrategies.latestBy("updated_at").withDeletes(r -> "DELETED".equals(r.string("status"))),
                MergeStrategies.scd2("updated_at"))) {
            Path dir = lake.resolve(String.valueOf(strategy.hashCode()));
            InMemoryHub source = InMemoryHub.create("orders", 1);
            Pipeline p = Pipeline.from(source).bronze(dir.resolve("bronze").toString())
                    .silver(dir.resolve("silver").toString(), "order_id")
                    .withSchema(strategy instanceof Scd2Strategy ? HISTORY : Orders.SCHEMA)
                    .withMergeStrategy(strategy);
            try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
                source.send("a", Orders.json("a", "PAID", 1));
                source.send("a", "{\"order_id\":\"a\",\"status\":\"DELETED\",\"updated_at\":null}");
                source.send("b", "{\"order_id\":\"b\",\"status\":\"PAID\"}");
                driver.runOneBatch();
                driver.restart();
                source.send("c", Orders.json("c", "PAID", 2));
                driver.runOneBatch();
                assertThat(driver.silver().column("order_id")).as(strategy.toString()).containsExactlyInAnyOrder("a",
                        "c");
                assertThat(driver.quarantine().rows()).as(strategy.toString()).hasSize(2)
                        .allSatisfy(r -> {
                            assertThat(r.string("rule")).isEqualTo("sequence");
                            assertThat(r.string("error")).contains("updated_at");
                            assertThat(r.string("reason")).isEqualTo("NULL_SEQUENCE");
                        });
            }
        }
    }

    /**
     * A strategy that throws on one record (a custom strategy's bug, a delete predicate that cannot
     * decide) costs that record, not the pipeline: the batch's other records are merged, the record
     * is quarantined with reason MERGE_FAILED and its original bytes, and later batches go on.
     */
    @Test
    void aStrategyThatThrowsOnOneRecordQuarantinesItAndThePipelineGoesOnAcrossRestarts(@TempDir Path lake) {
        MergeStrategy picky = (current, incoming) -> {
            if ("BOOM".equals(incoming.string("status"))) {
                throw new IllegalStateException("cannot merge status BOOM");
            }
            return MergeDecision.upsert(incoming);
        };
        // the predicate throws on a record without a status (a NullPointerException in user code)
        MergeStrategy deletes = MergeStrategies.latestBy("updated_at")
                .withDeletes(r -> r.string("status").equals("DELETED"));
        for (MergeStrategy strategy : List.of(picky, deletes)) {
            Path dir = lake.resolve(String.valueOf(strategy.hashCode()));
            InMemoryHub source = InMemoryHub.create("orders", 1);
            Pipeline p = Pipeline.from(source).bronze(dir.resolve("bronze").toString())
                    .silver(dir.resolve("silver").toString(), "order_id").withSchema(Orders.SCHEMA)
                    .withMergeStrategy(strategy);
            String bad = strategy == picky ? Orders.json("b", "BOOM", 2)
                    : "{\"order_id\":\"b\",\"updated_at\":\"2026-01-01T00:02:00Z\"}";
            try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
                source.send("a", Orders.json("a", "PAID", 1));
                source.send("b", bad);
                source.send("c", Orders.json("c", "PAID", 3));
                driver.runOneBatch();
                driver.restart();
                source.send("d", Orders.json("d", "PAID", 4));
                driver.runOneBatch();
                assertThat(driver.silver().column("order_id")).as(strategy.toString())
                        .containsExactlyInAnyOrder("a", "c", "d");
                assertThat(driver.quarantine().rows()).as(strategy.toString()).singleElement().satisfies(r -> {
                    assertThat(r.string("rule")).isEqualTo("merge");
                    assertThat(r.string("reason")).isEqualTo("MERGE_FAILED");
                    assertThat(r.string("error")).contains(strategy == picky ? "cannot merge status BOOM"
                            : "NullPointerException");
                    assertThat(r.bytes("value")).isEqualTo(bad.getBytes(StandardCharsets.UTF_8));
                });
                assertThat(KernelReader.rows(dir.resolve("silver").toString())).hasSize(3);
            }
        }
    }

    @Test
    void aStrategyThatBreaksItsContractStillStopsThePipeline(@TempDir Path lake) {
        MergeStrategy rekeys = (current, incoming) -> MergeDecision.upsert(incoming.with("order_id", "other"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake).withMergeStrategy(rekeys))) {
            hub.send("a", Orders.json("a", "PAID", 1));
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(io.streamlake.exceptions.ConfigurationException.class)
                    .hasMessageContaining("must keep the row's key");
        }
    }

    @Test
    void aQuarantineTableWrittenBeforeTheReasonColumnGainsItAndKeepsItsRows(@TempDir Path lake) {
        Schema old = Schema.of(QuarantineLayout.SCHEMA.fields().stream()
                .filter(f -> !f.name().equals(QuarantineLayout.REASON)).toList());
        DeltaTable quarantine = DeltaTable.open(lake.resolve("silver_quarantine").toString(), Map.of());
        quarantine.create(old);
        Row before = Row.of(old, null, "{old".getBytes(StandardCharsets.UTF_8), null, "orders", 0, 7L, null, 1L,
                "decode", "malformed JSON", Orders.T0);
        try (DataFileWriter w = quarantine.newDataFile(old)) {
            w.write(before);
            quarantine.newCommit().add(w.finish()).commit("WRITE");
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake))) {
            sendRaw("bad", "{broken");
            driver.runOneBatch();
            List<Row> q = driver.quarantine().rows();
            assertThat(q).hasSize(2);
            assertThat(q).filteredOn(r -> r.longValue("position") == 7L).singleElement()
                    .satisfies(r -> assertThat(r.value("reason")).isNull());
            assertThat(q).filteredOn(r -> r.longValue("position") == 0L).singleElement()
                    .satisfies(r -> assertThat(r.string("reason")).isEqualTo("MALFORMED_JSON"));
        }
        assertThat(KernelReader.rows(lake.resolve("silver_quarantine").toString())).hasSize(2);
    }
}
