package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.exceptions.SourceException;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.testkit.Orders;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kafka source that cannot do its job fails within a bounded time, with a message naming what to
 * check, and never with a secret in it: no broker at start, brokers that go away mid-run, a topic
 * that does not exist, a pattern that matches nothing; and waits when asked to.
 *
 * <p>Timeouts are configured short (seconds) and asserted with generous bounds, so that the tests
 * prove the bound without depending on how fast a loaded machine is.
 */
class KafkaSourceFailureIT extends EmbeddedKafkaTest {
    private static final AtomicInteger TOPICS = new AtomicInteger();
    /** A password in the SASL settings: it must never reach a message. */
    private static final String SECRET = "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKey=s3cr3tKEY+/abc=";
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    /** Generous: the failure must arrive, not arrive fast. */
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir Path lake;

    private static String newTopic(String prefix, int partitions) {
        String topic = prefix + TOPICS.incrementAndGet();
        kafka.createTopic(topic, partitions);
        return topic;
    }

    private Pipeline bronzeOnly(KafkaSource source, String name) {
        return Pipeline.from(source).bronze(lake.resolve("bronze").toString()).bronzeOnly().withName(name);
    }

    private Pipeline withSilver(KafkaSource source, String name) {
        return Pipeline.from(source).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id").withSchema(Orders.SCHEMA)
                .withMergeStrategy(MergeStrategies.latestBy("updated_at")).withName(name);
    }

    /** @return a port on which nothing listens: bound once to find it, then closed */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Runs until caught up on another thread, so that a run that never ends fails the test instead of hanging it. */
    private static StreamLakeException failureOfRunUntilCaughtUp(Pipeline pipeline) {
        try (PipelineRun run = pipeline.start(RunMode.UNTIL_CAUGHT_UP)) {
            return awaitFailure(run);
        }
    }

    /** @return the run's failure, which must arrive within {@link #BOUND} */
    private static StreamLakeException awaitFailure(PipelineRun run) {
        boolean ended;
        try {
            ended = run.awaitTermination(BOUND);
        } catch (StreamLakeException e) {
            return e;
        }
        throw new AssertionError(ended ? "the run ended without a failure: " + run.progress()
                : "the run did not end within " + BOUND + ": " + run.progress());
    }

