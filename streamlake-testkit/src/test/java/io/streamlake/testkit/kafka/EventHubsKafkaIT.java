package io.streamlake.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.eventhubs.EventHubs;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.exceptions.SourceException;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.testkit.Orders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Event Hubs configuration against what Event Hubs' Kafka endpoint does: a SASL_SSL listener
 * with the PLAIN mechanism, user {@code $ConnectionString}, the connection string as password and a
 * certificate the client must trust. The test adds only the trust store to what
 * {@code EventHubs.kafka(...)} and {@code EventHubs.producer(...)} build; the connection string's
 * endpoint carries the listener's port instead of 9093.
 */
class EventHubsKafkaIT {
    @TempDir static Path brokerDir;
    private static EmbeddedKafka kafka;
    private static String key;
    private static String connectionString;

    @TempDir Path lake;
    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.builder(brokerDir).withSaslSsl().start();
        key = randomKey();
        connectionString =
                "Endpoint=sb://127.0.0.1:" + kafka.saslSslPort() + "/;SharedAccessKeyName=RootManageSharedAccessKey;"
                        + "SharedAccessKey=" + key;
        kafka.addSaslUser("$ConnectionString", connectionString);
        kafka.createTopic("orders", 2);
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    /** Everything logged during a test, to check that no key shows up there. */
    @BeforeEach
    void captureLogs() {
        originalErr = System.err;
        System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreLogs() {
        System.setErr(originalErr);
        originalErr.write(logs.toByteArray(), 0, logs.size()); // into the test's output file, as usual
    }

    @Test
    void producerAndSourceFromTheConnectionStringRoundTripOverSaslSsl() {
        try (EventProducer producer = EventHubs.producer(connectionString, "orders")
                .withProducerProperties(kafka.trustStoreProperties()).open()) {
            for (int i = 0; i < 100; i++) {
                producer.send("o-" + (i % 10), Orders.json("o-" + (i % 10), "S" + i, i));
            }
            producer.flush();
        }
        KafkaSource source = EventHubs.kafka(connectionString, "orders", "ingest-group")
                .withConsumerProperties(kafka.trustStoreProperties());
        Pipeline pipeline = Pipeline.from(source).bronze(lake.resolve("bronze").toString())
                .silver(lake.resolve("silver").toString(), "order_id").withSchema(Orders.SCHEMA).withName("eh");

        PipelineProgress progress = pipeline.runUntilCaughtUp();
        assertThat(progress.eventsIngested()).isEqualTo(100);
        assertThat(KernelReader.rows(lake.resolve("silver").toString())).hasSize(10);

        assertThat(source.toString()).contains("127.0.0.1:" + kafka.saslSslPort()).doesNotContain(key);
        assertThat(pipeline.toString()).doesNotContain(key);
        assertThat(logs.toString(StandardCharsets.UTF_8)).contains("sasl.jaas.config = [hidden]").doesNotContain(key);
    }

    @Test
    void aWrongKeyIsRejectedWithAClearMessageThatNeverShowsEitherKey() {
        String wrongKey = randomKey();
        String wrong = connectionString.replace(key, wrongKey);
        KafkaSource source = EventHubs.kafka(wrong, "orders").withConsumerProperties(kafka.trustStoreProperties());
        Pipeline pipeline = Pipeline.from(source).bronze(lake.resolve("bronze").toString()).bronzeOnly()
                .withName("eh-wrong-key");

        assertThatThrownBy(pipeline::runUntilCaughtUp).isInstanceOf(SourceException.class)
                .hasMessageContaining("refused to authenticate")
                .hasMessageContaining("SharedAccessKey")
                .hasMessageNotContaining(wrongKey).hasMessageNotContaining(key);

        try (EventProducer producer = EventHubs.producer(wrong, "orders")
                .withProducerProperties(kafka.trustStoreProperties()).withProducerProperty("max.block.ms", "10000")
                .open()) {
            assertThatThrownBy(() -> producer.send("o-1", "{}").join()).hasRootCauseInstanceOf(
                    org.apache.kafka.common.errors.SaslAuthenticationException.class);
            assertThatThrownBy(producer::flush).isInstanceOf(StreamLakeException.class)
                    .hasMessageContaining("could not be sent").hasMessageNotContaining(wrongKey);
        }
        assertThat(logs.toString(StandardCharsets.UTF_8)).doesNotContain(wrongKey).doesNotContain(key);
    }

    @Test
    void aConnectionStringForAnotherEventHubIsRefusedBeforeConnecting() {
        assertThatThrownBy(() -> EventHubs.kafka(connectionString + ";EntityPath=payments", "orders"))
                .hasMessageContaining("EntityPath").hasMessageContaining("'orders'").hasMessageNotContaining(key)
                // no part of a connection string is quoted: a key pasted into the EntityPath would be printed
                .hasMessageNotContaining("payments");
    }

    private static String randomKey() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }
}
