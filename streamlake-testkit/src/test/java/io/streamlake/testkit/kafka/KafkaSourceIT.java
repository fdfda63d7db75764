package io.streamlake.testkit.kafka;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.exceptions.SourceException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.StartPosition;
import io.streamlake.testkit.Orders;
import io.streamlake.testkit.PipelineTestDriver;
import io.streamlake.testkit.Stage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka source against a real broker in this JVM, with real Delta tables read back by Delta
 * Kernel: exactly-once across a restart at every crash point, the consumer-group offset copies,
 * lost positions in both modes, start positions and the record mapping.
 */
class KafkaSourceIT extends EmbeddedKafkaTest {
    private static final AtomicInteger TOPICS = new AtomicInteger();
    @TempDir Path lake;

    static String newTopic(int partitions) {
        String topic = "t" + TOPICS.incrementAndGet();
        kafka.createTopic(topic, partitions);
        return topic;
    }

    private Pipeline orders(KafkaSource source, String name) {
        return Pipeline.from(source)
                .bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withMaxBatchRecords(50)
                .withTargetFileRows(40)
                .withName(name);
    }

    private Pipeline bronzeOnly(KafkaSource source, String name) {
        return bronzeOnly(source, name, "bronze");
    }

    private Pipeline bronzeOnly(KafkaSource source, String name, String table) {
        return Pipeline.from(source).bronze(lake.resolve(table).toString()).bronzeOnly().withName(name);
    }

