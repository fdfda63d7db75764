package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.core.testing.BoundedBatches;
import io.streamlake.core.testing.NoMarkers;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.source.BatchLimits;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.testkit.Orders;
import io.streamlake.testkit.PipelineTestDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka reader's batches bounded by bytes and by delay against a real broker: records left out of
 * a full batch come first in the next, nothing lost or repeated; and a pipeline whose batches
 * {@link Pipeline#withMaxBatchBytes} cuts, into Delta tables read back by Delta Kernel.
 */
class KafkaBatchLimitsIT extends EmbeddedKafkaTest {
    private static final int KIB = 1024;
    private static final AtomicInteger TOPICS = new AtomicInteger();
    @TempDir Path lake;

    private static String newTopic(int partitions) {
        String topic = "limits" + TOPICS.incrementAndGet();
        kafka.createTopic(topic, partitions);
        return topic;
    }

    @Test
    void batchesAreCutByBytesAndTheRecordsLeftOutComeNextInOrder() {
        String topic = newTopic(3);
        Map<SourcePartition, List<byte[]>> sent = new HashMap<>();
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int i = 0; i < 61; i++) {
                int partition = i % 3;
                // event 31 is larger than a whole batch may be
                byte[] value = BoundedBatches.value(i, i == 31 ? 300 * KIB : 64 * KIB);
                producer.send(partition, null, value);
                sent.computeIfAbsent(new SourcePartition(topic, partition), p -> new ArrayList<>()).add(value);
            }
            producer.flush();
        }
        BatchLimits limits = new BatchLimits(10_000, 256 * KIB, Duration.ofMillis(500), Duration.ofSeconds(10));
        try (SourceReader reader = KafkaSource.topics(kafka.bootstrapServers(), topic).open(new NoMarkers("bytes"))) {
            List<List<SourceRecord>> batches = BoundedBatches.pollAll(reader, limits, 61, Duration.ofSeconds(60));
            BoundedBatches.assertEachOnceInOrder(batches, sent);
            assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeLessThanOrEqualTo(4));
            assertThat(batches).anySatisfy(b -> assertThat(b).singleElement()
                    .satisfies(r -> assertThat(r.value()).hasSize(300 * KIB)));
            assertThat(batches).allSatisfy(b -> assertThat(b.get(0).position()).isNotNegative());
            assertThat(batches.stream().flatMap(List::stream).mapToLong(SourceRecord::position).min()).hasValue(0);
        }
    }

    /**
     * A batch full in the middle of a consumer poll leaves the poll's other records for the next batch,
     * in memory (a seek back to them made the consumer fetch them again). Batches of random sizes, many
     * of them cut in a poll of 97 records, take every record once and in order; a rewind after a cut
     * drops what was left over and reads again from the start.
     */
    @Test
    void batchesOfAnySizeTakeEveryRecordOnceInOrderAndARewindDropsWhatWasLeftOver() {
        String topic = newTopic(3);
        int events = 3_000;
        Map<SourcePartition, List<byte[]>> sent = new HashMap<>();
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int i = 0; i < events; i++) {
                int partition = (i * 7 + i / 11) % 3;
                byte[] value = ("event " + i).getBytes(StandardCharsets.UTF_8);
                producer.send(partition, null, value);
                sent.computeIfAbsent(new SourcePartition(topic, partition), p -> new ArrayList<>()).add(value);
            }
            producer.flush();
        }
        KafkaSource source = KafkaSource.topics(kafka.bootstrapServers(), topic).withMaxPollRecords(97);
        Random random = new Random(20261204);
        try (SourceReader reader = source.open(new NoMarkers("carry"))) {
            // one batch cut inside a poll (150 is no multiple of 97), then a rewind to the start
            BatchLimits cut = new BatchLimits(150, Long.MAX_VALUE, Duration.ofSeconds(30), Duration.ofSeconds(30));
            assertThat(BoundedBatches.pollAll(reader, cut, 150, Duration.ofSeconds(60))).singleElement()
                    .satisfies(b -> assertThat(b).hasSize(150));
            reader.rewind();

            List<List<SourceRecord>> batches = new ArrayList<>();
            int read = 0;
            while (read < events) {
                int max = 1 + random.nextInt(random.nextBoolean() ? 10 : 400);
                List<SourceRecord> batch = BoundedBatches.pollAll(reader,
                        new BatchLimits(max, Long.MAX_VALUE, Duration.ofSeconds(30), Duration.ofSeconds(30)),
                        Math.min(max, events - read), Duration.ofSeconds(60)).stream().flatMap(List::stream).toList();
                batches.add(batch);
                read += batch.size();
            }
            BoundedBatches.assertEachOnceInOrder(batches, sent);
            assertThat(batches.stream().flatMap(List::stream).mapToLong(SourceRecord::position).min()).hasValue(0);
            assertThat(reader.poll(new BatchLimits(1_000, Long.MAX_VALUE, Duration.ofMillis(300),
                    Duration.ofMillis(300)))).isEmpty();
        }
    }

    @Test
    void aZeroDelayHandsOverEachConsumerPollAndLosesNothing() {
        String topic = newTopic(1);
        Map<SourcePartition, List<byte[]>> sent = new HashMap<>();
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int i = 0; i < 300; i++) {
                byte[] value = ("event " + i).getBytes(StandardCharsets.UTF_8);
                producer.send(0, null, value);
                sent.computeIfAbsent(new SourcePartition(topic, 0), p -> new ArrayList<>()).add(value);
            }
            producer.flush();
        }
        // A backlog keeps the consumer behind, so only the delay ends the gathering: without it the
        // first poll would take all 300 records, one consumer poll of one record at a time.
        KafkaSource source = KafkaSource.topics(kafka.bootstrapServers(), topic).withMaxPollRecords(1);
        BatchLimits limits = new BatchLimits(1_000_000, Long.MAX_VALUE, Duration.ofSeconds(60), Duration.ZERO);
        try (SourceReader reader = source.open(new NoMarkers("delay"))) {
            List<List<SourceRecord>> batches = BoundedBatches.pollAll(reader, limits, 300, Duration.ofSeconds(60));
            assertThat(batches).allSatisfy(b -> assertThat(b).hasSize(1));
            BoundedBatches.assertEachOnceInOrder(batches, sent);
        }
    }

    @Test
    void aPollReturnsWhileEventsTrickleInLongBeforeItsWait() throws Exception {
        String topic = newTopic(1);
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open();
                SourceReader reader = KafkaSource.topics(kafka.bootstrapServers(), topic)
                        .open(new NoMarkers("trickle"))) {
            BoundedBatches.pollDuringTrickle(reader, i -> {
                producer.send(0, null, ("event " + i).getBytes(StandardCharsets.UTF_8));
                producer.flush();
            }, Duration.ofMillis(100));
        }
    }

    @Test
    void aPipelineCommitsBatchesCutByBytesIntoExactBronzeAndSilver() {
        String topic = newTopic(2);
        int events = 40;
        try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
            for (int n = 0; n < events; n++) {
                producer.send(Orders.key(n), Orders.padded(Orders.event(n), 10 * KIB - 8));
            }
            producer.flush();
        }
        String bronze = lake.resolve("bronze").toString();
        String silver = lake.resolve("silver").toString();
        Pipeline pipeline = Pipeline.from(KafkaSource.topics(kafka.bootstrapServers(), topic))
                .bronze(bronze)
                .silver(silver, "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withMaxBatchBytes(40 * KIB)
                .withName("bytes-pipeline");
        List<Integer> batchSizes = new ArrayList<>();
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int total = 0;
            while (total < events) {
                assertThat(System.nanoTime() - deadline).as("%d of %d events in time", total, events).isNegative();
                int n = driver.runOneBatch();
                if (n > 0) {
                    batchSizes.add(n);
                    total += n;
                }
            }
            assertThat(driver.runUntilCaughtUp()).isZero();
        }
        assertThat(batchSizes).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(4));
        assertThat(batchSizes.size()).isGreaterThanOrEqualTo(events / 4);
        List<Map<String, Object>> rows = KernelReader.rows(bronze);
        assertThat(rows).hasSize(events);
        assertThat(rows.stream().map(r -> r.get("partition") + "@" + r.get("position")).distinct()).hasSize(events);
        Orders.assertSilverHoldsLatestStatus(silver, events);
    }
}
