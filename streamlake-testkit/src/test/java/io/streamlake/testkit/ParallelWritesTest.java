package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.merge.MergeStrategies;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine at a writer parallelism of eight, whatever the machine's cores: a full batch is written
 * as eight bronze slices at once, decoded in eight slices, and merged into silver files rewritten on
 * eight threads. Every bronze value and every silver row is then read back with Delta Kernel and
 * compared with what was sent.
 */
class ParallelWritesTest {
    private static final int BATCH = Pipeline.DEFAULT_MAX_BATCH_RECORDS;
    private static final int KEYS = 60_000;

    @Test
    void eightWayWritesReadBackValueByValue(@TempDir Path lake) {
        InMemoryHub hub = InMemoryHub.create("orders", 4);
        String bronze = lake.resolve("bronze").toString();
        String silver = lake.resolve("silver").toString();
        Pipeline pipeline = Pipeline.from(hub).bronze(bronze).silver(silver, "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withTargetFileRows(4_000)
                .withoutCompaction()
                .withWriterParallelism(8);
        Map<List<Object>, ByteBuffer> sent = new HashMap<>();
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            for (int batch = 0; batch < 2; batch++) {
                for (int i = 0; i < BATCH; i++) {
                    int n = batch * BATCH + i;
                    String json = Orders.json("o-" + (n % KEYS), "S" + n, n);
                    long position = hub.send(n % 4, "o-" + (n % KEYS), json);
                    sent.put(List.of(n % 4, position), ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)));
                }
                assertThat(driver.runOneBatch()).isEqualTo(BATCH);
                // one commit, eight bronze files written side by side
                assertThat(driver.bronze().files()).hasSize(8 * (batch + 1));
            }
            assertThat(driver.silver().files().size()).as("silver files rewritten in parallel").isGreaterThan(8);
        }

        List<Map<String, Object>> bronzeRows = KernelReader.rows(bronze);
        assertThat(bronzeRows).hasSize(2 * BATCH);
        for (Map<String, Object> row : bronzeRows) {
            ByteBuffer expected = sent.remove(List.of(row.get("partition"), row.get("position")));
            assertThat(expected).as("bronze row %s/%s sent once", row.get("partition"), row.get("position"))
                    .isNotNull();
            assertThat(ByteBuffer.wrap((byte[]) row.get("value"))).isEqualTo(expected);
        }
        assertThat(sent).isEmpty();

        // Each order's latest event is the last one sent for it (updated_at grows with n).
        List<Map<String, Object>> silverRows = KernelReader.rows(silver);
        assertThat(silverRows).hasSize(KEYS);
        for (Map<String, Object> row : silverRows) {
            int k = Integer.parseInt(((String) row.get("order_id")).substring(2));
            int last = k + KEYS * ((2 * BATCH - 1 - k) / KEYS);
            assertThat(row.get("status")).as("order o-%d", k).isEqualTo("S" + last);
        }
    }
}
