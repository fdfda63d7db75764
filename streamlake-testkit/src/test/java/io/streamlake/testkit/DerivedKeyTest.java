package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import org.junit.jupiter.api.Test;

/**
 * A derived key column, computed from the row before the key is checked: one column that stands for
 * several (silver stores it), the alternative to a key of several columns
 * ({@link CompositeKeyTest}).
 */
class DerivedKeyTest {
    private static final Schema SCHEMA = Schema.builder()
            .required("order_key", DataType.STRING)
            .required("tenant_id", DataType.STRING)
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("seq", DataType.LONG)
            .build();

    @Test
    void aKeyDerivedFromTwoColumnsMergesByBoth() {
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        Pipeline pipeline = Pipeline.from(hub).bronze("bronze").silver("silver", "order_key").withSchema(SCHEMA)
                .withDerivedColumn("order_key", r -> r.string("tenant_id") + "/" + r.string("order_id"))
                .withMergeStrategy(MergeStrategies.latestBy("seq"))
                .withQuarantine("quarantine");
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            hub.send(0, "a", "{\"tenant_id\":\"t1\",\"order_id\":\"1\",\"status\":\"NEW\",\"seq\":1}");
            hub.send(0, "a", "{\"tenant_id\":\"t2\",\"order_id\":\"1\",\"status\":\"NEW\",\"seq\":1}");
            hub.send(0, "a", "{\"tenant_id\":\"t1\",\"order_id\":\"1\",\"status\":\"PAID\",\"seq\":2}");
            hub.send(0, "a", "{\"order_id\":\"2\",\"status\":\"NEW\",\"seq\":1}"); // no tenant: a required column
            driver.runOneBatch();
            assertThat(driver.quarantine().rows()).singleElement()
                    .satisfies(r -> assertThat(r.string("reason")).isEqualTo("NULL_REQUIRED"));
            assertThat(driver.silver().rows()).extracting(r -> r.string("order_key") + "=" + r.string("status"))
                    .containsExactlyInAnyOrder("t1/1=PAID", "t2/1=NEW");
        }
    }
}
