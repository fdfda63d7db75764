package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.delta.TableProperties;
import io.streamlake.exceptions.ConfigurationException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A silver table someone made append-only ({@code delta.appendOnly = true}, as Spark's ALTER TABLE
 * sets it) is refused when the pipeline starts, before bronze takes anything: every merge would be
 * refused after bronze had advanced, batch after batch.
 */
class AppendOnlySilverTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 1);

    private Pipeline pipeline(Path lake) {
        return Orders.latestPipeline(hub, lake);
    }

    @Test
    void anAppendOnlySilverTableIsRefusedAtStartNamingThePropertyAndNothingIsTaken(@TempDir Path lake) {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake))) {
            hub.send("a", Orders.json("a", "PAID", 1));
            driver.runOneBatch();
        }
        String silver = lake.resolve("silver").toString();
        TableProperties.set(silver, "delta.appendOnly", "true");
        long bronzeVersion = DeltaTable.open(lake.resolve("bronze").toString(), Map.of()).snapshot().version();

        hub.send("a", Orders.json("a", "SHIPPED", 2));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake))) {
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining(silver)
                    .hasMessageContaining("delta.appendOnly = true")
                    .hasMessageContaining("SET TBLPROPERTIES ('delta.appendOnly' = 'false')");
        }
        assertThat(DeltaTable.open(lake.resolve("bronze").toString(), Map.of()).snapshot().version())
                .as("bronze took nothing").isEqualTo(bronzeVersion);

        // with the property removed, the pipeline goes on from where it was
        TableProperties.set(silver, "delta.appendOnly", "false");
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake))) {
            driver.runOneBatch();
            assertThat(driver.silver().row("order_id", "a")).hasValueSatisfying(
                    r -> assertThat(r.value("status")).isEqualTo("SHIPPED"));
        }
        assertThat(KernelReader.rows(silver)).hasSize(1);
    }

    @Test
    void anAppendOnlyDeleteMarkerTableIsRefusedAtStartToo(@TempDir Path lake) {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake))) {
            hub.send("a", Orders.json("a", "PAID", 1));
            hub.send(0, "a".getBytes(java.nio.charset.StandardCharsets.UTF_8), null, Map.of()); // a delete
            driver.runOneBatch();
            assertThat(driver.deletedKeys()).containsExactly("a");
        }
        String markers = lake.resolve("silver_deletes").toString();
        TableProperties.set(markers, "delta.appendOnly", "true");
        long bronzeVersion = DeltaTable.open(lake.resolve("bronze").toString(), Map.of()).snapshot().version();

        hub.send("a", Orders.json("a", "BACK", 2)); // a re-insert clears the marker: a remove
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake))) {
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining(markers)
                    .hasMessageContaining("delta.appendOnly = true")
                    .hasMessageContaining("delete markers");
        }
        assertThat(DeltaTable.open(lake.resolve("bronze").toString(), Map.of()).snapshot().version())
                .as("bronze took nothing").isEqualTo(bronzeVersion);
    }
}
