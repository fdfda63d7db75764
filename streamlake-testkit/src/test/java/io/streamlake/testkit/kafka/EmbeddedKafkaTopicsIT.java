package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A topic {@link EmbeddedKafka#createTopic} returned is ready to write: an idempotent producer's very
 * first request to each partition is taken, with no NOT_LEADER_OR_FOLLOWER that would leave its first
 * batch refused as out of sequence until the delivery timeout.
 */
class EmbeddedKafkaTopicsIT extends EmbeddedKafkaTest {
    @Test
    void everyPartitionOfANewTopicTakesTheFirstRecordsAtOnce() throws Exception {
        Map<String, Object> config = Map.of("bootstrap.servers", kafka.bootstrapServers(), "enable.idempotence", true,
                "acks", "all", "delivery.timeout.ms", 15_000, "request.timeout.ms", 5_000, "linger.ms", 0);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            for (int t = 0; t < 15; t++) {
                String topic = "ready" + t;
                assertThat(kafka.createTopic(topic, 8)).isTrue();
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (int p = 0; p < 8; p++) {
                    for (int n = 0; n < 3; n++) {
                        sent.add(producer.send(new ProducerRecord<>(topic, p, "k", "v" + n)));
                    }
                }
                for (Future<RecordMetadata> f : sent) {
                    f.get(20, TimeUnit.SECONDS);
                }
                assertThat(kafka.endOffsets(topic).values()).containsOnly(3L);
            }
        }
    }
}
