package io.streamlake.testkit.kafka;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import java.nio.file.Path;

/**
 * A bronze + silver pipeline over a topic until caught up, in a process of its own, so that a test
 * can give it a small heap ({@link LargeCompressedEventsIT}). Prints
 * {@code DONE events=N silverRows=M} at the end; a failure ends the process with its stack trace.
 */
public final class SmallHeapPipeline {
    /** The silver schema of the events the test produces. */
    static final Schema SCHEMA = Schema.builder().required("order_id", DataType.STRING)
            .optional("seq", DataType.LONG).optional("blob", DataType.STRING).build();

    private SmallHeapPipeline() {
    }

    /** @param args bootstrap servers, topic, lake folder */
    public static void main(String[] args) {
        Path lake = Path.of(args[2]);
        PipelineProgress progress = Pipeline.from(KafkaSource.topics(args[0], args[1]))
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("seq"))
                .withName("small-heap")
                .runUntilCaughtUp();
        System.out.println("DONE events=" + progress.eventsIngested() + " silverRows=" + progress.silverRowsChanged());
    }
}
