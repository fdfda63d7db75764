package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.testkit.Orders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out by consumer group: two instances of one pipeline (same name, same tables) share a
 * 4-partition topic. One stalls with a batch in hand long enough for the group to give its partitions
 * to the other; when it wakes up, its commit is fenced by the moved markers and dropped. Then it is
 * closed while events still arrive, and the other takes everything over. Both run in this JVM, which
 * is what makes the stall controllable; the group and the Delta log do not care where instances run.
 */
class KafkaScaleOutIT extends EmbeddedKafkaTest {
    private static final int EVENTS = 4000;
    @TempDir Path lake;

    @Test
    void twoInstancesShareATopicAndTheSurvivorTakesOverEveryPartitionExactlyOnce() throws Exception {
        String topic = "orders";
        kafka.createTopic(topic, 4);
        KafkaSource source = KafkaSource.topics(kafka.bootstrapServers(), topic)
                // A stalled instance leaves the group after 5 s instead of Kafka's 5 minutes.
                .withConsumerProperty("max.poll.interval.ms", "5000")
                .withConsumerProperty("session.timeout.ms", "3000")
                .withConsumerProperty("heartbeat.interval.ms", "500");
        HoldingSource stalling = new HoldingSource(source);
        String bronze = lake.resolve("bronze").toString();
        DeltaTable bronzeTable = DeltaTable.open(bronze, Map.of());
        String silver = lake.resolve("silver").toString();

        Thread producer = new Thread(() -> produce(topic), "producer");
        producer.start();
        PipelineRun a = pipeline(stalling, bronze, silver).start();
        PipelineRun b = pipeline(source, bronze, silver).start();
        try {
            await("both instances ingest",
                    () -> a.progress().eventsIngested() > 0 && b.progress().eventsIngested() > 0);

            // A stalls with a batch in hand; the group gives its partitions to B, which commits past them.
            stalling.armed = true;
            assertThat(stalling.holding.await(60, TimeUnit.SECONDS)).as("A holds a batch").isTrue();
            Map<SourcePartition, Long> held = stalling.held;
            await("B commits past A's held batch", () -> held.entrySet().stream().allMatch(e -> bronzeTable.snapshot()
                    .transaction("scale/" + topic + "/" + e.getKey().id()).orElse(-1) >= e.getValue()));
            // A wakes up and commits its held batch: the moved markers fence it, A drops it and rewinds.
            stalling.release.countDown();
            await("A's commit is fenced and A rewinds to the markers", () -> stalling.rewinds > 0);

            a.close(); // A goes away for good while events still arrive; B takes over everything
            producer.join();
            Map<Integer, Long> ends = kafka.endOffsets(topic);
            await("B catches up", () -> ends.entrySet().stream().allMatch(e -> bronzeTable.snapshot()
                    .transaction("scale/" + topic + "/" + e.getKey()).orElse(-1) == e.getValue() - 1));
        } finally {
            stalling.release.countDown();
            a.close();
            b.close();
        }
        assertThat(a.progress().eventsIngested() + b.progress().eventsIngested()).isEqualTo(EVENTS);

        List<Map<String, Object>> rows = KernelReader.rows(bronze);
        assertThat(rows).hasSize(EVENTS);
        assertThat(rows.stream().map(r -> r.get("partition") + "@" + r.get("position")).distinct()).hasSize(EVENTS);
        Orders.assertSilverHoldsLatestStatus(silver, EVENTS);
    }

