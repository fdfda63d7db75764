package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.merge.MergeStrategies;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * StreamLake logs one line per meaningful event, never one per record: a batch that quarantines
 * records says so once, at WARN, with the count of each rule (slf4j-simple writes to standard error).
 */
class QuietLogsTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 1);

    @Test
    void aBatchThatQuarantinesRecordsLogsOneWarningWithItsCountsByRule(@TempDir Path lake) {
        Pipeline pipeline = Pipeline.from(hub)
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"));
        String logs;
        PrintStream err = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            hub.send("ok-1", Orders.json("ok-1", "PAID", 1));
            for (int i = 0; i < 50; i++) {
                hub.send(0, ("bad-" + i).getBytes(StandardCharsets.UTF_8),
                        "{\"order_id\":".getBytes(StandardCharsets.UTF_8), Map.of());
            }
            hub.send("ok-2", Orders.json("ok-2", "PAID", 2));
            driver.runOneBatch();
            assertThat(driver.quarantine()).hasRowCount(50);
            hub.send("ok-3", Orders.json("ok-3", "PAID", 3));
            driver.runOneBatch(); // a clean batch: no warning
        } finally {
            System.setErr(err);
            logs = buffer.toString(StandardCharsets.UTF_8);
            err.print(logs);
        }
        List<String> warnings = logs.lines().filter(l -> l.contains(" WARN io.streamlake.")).toList();
        assertThat(warnings).singleElement().satisfies(w -> assertThat(w)
                .contains("50 records of bronze versions up to").contains("(decode: 50)").contains("quarantined in"));
        assertThat(logs.lines().filter(l -> l.contains("io.streamlake.") && l.contains("bad-"))).isEmpty();
    }
}