    @Test
    void runUntilCaughtUpWithNoBrokerAtTheAddressFailsAfterTheConnectTimeoutNamingTheServers() throws Exception {
        String servers = "127.0.0.1:" + closedPort();
        KafkaSource source = KafkaSource.topics(servers, "orders").withConnectTimeout(TIMEOUT)
                .withConsumerProperty("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule"
                        + " required username=\"$ConnectionString\" password=\"" + SECRET + "\";");
        long start = System.nanoTime();
        Throwable failure = failureOfRunUntilCaughtUp(bronzeOnly(source, "unreachable"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(failure).isInstanceOf(SourceException.class)
                .hasMessageContaining("could not reach the Kafka brokers " + servers)
                .hasMessageContaining("no answer within 3 s")
                .hasMessageContaining("withConnectTimeout")
                .hasMessageContaining("Check the bootstrap servers")
                .hasMessageContaining("Nothing was read");
        assertThat(messagesOf(failure)).doesNotContain(SECRET).doesNotContain("s3cr3tKEY");
        assertThat(took).as("it waited the connect timeout before giving up").isGreaterThanOrEqualTo(TIMEOUT);
    }

    @Test
    void aStreamingRunWithNoBrokerAtTheAddressFailsTooInsteadOfRetryingForever() throws Exception {
        String servers = "127.0.0.1:" + closedPort();
        Pipeline pipeline =
                withSilver(KafkaSource.topics(servers, "orders").withConnectTimeout(TIMEOUT), "unreachable-stream");
        try (PipelineRun run = pipeline.start()) {
            Throwable failure = awaitFailure(run);
            assertThat(failure).isInstanceOf(SourceException.class)
                    .hasMessageContaining("could not reach the Kafka brokers " + servers);
            assertThat(run.progress().state()).isEqualTo(PipelineProgress.State.FAILED);
        }
    }

    @Test
    void aMisspelledTopicFailsAtOnceNamingItAndTheTopicsWithASimilarName() {
        String topic = newTopic("orders_eu", 1);
        String typo = "ordres_eu" + topic.substring("orders_eu".length());
        Pipeline pipeline = withSilver(KafkaSource.topics(kafka.bootstrapServers(), typo)
                .withConsumerProperty("ssl.truststore.password", SECRET), "typo");

        Throwable failure = failureOfRunUntilCaughtUp(pipeline);

        assertThat(failure).isInstanceOf(SourceException.class)
                .hasMessageContaining("Kafka topic '" + typo + "' does not exist on the brokers "
                        + kafka.bootstrapServers())
                .hasMessageContaining("Existing topics with a name like '" + typo + "': '" + topic + "'")
                .hasMessageContaining("KafkaSource.waitForTopics(Duration)")
                .hasMessageContaining("Nothing was read");
        assertThat(messagesOf(failure)).doesNotContain(SECRET);
        assertThat(kafka.partitionCount(typo)).as("subscribing did not create the misspelled topic").isZero();
        assertThat(KernelReader.rows(lake.resolve("bronze").toString())).isEmpty();
    }

    @Test
    void aPatternThatMatchesNoTopicFailsListingTheTopicsThatExist() {
        String existing = newTopic("payments", 1);
        Pipeline pipeline = bronzeOnly(KafkaSource.topicPattern(kafka.bootstrapServers(),
                Pattern.compile("paymnets.*")), "pattern-typo");

        Throwable failure = failureOfRunUntilCaughtUp(pipeline);

        assertThat(failure).isInstanceOf(SourceException.class)
                .hasMessageContaining("no Kafka topic on the brokers " + kafka.bootstrapServers()
                        + " matches the pattern 'paymnets.*'")
                .hasMessageContaining("'" + existing + "'")
                .hasMessageContaining("waitForTopics");
        assertThat(failure.getMessage()).doesNotContain("__consumer_offsets");
    }

    @Test
    void aTopicThatIsStillMissingWhenTheWaitEndsFailsSayingHowLongItWaited() {
        Pipeline pipeline = bronzeOnly(KafkaSource.topics(kafka.bootstrapServers(), "never-created")
                .waitForTopics(Duration.ofSeconds(2)), "wait-in-vain");
        long start = System.nanoTime();
        Throwable failure = failureOfRunUntilCaughtUp(pipeline);

        assertThat(failure).isInstanceOf(SourceException.class)
                .hasMessageContaining("Kafka topic 'never-created' does not exist")
                .hasMessageContaining("still missing after the 2 s the source waits for its topics");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aTopicCreatedAfterTheStreamingRunStartedIsReadWhenTheSourceWaitsForIt() throws Exception {
        String topic = "late" + TOPICS.incrementAndGet();
        Pipeline pipeline = withSilver(KafkaSource.topics(kafka.bootstrapServers(), topic)
                .waitForTopics(Duration.ofMinutes(5)), "late-topic");
        try (PipelineRun run = pipeline.start()) {
            // Still waiting, not failed, while the topic does not exist.
            assertThat(run.awaitTermination(Duration.ofSeconds(2))).isFalse();
            assertThat(run.progress().state()).isEqualTo(PipelineProgress.State.RUNNING);

            kafka.createTopic(topic, 2);
            try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), topic).open()) {
                for (int i = 0; i < 20; i++) {
                    producer.send(Orders.key(i), Orders.event(i));
                }
            }
            await(() -> run.progress().eventsIngested() == 20, "all 20 events ingested: " + run.progress());
            run.stop();
            run.awaitTermination();
        }
        assertThat(KernelReader.rows(lake.resolve("bronze").toString())).hasSize(20);
        Orders.assertSilverHoldsLatestStatus(lake.resolve("silver").toString(), 20);
    }

