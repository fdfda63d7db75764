package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamlake.Pipeline;
import io.streamlake.event.BatchCommitted;
import io.streamlake.table.TableCommit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each bronze and silver commit records what its micro-batch did, in the commit's user metadata: read
 * back from the Delta log's JSON files by an independent parser, and through {@code Table.history}.
 */
class CommitNotesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path lake;
    private final InMemoryHub hub = InMemoryHub.create("orders", 2);

    private Pipeline pipeline() {
        return Orders.checkedPipeline(hub, lake + "/").withName("orders-ingest");
    }

    @Test
    void everyBatchCommitSaysWhatItsBatchDid() throws IOException {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            hub.send(0, "o-1", Orders.json("o-1", "CREATED", 0));
            hub.send(1, "o-2", Orders.json("o-2", "CREATED", 1).replace("\"items\":2", "\"items\":0"));
            hub.send(0, "o-1", Orders.json("o-1", "PAID", 2));
            driver.runOneBatch();
            hub.send(1, "o-3", Orders.json("o-3", "CREATED", 3));
            driver.runOneBatch();

            List<BatchCommitted> batches = driver.events(BatchCommitted.class);
            List<JsonNode> bronze = notes(lake.resolve("bronze/orders"));
            assertThat(bronze).hasSize(2);
            for (int i = 0; i < 2; i++) {
                BatchCommitted b = batches.get(i);
                JsonNode n = bronze.get(i);
                assertThat(n.get("streamlake").asInt()).isEqualTo(1);
                assertThat(n.get("flow").asText()).isEqualTo("bronze");
                assertThat(n.get("pipeline").asText()).isEqualTo("orders-ingest");
                assertThat(n.get("events").asInt()).isEqualTo(b.events());
                assertThat(n.get("bytes").asLong()).isEqualTo(b.bytes());
                assertThat(n.get("positions")).hasSize(b.positions().size());
                for (int p = 0; p < b.positions().size(); p++) {
                    JsonNode range = n.get("positions").get(p);
                    assertThat(range.get("stream").asText()).isEqualTo(b.positions().get(p).partition().stream());
                    assertThat(range.get("partition").asInt()).isEqualTo(b.positions().get(p).partition().id());
                    assertThat(range.get("after").asLong()).isEqualTo(b.positions().get(p).afterPosition());
                    assertThat(range.get("last").asLong()).isEqualTo(b.positions().get(p).lastPosition());
                }
            }

            // the first start also records that silver is level with bronze's creation (no rows)
            List<JsonNode> silver = notes(lake.resolve("silver/orders"));
            assertThat(silver).hasSize(3);
            assertThat(silver.get(0).get("bronzeTo").asLong()).isEqualTo(batches.get(0).bronzeVersion() - 1);
            assertThat(silver.get(0).get("rowsChanged").asLong()).isZero();
            JsonNode first = silver.get(1);
            assertThat(first.get("flow").asText()).isEqualTo("silver");
            assertThat(first.get("bronzeFrom").asLong()).isEqualTo(first.get("bronzeTo").asLong())
                    .isEqualTo(batches.get(0).bronzeVersion());
            assertThat(first.get("rowsChanged").asLong()).isEqualTo(1);
            assertThat(first.get("quarantined").asLong()).isEqualTo(1);
            assertThat(expectation(first, "positive_items")).isEqualTo("QUARANTINE 2 1");
            assertThat(expectation(silver.get(2), "positive_items")).isEqualTo("QUARANTINE 1 0");

            // the same through the table SPI, with the operation and the version
            List<TableCommit> history = driver.bronzeTable().history(0, Long.MAX_VALUE);
            assertThat(history).filteredOn(c -> c.userMetadata() != null).extracting(TableCommit::version)
                    .containsExactly(batches.get(0).bronzeVersion(), batches.get(1).bronzeVersion());
            assertThat(history).filteredOn(c -> c.userMetadata() != null).extracting(TableCommit::operation)
                    .containsOnly("STREAMING UPDATE");
        }
    }

    @Test
    void aSilverCommitAfterACrashSaysWhichBronzeVersionsItCaughtUpOn() throws IOException {
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            hub.send("o-1", Orders.json("o-1", "CREATED", 0));
            driver.runOneBatch();
            driver.crashAfterNextCommit(Stage.BRONZE);
            hub.send("o-1", Orders.json("o-1", "PAID", 1));
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            hub.send("o-2", Orders.json("o-2", "CREATED", 2));
            driver.runOneBatch(); // restarts: silver catches up on the crashed batch first, then this one

            List<JsonNode> bronze = notes(lake.resolve("bronze/orders"));
            List<JsonNode> silver = notes(lake.resolve("silver/orders"));
            assertThat(bronze).hasSize(3);
            long b1 = driver.events(BatchCommitted.class).get(0).bronzeVersion();
            // the versions before b1 created the table; b1 + 1 crashed before silver; b1 + 2 after the restart
            assertThat(silver).extracting(n -> n.get("bronzeFrom").asLong() + ".." + n.get("bronzeTo").asLong())
                    .as("every bronze version merged once, none twice")
                    .containsExactly("0.." + (b1 - 1), b1 + ".." + b1, (b1 + 1) + ".." + (b1 + 1),
                            (b1 + 2) + ".." + (b1 + 2));
            assertThat(silver).extracting(n -> n.get("rowsChanged").asLong()).containsExactly(0L, 1L, 1L, 1L);
        }
    }

    /** @return the user metadata of every commit that has one, in version order, parsed by Jackson */
    private static List<JsonNode> notes(Path table) throws IOException {
        List<JsonNode> notes = new ArrayList<>();
        try (Stream<Path> files = Files.list(table.resolve("_delta_log"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    JsonNode info = JSON.readTree(line).get("commitInfo");
                    if (info != null && info.hasNonNull("userMetadata")) {
                        notes.add(JSON.readTree(info.get("userMetadata").asText()));
                    }
                }
            }
        }
        return notes;
    }

    private static String expectation(JsonNode note, String name) {
        for (JsonNode e : note.get("expectations")) {
            if (e.get("name").asText().equals(name)) {
                return e.get("action").asText() + " " + e.get("passed").asLong() + " " + e.get("failed").asLong();
            }
        }
        throw new AssertionError("no expectation " + name + " in " + note);
    }
}
