package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Schema;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A silver table keeps the key it was merged by: another key would silently break one row per key. */
class SilverKeyTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 1);

    private Pipeline pipeline(Path lake, String key) {
        return Pipeline.from(hub).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), key)
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"));
    }

    @Test
    void aSilverTableRefusesAnotherKeyNamingBoth(@TempDir Path lake) {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, "order_id"))) {
            hub.send("a", Orders.json("a", "PAID", 1));
            driver.runOneBatch();
        }
        String silver = lake.resolve("silver").toString();
        assertThat(DeltaTable.open(silver, Map.of()).snapshot().properties())
                .containsEntry("streamlake.silver.key", "order_id");
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, "customer_id"))) {
            hub.send("b", Orders.json("b", "PAID", 2));
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("'order_id'").hasMessageContaining("'customer_id'")
                    .hasMessageContaining(silver);
        }
        // the same key goes on as before, and the table reads as one row per order
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, "order_id"))) {
            driver.runOneBatch();
            assertThat(driver.silver().column("order_id")).containsExactlyInAnyOrder("a", "b");
        }
        assertThat(KernelReader.rows(silver)).hasSize(2);
    }

    @Test
    void aTableWrittenBeforeTheCheckGetsItsKeyRecordedOnTheNextStart(@TempDir Path lake) {
        DeltaTable silver = DeltaTable.open(lake.resolve("silver").toString(), Map.of());
        silver.create(Orders.SCHEMA); // as earlier versions left it: no recorded key
        assertThat(silver.snapshot().properties()).doesNotContainKey("streamlake.silver.key");
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, "order_id"))) {
            hub.send("a", Orders.json("a", "PAID", 1));
            driver.runOneBatch();
        }
        assertThat(silver.snapshot().properties()).containsEntry("streamlake.silver.key", "order_id");
    }

    @Test
    void inMemoryTablesKeepTheirKeyToo() {
        Pipeline p = Pipeline.from(hub).bronze("b").silver("s", "order_id").withSchema(Orders.SCHEMA);
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(p)) {
            hub.send("a", Orders.json("a", "PAID", 1));
            driver.runOneBatch();
            assertThat(driver.silver().snapshot().properties()).containsEntry("streamlake.silver.key", "order_id");
        }
    }

    @Test
    void aSilverTableRefusesSwitchingBetweenOneRowPerKeyAndHistory(@TempDir Path lake) {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, "order_id"))) {
            hub.send("a", Orders.json("a", "PAID", 1));
            driver.runOneBatch();
        }
        String silver = lake.resolve("silver").toString();
        assertThat(DeltaTable.open(silver, Map.of()).snapshot().properties())
                .containsEntry("streamlake.silver.layout", "scd1");
        Schema history = Schema.of(Stream.concat(Orders.SCHEMA.fields().stream(), Stream.of(
                Field.optional("__START_AT", DataType.TIMESTAMP), Field.optional("__END_AT", DataType.TIMESTAMP)))
                .toList());
        Pipeline scd2 = pipeline(lake, "order_id").withSchema(history)
                .withMergeStrategy(MergeStrategies.scd2("updated_at"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(scd2)) {
            hub.send("b", Orders.json("b", "PAID", 2));
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("one row per key").hasMessageContaining("SCD type 2 history")
                    .hasMessageContaining(silver);
        }
        // refused before anything changed: the table keeps its schema and its current rows
        assertThat(KernelReader.rows(silver)).hasSize(1);
        assertThat(DeltaTable.open(silver, Map.of()).snapshot().schema().orElseThrow()).isEqualTo(Orders.SCHEMA);
    }
}
