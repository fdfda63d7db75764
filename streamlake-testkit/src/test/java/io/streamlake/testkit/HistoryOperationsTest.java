package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.table.TableCommit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tables' history reads as Spark's does: a bronze append is a {@code STREAMING UPDATE} in output
 * mode Append, a silver merge a {@code MERGE} with its predicate and its rows inserted, updated and
 * deleted; and every version the history lists can be read back by another reader (Delta Kernel).
 */
class HistoryOperationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final InMemoryHub hub = InMemoryHub.create("orders", 1);

    private Pipeline pipeline(Path lake) {
        return Orders.latestPipeline(hub, lake);
    }

    private static JsonNode commitInfo(Path table, long version) throws IOException {
        for (String line : Files
                .readAllLines(table.resolve("_delta_log").resolve(String.format("%020d.json", version)))) {
            JsonNode info = JSON.readTree(line).get("commitInfo");
            if (info != null) {
                return info;
            }
        }
        throw new AssertionError("no commitInfo in version " + version + " of " + table);
    }

    @Test
    void bronzeAppendsAndSilverMergesAreLabelledAsSparkLabelsThemAndEveryListedVersionReads(@TempDir Path lake)
            throws IOException {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake))) {
            hub.send("a", Orders.json("a", "CREATED", 1));
            hub.send("b", Orders.json("b", "CREATED", 2));
            driver.runOneBatch();
            hub.send("a", Orders.json("a", "PAID", 3)); // an update
            hub.send("c", Orders.json("c", "CREATED", 4)); // an insert
            hub.send("b", Orders.json("b", "STALE", 0)); // older than what silver holds: kept out
            driver.runOneBatch();

            JsonNode merge = commitInfo(lake.resolve("silver"), driver.silver().version());
            assertThat(merge.get("operation").asText()).isEqualTo("MERGE");
            assertThat(merge.get("operationParameters").get("predicate").asText())
                    .isEqualTo("target.order_id = source.order_id");
            JsonNode metrics = merge.get("operationMetrics");
            assertThat(metrics.get("numSourceRows").asText()).isEqualTo("3");
            assertThat(metrics.get("numTargetRowsInserted").asText()).isEqualTo("1");
            assertThat(metrics.get("numTargetRowsUpdated").asText()).isEqualTo("1");
            assertThat(metrics.get("numTargetRowsDeleted").asText()).isEqualTo("0");

            JsonNode append = commitInfo(lake.resolve("bronze"), driver.bronze().version());
            assertThat(append.get("operation").asText()).isEqualTo("STREAMING UPDATE");
            assertThat(append.get("operationParameters").get("outputMode").asText()).isEqualTo("Append");
            // Spark's query id and batch number: the run, and the batch's place in it
            assertThat(append.get("operationParameters").get("epochId").asText()).isEqualTo("2");
            String query = append.get("operationParameters").get("queryId").asText();
            assertThat(java.util.UUID.fromString(query)).isNotNull();
            JsonNode first = commitInfo(lake.resolve("bronze"), driver.bronze().version() - 1);
            assertThat(first.get("operationParameters").get("epochId").asText()).isEqualTo("1");
            assertThat(first.get("operationParameters").get("queryId").asText()).isEqualTo(query);

            for (String table : List.of("bronze", "silver")) {
                String path = lake.resolve(table).toString();
                List<TableCommit> history = DeltaTable.open(path, Map.of()).history(0, Long.MAX_VALUE);
                assertThat(history).isNotEmpty();
                for (TableCommit c : history) {
                    KernelReader.rowsAt(path, c.version()); // throws if the version cannot be read
                }
            }
            assertThat(KernelReader.rowsAt(lake.resolve("silver").toString(), driver.silver().version())).hasSize(3);
        }
    }
}
