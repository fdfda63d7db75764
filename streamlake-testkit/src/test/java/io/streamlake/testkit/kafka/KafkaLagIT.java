package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamlake.Pipeline;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.core.metrics.PipelineMetrics;
import io.streamlake.event.BatchCommitted;
import io.streamlake.source.SourcePartition;
import io.streamlake.testkit.Orders;
import io.streamlake.testkit.PipelineTestDriver;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Records behind per partition from a real broker: the Kafka reader's lag after a partial batch, and after catching up. */
class KafkaLagIT extends EmbeddedKafkaTest {
    @TempDir Path lake;

    @Test
    void recordsBehindIsPositiveAfterAPartialBatchAndZeroOnceCaughtUp() {
        String topic = KafkaSourceIT.newTopic(1);
        SourcePartition partition = new SourcePartition(topic, 0);
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int n = 0; n < 30; n++) {
                producer.send(Orders.key(n), Orders.event(n));
            }
            producer.flush();
        }
        MeterRegistry registry = new SimpleMeterRegistry();
        Pipeline pipeline = Pipeline.from(KafkaSource.topics(kafka.bootstrapServers(), topic))
                .bronze(lake.resolve("bronze").toString()).bronzeOnly().withMaxBatchRecords(10).withName("lag")
                .withListener(PipelineMetrics.listener(registry));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            int events = 0;
            while (events == 0) { // the first polls wait for the group to assign the partition
                events = driver.runOneBatch();
            }
            assertThat(events).isEqualTo(10);
            BatchCommitted first = driver.events(BatchCommitted.class).get(0);
            assertThat(first.recordsBehind()).as("from the consumer's last fetch").containsKey(partition);
            assertThat(first.recordsBehind().get(partition)).as("30 produced, 10 read").isEqualTo(20L);
            assertThat(behind(registry, topic)).isEqualTo(first.recordsBehind().get(partition).doubleValue());

            assertThat(driver.runUntilCaughtUp()).isEqualTo(20);
            List<BatchCommitted> batches = driver.events(BatchCommitted.class);
            assertThat(batches.get(batches.size() - 1).recordsBehind()).containsEntry(partition, 0L);
            assertThat(behind(registry, topic)).isZero();
        }
    }

    private static double behind(MeterRegistry registry, String topic) {
        return registry.get(PipelineMetrics.SOURCE_RECORDS_BEHIND).tags("pipeline", "lag", "partition", topic + "/0")
                .gauge().value();
    }
}
