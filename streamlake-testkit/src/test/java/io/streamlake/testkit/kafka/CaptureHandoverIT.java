package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.core.capture.Capture;
import io.streamlake.core.capture.CaptureArchive;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.exceptions.SourceException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.source.PositionGap;
import io.streamlake.source.Source;
import io.streamlake.source.SourcePartition;
import io.streamlake.testkit.capture.CaptureFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.avro.file.CodecFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Capture archive handing over to a real Kafka broker (Event Hubs' Kafka endpoint speaks the same
 * protocol, with the event hub's sequence numbers as offsets): no gap, no duplicate, and a gap the
 * broker's retention made fails or is reported exactly as for a Kafka source alone.
 */
class CaptureHandoverIT extends EmbeddedKafkaTest {
    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static final Schema SCHEMA = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .build();
    private static final int PARTITIONS = 4;
    private static final int ARCHIVED = 60;
    private static final int LIVE = 20;

    @TempDir Path tmp;

    /**
     * A topic holding events 0 to ARCHIVED + LIVE - 1 of every partition, and Capture files of the
     * first ARCHIVED, as an event hub with Capture on would have.
     */
    private String hubWithArchive() {
        String topic = "hub" + TOPICS.incrementAndGet();
        kafka.createTopic(topic, PARTITIONS);
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int p = 0; p < PARTITIONS; p++) {
                for (int s = 0; s < ARCHIVED + LIVE; s++) {
                    producer.send(p, ("k" + (s % 10)).getBytes(StandardCharsets.UTF_8),
                            CaptureFixture.body(p, s).getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        for (int p = 0; p < PARTITIONS; p++) {
            CaptureFixture.write(tmp.resolve("capture"), "ns", topic, p, CaptureFixture.T0,
                    CodecFactory.deflateCodec(6),
                    CaptureFixture.events(p, 0, 30));
            CaptureFixture.write(tmp.resolve("capture"), "ns", topic, p, CaptureFixture.T0.plusSeconds(300),
                    CodecFactory.nullCodec(), CaptureFixture.events(p, 30, ARCHIVED));
        }
        return topic;
    }

    private Pipeline pipeline(Source source) {
        return Pipeline.from(source).bronze(tmp.resolve("bronze").toString())
                .silver(tmp.resolve("silver").toString(), "order_id").withSchema(SCHEMA).withMaxBatchRecords(70)
                .withName("handover");
    }

    private List<String> bronzeEvents() {
        return KernelReader.rows(tmp.resolve("bronze").toString()).stream()
                .map(r -> r.get("partition") + "@" + r.get("position")).sorted().toList();
    }

    @Test
    void theArchiveHandsOverToTheBrokerAtTheNextOffsetWithoutGapOrDuplicate() {
        String topic = hubWithArchive();
        for (int p = 0; p < PARTITIONS; p++) {
            kafka.deleteRecordsBefore(topic, p, ARCHIVED); // retention: the archive is the only copy of these
        }
        Source source = Capture.backfill(tmp.resolve("capture").toString(), topic)
                .thenLive(KafkaSource.topics(kafka.bootstrapServers(), topic));
        assertThat(pipeline(source).runUntilCaughtUp().eventsIngested()).isEqualTo(PARTITIONS * (ARCHIVED + LIVE));
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            producer.send(2, null, CaptureFixture.body(2, ARCHIVED + LIVE).getBytes(StandardCharsets.UTF_8));
        }
        assertThat(pipeline(source).runUntilCaughtUp().eventsIngested()).isEqualTo(1);

        List<String> events = bronzeEvents();
        assertThat(events).hasSize(PARTITIONS * (ARCHIVED + LIVE) + 1).doesNotHaveDuplicates();
        assertThat(KernelReader.rows(tmp.resolve("silver").toString())).hasSize(PARTITIONS * (ARCHIVED + LIVE) + 1);
        for (Map<String, Object> r : KernelReader.rows(tmp.resolve("bronze").toString())) {
            String body = new String((byte[]) r.get("value"), StandardCharsets.UTF_8);
            assertThat(body).isEqualTo(CaptureFixture.body((Integer) r.get("partition"),
                    ((Long) r.get("position")).intValue()));
        }
    }

    @Test
    void aGapTheBrokersRetentionMadeAfterTheArchiveFailsByDefault() {
        String topic = hubWithArchive();
        kafka.deleteRecordsBefore(topic, 0, ARCHIVED + 5);
        Source source = Capture.backfill(tmp.resolve("capture").toString(), topic)
                .thenLive(KafkaSource.topics(kafka.bootstrapServers(), topic));
        assertThatThrownBy(() -> pipeline(source).runUntilCaughtUp()).isInstanceOf(SourceException.class)
                .hasMessageContaining("offset " + ARCHIVED + " of topic " + topic + " partition 0")
                .hasMessageContaining("earliest offset it holds is " + (ARCHIVED + 5));
        assertThat(bronzeEvents()).doesNotContain("0@" + ARCHIVED, "0@" + (ARCHIVED + 5));
    }

    @Test
    void aGapTheBrokersRetentionMadeAfterTheArchiveIsReportedWhenSkipping() {
        String topic = hubWithArchive();
        kafka.deleteRecordsBefore(topic, 0, ARCHIVED + 5);
        Source source = Capture.backfill(tmp.resolve("capture").toString(), topic)
                .thenLive(KafkaSource.topics(kafka.bootstrapServers(), topic)).skipLostPositions();
        PipelineProgress progress = pipeline(source).runUntilCaughtUp();
        assertThat(progress.gaps()).containsExactly(new PositionGap(new SourcePartition(topic, 0), ARCHIVED,
                ARCHIVED + 5));
        assertThat(bronzeEvents()).hasSize(PARTITIONS * (ARCHIVED + LIVE) - 5).doesNotHaveDuplicates();
    }

    /**
     * Cuts partition 1's last Capture file (30 to 59) after its first Avro block, which Avro reads as a
     * whole file.
     *
     * @return the first sequence number of partition 1 the archive lacks
     */
    private long cutLastFileOfPartition1(String topic) {
        Path last = tmp.resolve("capture/ns/" + topic + "/1/2026/03/01/10/05/00.avro");
        int left = CaptureFixture.cutAfterBlocks(last, 1).size();
        assertThat(left).isBetween(1, ARCHIVED - 30 - 1);
        return 30 + left;
    }

    @Test
    void aCutLastArchiveFileLosesNothingWhileTheBrokerHoldsItsEvents() {
        String topic = hubWithArchive();
        cutLastFileOfPartition1(topic);
        Source source = Capture.backfill(tmp.resolve("capture").toString(), topic)
                .thenLive(KafkaSource.topics(kafka.bootstrapServers(), topic));
        PipelineProgress progress = pipeline(source).runUntilCaughtUp();
        assertThat(progress.gaps()).isEmpty();
        assertThat(bronzeEvents()).hasSize(PARTITIONS * (ARCHIVED + LIVE)).doesNotHaveDuplicates();
    }

    @Test
    void aCutLastArchiveFileFailsAtTheHandoverOnceTheBrokersRetentionPassedTheCut() {
        String topic = hubWithArchive();
        long missing = cutLastFileOfPartition1(topic);
        kafka.deleteRecordsBefore(topic, 1, ARCHIVED);
        Source source = Capture.backfill(tmp.resolve("capture").toString(), topic)
                .thenLive(KafkaSource.topics(kafka.bootstrapServers(), topic));
        assertThatThrownBy(() -> pipeline(source).runUntilCaughtUp()).isInstanceOf(SourceException.class)
                .hasMessageContaining("offset " + missing + " of topic " + topic + " partition 1")
                .hasMessageContaining("earliest offset it holds is " + ARCHIVED);
        assertThat(bronzeEvents()).contains("1@" + (missing - 1)).doesNotContain("1@" + missing, "1@" + ARCHIVED)
                .doesNotHaveDuplicates();
    }

    @Test
    void theArchiveOfAKafkaTopicRebuildsTheSameBronze() {
        String topic = "archived" + TOPICS.incrementAndGet();
        kafka.createTopic(topic, PARTITIONS);
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int i = 0; i < 300; i++) {
                producer.send(i % 3 == 0 ? null : ("key-" + i).getBytes(StandardCharsets.UTF_8),
                        ("{\"order_id\":\"o" + i + "\"}").getBytes(StandardCharsets.UTF_8));
            }
        }
        String archive = tmp.resolve("archive").toString();
        Pipeline original = Pipeline.from(KafkaSource.topics(kafka.bootstrapServers(), topic))
                .bronze(tmp.resolve("bronze").toString()).bronzeOnly().withMaxBatchRecords(40)
                .withArchive(CaptureArchive.at(archive, "my-namespace"));
        assertThat(original.runUntilCaughtUp().eventsIngested()).isEqualTo(300);

        String rebuilt = tmp.resolve("rebuilt").toString();
        Pipeline backfill = Pipeline.from(Capture.backfill(archive, topic)).bronze(rebuilt).bronzeOnly();
        assertThat(backfill.runUntilCaughtUp().eventsIngested()).isEqualTo(300);
        assertThat(essence(rebuilt)).isEqualTo(essence(tmp.resolve("bronze").toString())).hasSize(300);
    }

    private static List<String> essence(String bronze) {
        return KernelReader.rows(bronze).stream().map(r -> r.get("source") + "/" + r.get("partition") + "@"
                + r.get("position") + " " + Arrays.toString((byte[]) r.get("key")) + " "
                + Arrays.toString((byte[]) r.get("value")) + " " + r.get("source_timestamp") + " "
                + (r.get("headers") == null ? "" : ((Map<?, ?>) r.get("headers")).keySet().stream().map(String::valueOf)
                        .sorted().collect(Collectors.joining(","))))
                .sorted().toList();
    }
}
