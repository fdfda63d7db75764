package io.streamlake.testkit.kafka;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.testkit.Orders;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One instance of the scaled-out pipeline, in a process of its own, for the tests that kill one with
 * SIGKILL ({@link KafkaKillIT}): runs until killed (or its standard input closes) and prints its
 * progress every 200 ms as {@code PROGRESS events=N silverRows=M writer=true|false}.
 */
public final class ScaleOutInstance {
    private ScaleOutInstance() {
    }

    /** @param args bootstrap servers, topic, lake folder, the instance's name (its consumer's client id) */
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        Path lake = Path.of(args[2]);
        String name = args[3];
        Pipeline pipeline = Pipeline.from(KafkaSource.topics(bootstrap, topic)
                .withConsumerProperty("client.id", name)
                // a dead instance leaves the group within 6 s, not Kafka's 45
                .withConsumerProperty("session.timeout.ms", "6000")
                .withConsumerProperty("heartbeat.interval.ms", "500"))
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withMaxBatchRecords(500)
                .withPollTimeout(Duration.ofMillis(100))
                .withName("killed");
        Thread stdin = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent keeps it open; its end is the signal to stop
                }
            } catch (java.io.IOException e) {
                // the same signal
            }
        });
        try (PipelineRun run = pipeline.start()) {
            stdin.setDaemon(true);
            stdin.start();
            while (stdin.isAlive() && !run.awaitTermination(Duration.ofMillis(200))) {
                PipelineProgress p = run.progress();
                System.out.println("PROGRESS events=" + p.eventsIngested() + " silverRows=" + p.silverRowsChanged()
                        + " state=" + p.state());
                System.out.flush();
            }
        }
    }
}
