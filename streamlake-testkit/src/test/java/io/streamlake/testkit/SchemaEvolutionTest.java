package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A silver table grows with the declared schema; incompatible changes are refused with both schemas. */
class SchemaEvolutionTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 1);

    private static final Schema V1 = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .build();
    private static final Schema V2 = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("currency", DataType.STRING)
            .build();

    private Pipeline pipeline(Path lake, Schema schema) {
        return Pipeline.from(hub).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id").withSchema(schema).withTargetFileRows(2);
    }

    @Test
    void aNewNullableColumnIsAddedAndOldRowsKeepTheirValues(@TempDir Path lake) {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, V1))) {
            hub.send("a", "{\"order_id\":\"a\",\"status\":\"PAID\",\"currency\":\"EUR\"}");
            hub.send("b", "{\"order_id\":\"b\",\"status\":\"PAID\"}");
            hub.send("c", "{\"order_id\":\"c\",\"status\":\"NEW\"}");
            driver.runOneBatch();
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, V2))) {
            hub.send("b", "{\"order_id\":\"b\",\"status\":\"SHIPPED\",\"currency\":\"USD\"}");
            hub.send("d", "{\"order_id\":\"d\",\"status\":\"NEW\",\"currency\":\"GBP\"}");
            driver.runOneBatch();
            assertThat(driver.silver().schema()).contains(V2);
        }
        Map<Object, Map<String, Object>> byId = new HashMap<>();
        for (Map<String, Object> r : KernelReader.rows(lake.resolve("silver").toString())) {
            byId.put(r.get("order_id"), r);
        }
        assertThat(byId).hasSize(4);
        assertThat(byId.get("a")).containsEntry("status", "PAID").containsEntry("currency", null);
        assertThat(byId.get("b")).containsEntry("status", "SHIPPED").containsEntry("currency", "USD");
        assertThat(byId.get("c")).containsEntry("status", "NEW").containsEntry("currency", null);
        assertThat(byId.get("d")).containsEntry("currency", "GBP");
    }

    @Test
    void incompatibleChangesNameBothSchemasAndTheColumn(@TempDir Path lake) {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, V1))) {
            hub.send("a", "{\"order_id\":\"a\",\"status\":\"PAID\"}");
            driver.runOneBatch();
        }
        Schema retyped =
                Schema.builder().required("order_id", DataType.STRING).optional("status", DataType.INT).build();
        Schema dropped = Schema.builder().required("order_id", DataType.STRING).build();
        Schema required = Schema.builder().required("order_id", DataType.STRING).optional("status", DataType.STRING)
                .required("currency", DataType.STRING).build();
        for (Schema bad : List.of(retyped, dropped, required)) {
            try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, bad))) {
                assertThatThrownBy(driver::runOneBatch).isInstanceOf(SchemaMismatchException.class)
                        .hasMessageContaining(V1.toString()).hasMessageContaining(bad.toString())
                        .hasMessageContaining(bad == required ? "'currency'" : "'status'");
            }
        }
    }

    @Test
    void theInMemoryTableEvolvesTheSameWay() {
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline(Path.of("mem"), V1))) {
            hub.send("a", "{\"order_id\":\"a\",\"status\":\"PAID\"}");
            driver.runOneBatch();
        }
        InMemoryTable table = InMemoryTable.create("t");
        table.create(V1);
        assertThat(table.create(V2).schema()).contains(V2);
        assertThatThrownBy(() -> table.create(V1)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("'currency'");
    }
}