    @Test
    void instancesThatJoinAndLeaveMoveOnlyThePartitionsTheyTakeOrGiveBackCooperatively() throws Exception {
        String topic = "cooperative";
        kafka.createTopic(topic, 6);
        String bronze = lake.resolve("bronze").toString();
        String silver = lake.resolve("silver").toString();
        Thread producer = new Thread(() -> produce(topic), "producer");
        producer.start();
        List<PipelineRun> runs = new java.util.ArrayList<>();
        try {
            Map<String, java.util.Set<Integer>> before = Map.of();
            for (String instance : List.of("a", "b", "c")) {
                runs.add(pipeline(instance(topic, instance), bronze, silver).start());
                int members = runs.size();
                await(members + " instances share the partitions", () -> assignment().size() == members
                        && assignment().values().stream().mapToInt(java.util.Set::size).sum() == 6);
                Map<String, java.util.Set<Integer>> now = assignment();
                assertThat(group().partitionAssignor()).isEqualTo("cooperative-sticky");
                // an instance that was there only gave partitions away: it kept the rest
                for (Map.Entry<String, java.util.Set<Integer>> e : before.entrySet()) {
                    assertThat(e.getValue()).as("instance %s", e.getKey()).containsAll(now.get(e.getKey()));
                }
                before = now;
            }
            runs.remove(2).close(); // c leaves: a and b keep theirs and take c's
            await("two instances take over c's partitions", () -> assignment().size() == 2
                    && assignment().values().stream().mapToInt(java.util.Set::size).sum() == 6);
            Map<String, java.util.Set<Integer>> after = assignment();
            for (String instance : List.of("a", "b")) {
                assertThat(after.get(instance)).as("instance %s", instance).containsAll(before.get(instance));
            }
            producer.join();
            DeltaTable bronzeTable = DeltaTable.open(bronze, Map.of());
            Map<Integer, Long> ends = kafka.endOffsets(topic);
            await("a and b catch up", () -> ends.entrySet().stream().allMatch(e -> bronzeTable.snapshot()
                    .transaction("scale/" + topic + "/" + e.getKey()).orElse(-1) == e.getValue() - 1));
        } finally {
            // each run, as it stops, brings silver up to what it committed to bronze
            runs.forEach(PipelineRun::close);
        }
        List<Map<String, Object>> rows = KernelReader.rows(bronze);
        assertThat(rows.stream().map(r -> r.get("partition") + "@" + r.get("position")).distinct()).hasSize(EVENTS);
        assertThat(rows).hasSize(EVENTS);
        Orders.assertSilverHoldsLatestStatus(silver, EVENTS);
    }

    /** An instance of the pipeline's source: its consumer's client id names it in the group. */
    private static KafkaSource instance(String topic, String name) {
        return KafkaSource.topics(kafka.bootstrapServers(), topic).withConsumerProperty("client.id", name)
                .withConsumerProperty("session.timeout.ms", "6000")
                .withConsumerProperty("heartbeat.interval.ms", "500");
    }

    private static org.apache.kafka.clients.admin.ConsumerGroupDescription group() {
        return KafkaTesting.group(kafka, "scale");
    }

    private static Map<String, java.util.Set<Integer>> assignment() {
        return KafkaTesting.assignment(kafka, "scale");
    }

    private static Pipeline pipeline(Source source, String bronze, String silver) {
        return Pipeline.from(source).bronze(bronze).silver(silver, "order_id")
                .withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                .withMaxBatchRecords(500)
                .withPollTimeout(Duration.ofMillis(100))
                .withName("scale");
    }

    /** Events arrive over about five seconds, so that both instances and the takeover see traffic. */
    private static void produce(String topic) {
        KafkaTesting.produce(kafka, topic, EVENTS, 80, new java.util.concurrent.atomic.AtomicBoolean(true));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        KafkaTesting.await(what, condition, 60);
    }

    /** Wraps a source so that, once armed, the next non-empty poll blocks with its batch until released. */
    private static final class HoldingSource implements Source {
        private final Source delegate;
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile boolean armed;
        volatile Map<SourcePartition, Long> held = Map.of();
        volatile int rewinds;

        HoldingSource(Source delegate) {
            this.delegate = delegate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public SourceReader open(SourceContext context) {
            SourceReader reader = delegate.open(context);
            return new SourceReader() {
                @Override
                public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                    List<SourceRecord> records = reader.poll(maxRecords, maxWait);
                    if (armed && !records.isEmpty()) {
                        armed = false;
                        Map<SourcePartition, Long> last = new HashMap<>();
                        records.forEach(r -> last.merge(r.partition(), r.position(), Math::max));
                        held = last;
                        rewinds = 0; // count only the rewinds that follow the held batch
                        holding.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return records;
                }

                @Override
                public void rewind() {
                    rewinds++;
                    reader.rewind();
                }

                @Override
                public boolean caughtUp() {
                    return reader.caughtUp();
                }

                @Override
                public void committed(Map<SourcePartition, Long> lastPositions) {
                    reader.committed(lastPositions);
                }

                @Override
                public void close() {
                    reader.close();
                }
            };
        }
    }
}