    @Test
    void runUntilCaughtUpFailsWhenTheBrokerGoesAwayMidRun(@TempDir Path brokerDir) {
        EmbeddedKafka own = EmbeddedKafka.start(brokerDir);
        try {
            own.createTopic("slow", 1);
            try (EventProducer producer = EventProducer.kafka(own.bootstrapServers(), "slow").open()) {
                for (int i = 0; i < 3_000; i++) {
                    producer.send(0, null, ("event " + i).getBytes(StandardCharsets.UTF_8));
                    if (i % 100 == 99) {
                        producer.flush(); // record batches of 100 events
                    }
                }
            }
            // Ten events per commit: the run is far from caught up when the broker goes. A fetch
            // returns one record batch (fetches of at most 1 KiB still return the first batch whole),
            // so the consumer holds at most 100 events beyond the run's position: the rest must come
            // from the broker.
            Pipeline pipeline = bronzeOnly(KafkaSource.topics(own.bootstrapServers(), "slow")
                    .withMaxFetchBytes(1024).withConsumerProperty("max.partition.fetch.bytes", "1024")
                    .withConnectTimeout(TIMEOUT), "outage-bounded").withMaxBatchRecords(10);
            try (PipelineRun run = pipeline.start(RunMode.UNTIL_CAUGHT_UP)) {
                await(() -> run.progress().eventsIngested() > 0, "the run ingests its first batch");
                own.close();
                long gone = System.nanoTime();
                Throwable failure = awaitFailure(run);

                assertThat(failure).isInstanceOf(SourceException.class)
                        .hasMessageContaining("the Kafka brokers " + own.bootstrapServers() + " stopped answering")
                        .hasMessageContaining("connect timeout is 3 s")
                        .hasMessageContaining("Pipeline.start(), keeps retrying");
                assertThat(Duration.ofNanos(System.nanoTime() - gone)).isLessThan(BOUND);
                assertThat(run.progress().eventsIngested()).isLessThan(3_000);
            }
        } finally {
            own.close();
        }
    }

    @Test
    void aStreamingRunOutlivesABrokerOutageAndReadsOnWhenTheBrokerIsBack(@TempDir Path brokerDir) {
        EmbeddedKafka own = EmbeddedKafka.start(brokerDir);
        int port = own.port();
        try {
            own.createTopic("flaky", 2);
            sendTo(own, "flaky", 0, 10);
            Pipeline pipeline = bronzeOnly(KafkaSource.topics(own.bootstrapServers(), "flaky")
                    .withConnectTimeout(TIMEOUT), "outage-streaming");
            try (PipelineRun run = pipeline.start()) {
                await(() -> run.progress().eventsIngested() == 10, "the first 10 events ingested");
                own.close();
                // Twice the connect timeout without a broker: a bounded run would have failed by now.
                assertThat(run.awaitTermination(TIMEOUT.multipliedBy(2).plusSeconds(1))).isFalse();
                assertThat(run.progress().state()).isEqualTo(PipelineProgress.State.RUNNING);

                own = EmbeddedKafka.builder(brokerDir).withPort(port).start();
                sendTo(own, "flaky", 10, 25);
                await(() -> run.progress().eventsIngested() == 25, "the events sent after the outage ingested");
                run.stop();
                run.awaitTermination();
            }
            assertThat(KernelReader.rows(lake.resolve("bronze").toString())).hasSize(25);
        } finally {
            own.close();
        }
    }

    @Test
    void aGroupThatNeverAssignsPartitionsEndsARunUntilCaughtUp(@TempDir Path brokerDir) {
        // One broker cannot hold a three-replica __consumer_offsets: no group coordinator, ever.
        try (EmbeddedKafka own = EmbeddedKafka.builder(brokerDir)
                .withBrokerProperty("offsets.topic.replication.factor", "3").start()) {
            own.createTopic("orphan", 1);
            Pipeline pipeline = bronzeOnly(KafkaSource.topics(own.bootstrapServers(), "orphan")
                    .withConnectTimeout(TIMEOUT).withConsumerProperty("max.poll.interval.ms", "2000"),
                    "no-coordinator");

            Throwable failure = failureOfRunUntilCaughtUp(pipeline);

            assertThat(failure).isInstanceOf(SourceException.class)
                    .hasMessageContaining("the consumer group 'no-coordinator' assigned this consumer no partitions"
                            + " within 5 s")
                    .hasMessageContaining("offsets.topic.replication.factor");
        }
    }

    private static void sendTo(EmbeddedKafka broker, String topic, int from, int to) {
        try (EventProducer producer = EventProducer.kafka(broker.bootstrapServers(), topic).open()) {
            for (int i = from; i < to; i++) {
                producer.send("k" + i, "{\"n\":" + i + "}");
            }
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within " + BOUND).isLessThan(deadline);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static String messagesOf(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            sb.append(c).append('\n');
        }
        return sb.toString();
    }
}
