package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineRun;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.eventhubs.EventHubsEntraId;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.testkit.Orders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Entra ID sign-in to the Event Hubs Kafka endpoint, against a broker that does what Event Hubs does
 * for it: SASL_SSL with OAUTHBEARER, a token checked for its expiry, and sessions that end when their
 * token expires ({@code connections.max.reauth.ms}), so a client that did not refresh its token would
 * be cut off. The test adds only the trust store to what {@code EventHubsEntraId} builds.
 */
class EventHubsEntraIdIT {
    @TempDir static Path brokerDir;
    private static EmbeddedKafka kafka;
    private static String namespace;

    @TempDir Path lake;
    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.builder(brokerDir).withOAuthBearer()
                .withBrokerProperty("listener.name.oauthbearer.oauthbearer.connections.max.reauth.ms", "60000")
                .start();
        namespace = "127.0.0.1:" + kafka.oauthBearerPort();
        kafka.createTopic("orders", 2);
        kafka.createTopic("refresh", 1);
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    @BeforeEach
    void captureLogs() {
        originalErr = System.err;
        System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreLogs() {
        System.setErr(originalErr);
        originalErr.write(logs.toByteArray(), 0, logs.size());
    }

    @Test
    void producerAndSourceSignedInWithACredentialRoundTripIntoBronzeAndSilver() {
        UnsecuredJwtCredential credential = UnsecuredJwtCredential.lasting(Duration.ofHours(1));
        try (EventProducer producer = EventHubsEntraId.producer(namespace, "orders", credential)
                .withProducerProperties(kafka.trustStoreProperties()).open()) {
            for (int i = 0; i < 100; i++) {
                producer.send("o-" + (i % 10), Orders.json("o-" + (i % 10), "S" + i, i));
            }
            producer.flush();
        }
        KafkaSource source = EventHubsEntraId.kafka(namespace, "orders", "entra-group", credential)
                .withConsumerProperties(kafka.trustStoreProperties());
        Pipeline pipeline = Pipeline.from(source).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id").withSchema(Orders.SCHEMA).withName("entra");

        assertThat(pipeline.runUntilCaughtUp().eventsIngested()).isEqualTo(100);
        assertThat(KernelReader.rows(lake.resolve("bronze").toString())).hasSize(100);
        assertThat(KernelReader.rows(lake.resolve("silver").toString())).hasSize(10);

        assertThat(credential.requests()).isNotEmpty()
                .allSatisfy(r -> assertThat(r.scopes()).containsExactly("https://127.0.0.1/.default"));
        String all = logs.toString(StandardCharsets.UTF_8) + source + pipeline;
        for (UnsecuredJwtCredential.Request r : credential.requests()) {
            assertThat(all).doesNotContain(r.token())
                    .doesNotContain(r.token().substring(0, r.token().indexOf('.', 20)));
        }
    }

    @Test
    void tokensAreRefreshedBeforeTheyExpireAndClientsKeepWorkingAcrossRefreshes() throws Exception {
        Duration lifetime = Duration.ofSeconds(10);
        UnsecuredJwtCredential producerCredential = UnsecuredJwtCredential.lasting(lifetime);
        UnsecuredJwtCredential sourceCredential = UnsecuredJwtCredential.lasting(lifetime);
        Map<String, String> fastRefresh = Map.of("sasl.login.refresh.min.period.seconds", "1",
                "sasl.login.refresh.buffer.seconds", "2", "sasl.login.refresh.window.factor", "0.5",
                "sasl.login.refresh.window.jitter", "0");
        KafkaSource source = EventHubsEntraId.kafka(namespace, "refresh", sourceCredential)
                .withConsumerProperties(kafka.trustStoreProperties()).withConsumerProperties(fastRefresh);
        Pipeline pipeline = Pipeline.from(source).bronze(lake.resolve("bronze").toString()).bronzeOnly()
                .withName("entra-refresh").withPollTimeout(Duration.ofMillis(200));

        int rounds = 4;
        try (EventProducer producer = EventHubsEntraId.producer(namespace, "refresh", producerCredential)
                .withProducerProperties(kafka.trustStoreProperties()).withProducerProperties(fastRefresh).open();
                PipelineRun run = pipeline.start()) {
            // one open producer and one running source, across about three token lifetimes
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < 25; i++) {
                    producer.send("k" + i, Orders.json("k" + i, "R" + round, round * 100 + i));
                }
                producer.flush();
                awaitIngested(run, (round + 1) * 25L);
                Thread.sleep(lifetime.toMillis());
            }
        }
        assertThat(KernelReader.rows(lake.resolve("bronze").toString())).hasSize(rounds * 25);
        for (UnsecuredJwtCredential c : List.of(producerCredential, sourceCredential)) {
            List<UnsecuredJwtCredential.Request> requests = c.requests();
            assertThat(requests).hasSizeGreaterThanOrEqualTo(3);
            for (int i = 1; i < requests.size(); i++) {
                // each new token was asked for while the one before was still valid
                assertThat(requests.get(i).at()).isBefore(requests.get(i - 1).expiresAt());
            }
        }
    }

    @Test
    void aCredentialThatFailsGivesAClearErrorWithNoToken() {
        UnsecuredJwtCredential refused =
                UnsecuredJwtCredential.failing("AADSTS700016: application not found in tenant");
        KafkaSource source = EventHubsEntraId.kafka(namespace, "orders", refused)
                .withConsumerProperties(kafka.trustStoreProperties());
        Pipeline pipeline = Pipeline.from(source).bronze(lake.resolve("bronze").toString()).bronzeOnly()
                .withName("entra-refused");

        assertThatThrownBy(pipeline::runUntilCaughtUp).isInstanceOf(StreamLakeException.class)
                .hasMessageContaining("Entra ID sign-in for Event Hubs namespace 127.0.0.1 failed")
                .hasMessageContaining("UnsecuredJwtCredential")
                .hasMessageContaining("https://127.0.0.1/.default")
                .hasMessageContaining("AADSTS700016")
                .hasMessageContaining("Azure Event Hubs Data Receiver");

        assertThatThrownBy(() -> EventHubsEntraId.producer(namespace, "orders", refused)
                .withProducerProperties(kafka.trustStoreProperties()).open())
                .isInstanceOf(StreamLakeException.class).hasMessageContaining("Entra ID sign-in");
    }

    private static void awaitIngested(PipelineRun run, long events) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (run.progress().eventsIngested() < events) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the pipeline ingested " + run.progress().eventsIngested() + " of " + events
                        + " events in 60 s");
            }
            run.awaitTermination(Duration.ofMillis(100));
        }
    }
}
