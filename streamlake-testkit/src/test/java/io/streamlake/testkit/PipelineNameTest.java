package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progress is kept by pipeline name: a rename over existing bronze would ingest every event again. */
class PipelineNameTest {
    private final InMemoryHub hub = InMemoryHub.create("orders", 2);

    private Pipeline pipeline(Path lake, String name) {
        return Pipeline.from(hub).bronze(lake.resolve("bronze").toString()).bronzeOnly().withName(name);
    }

    @Test
    void aRenamedPipelineIsRefusedInsteadOfIngestingEverythingAgain(@TempDir Path lake) {
        for (int i = 0; i < 10; i++) {
            hub.send("k" + i, Orders.json("k" + i, "PAID", i));
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, "orders-ingest"))) {
            driver.runUntilCaughtUp();
        }
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, "orders-ingest-v2"))) {
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("'orders-ingest'").hasMessageContaining("'orders-ingest-v2'")
                    .hasMessageContaining("withName(\"orders-ingest\")");
        }
        assertThat(KernelReader.rows(lake.resolve("bronze").toString())).hasSize(10);
        // under its own name it continues where it was, each event once
        hub.send("k10", Orders.json("k10", "PAID", 10));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, "orders-ingest"))) {
            driver.runUntilCaughtUp();
            assertThat(driver.bronze()).hasRowCount(11).hasNoDuplicates("partition", "position");
        }
    }

    @Test
    void anotherSourceMayShareTheBronzeTableUnderAnotherName(@TempDir Path lake) {
        InMemoryHub payments = InMemoryHub.create("payments", 1);
        hub.send("o", Orders.json("o", "PAID", 1));
        payments.send("p", Orders.json("p", "PAID", 1));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(lake, "orders-ingest"))) {
            driver.runUntilCaughtUp();
        }
        Pipeline other = Pipeline.from(payments).bronze(lake.resolve("bronze").toString()).bronzeOnly()
                .withName("payments-ingest");
        try (PipelineTestDriver driver = PipelineTestDriver.create(other)) {
            driver.runUntilCaughtUp();
            assertThat(driver.bronze()).hasRowCount(2);
        }
    }
}
