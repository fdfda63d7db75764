package io.streamlake.testkit;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.FlakyLogStore;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.CommitStateUnknownException;
import io.streamlake.merge.MergeStrategies;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A bronze or silver commit whose log entry may or may not have been stored stops the pipeline with
 * a {@link CommitStateUnknownException} naming the table and version; the restart replays from the
 * markers and every event lands exactly once, whether the commit had landed or not.
 */
class CommitStateUnknownTest {
    @TempDir Path lake;

    private final InMemoryHub hub = InMemoryHub.create("orders", 3);

    private Pipeline pipeline() {
        return Pipeline.from(hub)
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withStorageOptions(FlakyLogStore.OPTIONS)
                .withMaxBatchRecords(50);
    }

    private void send(int from, int to) {
        for (int n = from; n < to; n++) {
            hub.send(Orders.key(n), Orders.event(n));
        }
    }

    @ParameterizedTest(name = "{0} commit, fault {1}")
    @CsvSource({"bronze, AFTER_WRITE", "bronze, BEFORE_WRITE", "silver, AFTER_WRITE", "silver, BEFORE_WRITE"})
    void aRestartAfterAnUnknownCommitLandsTheBatchExactlyOnce(String stage, FlakyLogStore.Fault fault) {
        String bronze = lake.resolve("bronze").toString();
        String silver = lake.resolve("silver").toString();
        String failing = lake.resolve(stage).toString();
        send(0, 50);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline())) {
            assertThat(driver.runOneBatch()).isEqualTo(50);
            send(50, 120);
            long before = KernelReader.version(failing);
            FlakyLogStore.arm(lake.resolve(stage), fault);

            CommitStateUnknownException e =
                    catchThrowableOfType(driver::runOneBatch, CommitStateUnknownException.class);
            assertThat(e.tableLocation()).hasValue(DeltaTable.open(failing, Map.of()).location());
            assertThat(e.attemptedVersion()).hasValue(before + 1);
            assertThat(KernelReader.version(failing)).isEqualTo(fault == FlakyLogStore.Fault.AFTER_WRITE
                    ? before + 1 : before);

            // only a bronze commit that did not land leaves its 50 events to read again
            assertThat(driver.runUntilCaughtUp()).isEqualTo(
                    stage.equals("bronze") && fault == FlakyLogStore.Fault.BEFORE_WRITE ? 70 : 20);
            assertThat(driver.starts()).isEqualTo(2);
        }
        assertThat(KernelReader.rows(bronze)).hasSize(120);
        assertThat(KernelReader.rows(bronze).stream().map(r -> r.get("partition") + "@" + r.get("position"))
                .distinct()).hasSize(120);
        Orders.assertSilverHoldsLatestStatus(silver, 120);
        assertThat(KernelReader.transaction(silver, "streamlake/silver")).contains(KernelReader.version(bronze));
    }
}
