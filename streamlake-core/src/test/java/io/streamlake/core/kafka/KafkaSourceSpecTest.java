package io.streamlake.core.kafka;

import static io.streamlake.core.testing.SpecChanges.change;

import io.streamlake.core.testing.SpecChanges;
import io.streamlake.source.StartPosition;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every option of {@link KafkaSource} changes its own component of the source's state and no other. */
class KafkaSourceSpecTest {
    @Test
    void everyOptionChangesExactlyItsOwnComponents() {
        Map<String, SpecChanges.Change<KafkaSource>> m = new LinkedHashMap<>();
        m.put("withGroupId(String)", change(s -> s.withGroupId("ingest"), "groupId"));
        m.put("withStartPosition(StartPosition)", change(s -> s.withStartPosition(StartPosition.latest()),
                "startPosition"));
        m.put("skipLostPositions()", change(KafkaSource::skipLostPositions, "skipLostPositions"));
        m.put("withConnectTimeout(Duration)", change(s -> s.withConnectTimeout(Duration.ofSeconds(5)),
                "connectTimeout"));
        m.put("waitForTopics(Duration)", change(s -> s.waitForTopics(Duration.ofMinutes(1)), "topicWait"));
        m.put("withMaxPollRecords(int)", change(s -> s.withMaxPollRecords(7), "consumerProperties"));
        m.put("withMaxFetchBytes(int)", change(s -> s.withMaxFetchBytes(7), "consumerProperties"));
        m.put("withMaxFetchWait(Duration)", change(s -> s.withMaxFetchWait(Duration.ofMillis(7)),
                "consumerProperties"));
        m.put("withConsumerProperty(String,String)", change(s -> s.withConsumerProperty("k", "v"),
                "consumerProperties"));
        m.put("withConsumerProperties(Map)", change(s -> s.withConsumerProperties(Map.of("k", "v")),
                "consumerProperties"));
        SpecChanges.check(KafkaSource.class, KafkaSource.topics("localhost:9092", "orders"), m,
                Set.of("bootstrapServers", "topics", "topicPattern"));
    }
}