    @Test
    void everyCrashPointEndsWithEveryEventExactlyOnceAsKernelReadsIt() {
        String topic = newTopic(4);
        Pipeline pipeline = orders(KafkaSource.topics(kafka.bootstrapServers(), topic), "crash");
        int next = 0;
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 60; i++, next++) {
                    producer.send(Orders.key(next), Orders.event(next)); // some arrive out of order
                }
                producer.flush();
                // Each round runs as a new process: a new driver, a new consumer, the same tables.
                try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
                    switch (round) {
                        case 0 -> driver.crashBeforeNextCommit(Stage.BRONZE);
                        case 1 -> driver.crashAfterNextCommit(Stage.BRONZE);
                        case 2 -> driver.crashBeforeNextCommit(Stage.SILVER);
                        case 3 -> driver.crashAfterNextCommit(Stage.SILVER);
                        case 4 -> driver.failNextCommit(Stage.BRONZE);
                        default -> {
                        }
                    }
                    if (round < 5) {
                        KafkaTesting.runUntilFailure(driver);
                    }
                    driver.runUntilCaughtUp();
                    assertThat(driver.bronze()).hasRowCount(next).hasNoDuplicates("partition", "position");
                }
            }
        }

        String bronze = lake.resolve("bronze").toString();
        List<Map<String, Object>> bronzeRows = KernelReader.rows(bronze);
        assertThat(bronzeRows).hasSize(360);
        assertThat(bronzeRows.stream().map(r -> r.get("partition") + "@" + r.get("position")).distinct()).hasSize(360);
        assertThat(bronzeRows).allSatisfy(r -> assertThat(r.get("source")).isEqualTo(topic));
        Orders.assertSilverHoldsLatestStatus(lake.resolve("silver").toString(), 360);
    }

    @Test
    void committedOffsetsAreCopiedToTheConsumerGroupForLagTools() throws Exception {
        String topic = newTopic(4);
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int i = 0; i < 200; i++) {
                producer.send("k" + i, "{}");
            }
        }
        Pipeline pipeline = bronzeOnly(KafkaSource.topics(kafka.bootstrapServers(), topic), "lag-tools");
        assertThat(pipeline.runUntilCaughtUp().eventsIngested()).isEqualTo(200);

        // No waiting for the copy: a run copies its last offsets synchronously when it closes the
        // consumer, so they are in the group when runUntilCaughtUp() returns. (An asynchronous copy
        // only sent before the close, which waits a bounded time, could be lost on a loaded machine.)
        Map<Integer, Long> ends = kafka.endOffsets(topic);
        Map<TopicPartition, OffsetAndMetadata> group = kafka.admin().listConsumerGroupOffsets("lag-tools")
                .partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
        Map<Integer, Long> copied = group.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
                .collect(Collectors.toMap(e -> e.getKey().partition(), e -> e.getValue().offset()));
        assertThat(copied).isEqualTo(ends);
        // The copies are for monitoring only: a group id of our own changes nothing about progress.
        Pipeline other = bronzeOnly(KafkaSource.topics(kafka.bootstrapServers(), topic).withGroupId("elsewhere"),
                "lag-tools");
        assertThat(other.runUntilCaughtUp().eventsIngested()).isZero();
    }

    @Test
    void positionsLostToRetentionFailByDefaultNamingTopicPartitionAndBothOffsets() {
        String topic = newTopic(1);
        Pipeline pipeline = tenIngestedThenFiveLost(topic, KafkaSource.topics(kafka.bootstrapServers(), topic),
                "retention-fail");

        assertThatThrownBy(pipeline::runUntilCaughtUp).isInstanceOf(SourceException.class)
                .hasMessageContaining("offset 10 of topic " + topic + " partition 0")
                .hasMessageContaining("earliest offset it holds is 15")
                .hasMessageContaining("skipLostPositions");
        assertThat(KernelReader.rows(lake.resolve("bronze").toString())).hasSize(10);
    }

    @Test
    void positionsLostToRetentionNameTheSourceAndPartitionAsFields() {
        String topic = newTopic(1);
        Pipeline pipeline = tenIngestedThenFiveLost(topic, KafkaSource.topics(kafka.bootstrapServers(), topic),
                "retention-fields");

        SourceException e = catchThrowableOfType(SourceException.class, pipeline::runUntilCaughtUp);
        assertThat(e.partition()).hasValue(new SourcePartition(topic, 0));
        assertThat(e.source()).hasValue(topic);
    }

    @Test
    void positionsLostToRetentionAreSkippedAndReportedWhenAsked() {
        String topic = newTopic(1);
        KafkaSource source = KafkaSource.topics(kafka.bootstrapServers(), topic).skipLostPositions();
        Pipeline pipeline = tenIngestedThenFiveLost(topic, source, "retention-skip");

        PipelineProgress progress = pipeline.runUntilCaughtUp();
        assertThat(progress.eventsIngested()).isEqualTo(5);
        assertThat(progress.gaps()).containsExactly(new PositionGap(new SourcePartition(topic, 0), 10, 15));
        List<Map<String, Object>> rows = KernelReader.rows(lake.resolve("bronze").toString());
        assertThat(rows).extracting(r -> r.get("position")).containsExactlyInAnyOrder(
                0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 15L, 16L, 17L, 18L, 19L);
    }

    @Test
    void startPositionsApplyOnlyWhereBronzeHoldsNoMarker() {
        String topic = newTopic(2);
        Instant t0 = Instant.ofEpochSecond(Instant.now().getEpochSecond() - 60);
        try (KafkaProducer<byte[], byte[]> producer = rawProducer()) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, t0.plusSeconds(i).toEpochMilli(), null,
                        bytes("v" + i)));
            }
        }
        KafkaSource source = KafkaSource.topics(kafka.bootstrapServers(), topic);
        // one bronze table each: a table refuses a second pipeline name for the same source
        assertThat(bronzeOnly(source.withStartPosition(StartPosition.latest()), "start-latest", "bronze-latest")
                .runUntilCaughtUp().eventsIngested()).isZero();
        // Seconds 6..9: two events in each partition.
        assertThat(bronzeOnly(source.withStartPosition(StartPosition.timestamp(t0.plusSeconds(6))), "start-time",
                "bronze-time").runUntilCaughtUp().eventsIngested()).isEqualTo(4);
        // Partition 0 from offset 3 (2 events), partition 1 from the earliest (5 events).
        Pipeline atOffsets = bronzeOnly(source.withStartPosition(
                StartPosition.offsets(Map.of(new SourcePartition(topic, 0), 3L))), "start-offsets", "bronze-offsets");
        assertThat(atOffsets.runUntilCaughtUp().eventsIngested()).isEqualTo(7);
        // Once markers exist, the start position no longer matters: the run resumes after them.
        try (KafkaProducer<byte[], byte[]> producer = rawProducer()) {
            producer.send(new ProducerRecord<>(topic, 0, null, bytes("late")));
        }
        assertThat(atOffsets.runUntilCaughtUp().eventsIngested()).isEqualTo(1);
    }

    @Test
    void aRewindBeforeTheFirstCommitReturnsToTheResolvedLatestPositionNotToTheNewEnd() {
        String topic = newTopic(1);
        sendNumbered(topic, 0, 5); // before the start: "latest" skips these
        SourceContext noMarkers = new SourceContext() {
            @Override
            public String pipelineName() {
                return "rewind-latest";
            }

            @Override
            public OptionalLong committedPosition(SourcePartition partition) {
                return OptionalLong.empty();
            }

            @Override
            public void reportGap(PositionGap gap) {
                throw new AssertionError(gap);
            }
        };
        KafkaSource source =
                KafkaSource.topics(kafka.bootstrapServers(), topic).withStartPosition(StartPosition.latest());
        try (SourceReader reader = source.open(noMarkers)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!(reader.poll(100, Duration.ofMillis(100)).isEmpty() && reader.caughtUp())) {
                assertThat(System.nanoTime()).as("the reader joins its group").isLessThan(deadline);
            }
            sendNumbered(topic, 5, 8);
            assertThat(positions(reader, 3)).containsExactly(5L, 6L, 7L);
            reader.rewind(); // as after a commit conflict: nothing of partition 0 was committed yet
            sendNumbered(topic, 8, 9);
            assertThat(positions(reader, 4)).containsExactly(5L, 6L, 7L, 8L);
        }
    }

    private static List<Long> positions(SourceReader reader, int count) {
        List<Long> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (out.size() < count && System.nanoTime() < deadline) {
            reader.poll(count - out.size(), Duration.ofMillis(200)).forEach(r -> out.add(r.position()));
        }
        return out;
    }

    @Test
    void recordsKeepKeyValueHeadersAndTimestamp() {
        String topic = newTopic(1);
        Instant time = Instant.parse("2026-02-03T04:05:06.789Z");
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace", bytes("first"));
        headers.add("trace", bytes("second")); // a repeated name: the last value wins
        headers.add("empty", null);
        try (KafkaProducer<byte[], byte[]> producer = rawProducer()) {
            producer.send(new ProducerRecord<>(topic, 0, time.toEpochMilli(), bytes("k"), bytes("v"), headers));
            producer.send(new ProducerRecord<>(topic, 0, time.toEpochMilli(), (byte[]) null, (byte[]) null));
        }
        bronzeOnly(KafkaSource.topics(kafka.bootstrapServers(), topic), "mapping").runUntilCaughtUp();

        List<Map<String, Object>> rows = KernelReader.rows(lake.resolve("bronze").toString());
        assertThat(rows).hasSize(2);
        Map<String, Object> first = rows.stream().filter(r -> r.get("position").equals(0L)).findFirst().orElseThrow();
        assertThat(first.get("key")).isEqualTo(bytes("k"));
        assertThat(first.get("value")).isEqualTo(bytes("v"));
        assertThat(first.get("source_timestamp")).isEqualTo(time);
        @SuppressWarnings("unchecked")
        Map<String, Object> h = (Map<String, Object>) first.get("headers");
        assertThat(h).containsOnlyKeys("trace", "empty");
        assertThat(h.get("trace")).isEqualTo(bytes("second"));
        assertThat(h.get("empty")).isNull();
        Map<String, Object> tombstone = rows.stream().filter(r -> r.get("position").equals(1L)).findFirst()
                .orElseThrow();
        assertThat(tombstone.get("key")).isNull();
        assertThat(tombstone.get("value")).isNull();
    }

    /**
     * @return a bronze-only pipeline over the source that ingested offsets 0 to 9 of the topic's one
     *     partition, after which 10 to 19 were sent and retention deleted 10 to 14
     */
    private Pipeline tenIngestedThenFiveLost(String topic, KafkaSource source, String name) {
        Pipeline pipeline = bronzeOnly(source, name);
        sendNumbered(topic, 0, 10);
        assertThat(pipeline.runUntilCaughtUp().eventsIngested()).isEqualTo(10);
        sendNumbered(topic, 10, 20);
        kafka.deleteRecordsBefore(topic, 0, 15);
        return pipeline;
    }

    private static void sendNumbered(String topic, int from, int to) {
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int i = from; i < to; i++) {
                producer.send(0, null, bytes("event " + i));
            }
        }
    }

    private static KafkaProducer<byte[], byte[]> rawProducer() {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", kafka.bootstrapServers());
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
