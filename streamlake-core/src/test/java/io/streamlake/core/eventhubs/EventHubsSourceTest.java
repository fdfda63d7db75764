package io.streamlake.core.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.messaging.eventhubs.EventData;
import com.azure.messaging.eventhubs.ReceivedEvents;
import com.azure.messaging.eventhubs.checkpointstore.blob.BlobCheckpointStore;
import com.azure.messaging.eventhubs.models.EventPosition;
import com.azure.storage.blob.BlobContainerClientBuilder;
import io.streamlake.core.testing.NoMarkers;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.source.StartPosition;
import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** Configuration, conversion and class loading of the native source, without any server. */
class EventHubsSourceTest {
    private static final String KEY = "dW5pdC10ZXN0LWtleS10aGF0LWlzLWxvbmctZW5vdWdo";
    private static final String CS = "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=listen;"
            + "SharedAccessKey=" + KEY;
    /** Storage account keys are the base64 text of 64 bytes, and are checked for it. */
    private static final String STORAGE_KEY =
            "QWNjb3VudEtleVRoYXRNdXN0TmV2ZXJCZVByaW50ZWRBY2NvdW50S2V5VGhhdE11c3ROZXZlckJlUHJpbnRlZA==";
    private static final String STORAGE = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + STORAGE_KEY
            + ";EndpointSuffix=core.windows.net";
    private static final String SAS_SIGNATURE = "U2lnbmF0dXJlVGhhdE11c3ROb3RMZWFrMDEyMzQ1Njc%3D";

    @Test
    void partitionIdsMustBeTheNumbersEventHubsGives() {
        assertThat(EventHubsReader.partitionNumber("0")).isZero();
        assertThat(EventHubsReader.partitionNumber("31")).isEqualTo(31);
        for (String bad : List.of("", "01", "-1", "p0", "1.0", "9999999999")) {
            assertThatThrownBy(() -> EventHubsReader.partitionNumber(bad)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("'" + bad + "'").hasMessageContaining("\"0\" to \"N-1\"");
        }
    }

    @Test
    void aReceivedEventBecomesABronzeRecordWithItsMetadata() {
        EventData e = ReceivedEvents.received("{}".getBytes(StandardCharsets.UTF_8), 42, "4200",
                Instant.parse("2026-11-25T00:00:00Z"), "customer-7",
                Map.of("tenant", "t1", "count", 3, "raw", new byte[] {1, 2}));
        SourceRecord r = EventHubsRecords.toRecord(new SourcePartition("orders", 3), e);
        assertThat(r.position()).isEqualTo(42);
        assertThat(r.timestamp()).isEqualTo(Instant.parse("2026-11-25T00:00:00Z"));
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("customer-7");
        assertThat(new String(r.headers().get("count"), StandardCharsets.UTF_8)).isEqualTo("3");
        assertThat(r.headers().get("raw")).containsExactly(1, 2);
        assertThat(r.metadata()).containsEntry("offset", "4200").containsEntry("partition_key", "customer-7")
                .containsEntry("message-id", "m-42")
                .doesNotContainKeys("x-opt-sequence-number", "x-opt-enqueued-time", "x-opt-offset",
                        "x-opt-partition-key");
    }

    @Test
    void startPositionsMapToTheProcessorsInitialPositions() {
        EventHubsSource s = EventHubs.amqp(CS, "orders", "$Default");
        assertThat(s.initialPosition("0")).isEqualTo(EventPosition.earliest());
        assertThat(s.withStartPosition(StartPosition.latest()).initialPosition("0")).isEqualTo(EventPosition.latest());
        Instant t = Instant.parse("2026-11-25T00:00:00Z");
        assertThat(s.withStartPosition(StartPosition.timestamp(t)).initialPosition("1"))
                .isEqualTo(EventPosition.fromEnqueuedTime(t));
        EventHubsSource bySeq =
                s.withStartPosition(StartPosition.offsets(Map.of(new SourcePartition("orders", 1), 7L)));
        assertThat(bySeq.initialPosition("1")).isEqualTo(EventPosition.fromSequenceNumber(7, true));
        assertThat(bySeq.initialPosition("0")).isEqualTo(EventPosition.earliest());
        assertThat(bySeq.startSequenceNumber(1)).isEqualTo(7);
        assertThat(bySeq.startSequenceNumber(0)).isEqualTo(-1);
    }

    @Test
    void configurationErrorsAreClearAndToStringHidesSecrets() {
        EventHubsSource s = EventHubs.amqp(CS, "orders", "$Default").withCheckpointStore(STORAGE, "checkpoints");
        assertThat(s.toString()).contains("myns.servicebus.windows.net/orders", "$Default", "checkpoints", "acct")
                .doesNotContain(KEY).doesNotContain(STORAGE_KEY);
        assertThat(s.withCheckpointStoreUrl("https://acct.blob.core.windows.net/cp?sv=2024-11-04&sig=" + SAS_SIGNATURE,
                null).toString()).doesNotContain(SAS_SIGNATURE).contains("SAS hidden");
        // the EntityPath is named, never quoted: a key pasted there must not be printed
        assertThatThrownBy(() -> EventHubs.amqp(CS + ";EntityPath=payments", "orders", "$Default"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("EntityPath")
                .hasMessageContaining("'orders'").hasMessageNotContaining("payments").hasMessageNotContaining(KEY);
        assertThatThrownBy(() -> EventHubs.amqp(CS, "orders", " ")).hasMessageContaining("$Default");
        assertThatThrownBy(() -> EventHubsEntraId.amqp(CS, "orders", "$Default"))
                .hasMessageContaining("connection string").hasMessageNotContaining(KEY);
        assertThatThrownBy(() -> s.withMaxBatchSize(0)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> EventHubs.amqp(CS, "orders", "$Default").open(new NoMarkers("p")))
                .hasMessageContaining("withCheckpointStore");
    }

    @Test
    void theProcessorIsBuiltFromAConnectionStringOrACredentialWithoutConnecting() {
        TokenCredential credential = request -> Mono.just(new AccessToken("t", OffsetDateTime.now().plusHours(1)));
        BlobCheckpointStore store = new BlobCheckpointStore(new BlobContainerClientBuilder().connectionString(STORAGE)
                .containerName("cp").buildAsyncClient());
        for (EventHubsSource s : List.of(EventHubs.amqp(CS, "orders", "$Default"),
                EventHubs.amqp(CS + ";EntityPath=orders", "orders", "$Default"),
                EventHubsEntraId.amqp("myns.servicebus.windows.net", "orders", "$Default", credential))) {
            EventHubsReader reader = new EventHubsReader(s, new NoMarkers("p"), store, s.secrets());
            EventHubsReader.Processor p = new SdkProcessor.Factory(s).create(reader, new MarkerCheckpointStore(store,
                    reader));
            assertThat(p).isNotNull();
        }
    }

    /**
     * A Kafka-only user has no Azure SDK on the class path: {@link EventHubs#kafka} must work there,
     * so EventHubs may mention Azure types only in methods the JVM never links for that user.
     */
    @Test
    void theKafkaEndpointWorksWithoutTheAzureSdkOnTheClassPath() throws Exception {
        URL[] urls = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> !p.contains(File.separator + "com" + File.separator + "azure" + File.separator)
                        && !p.contains("azure-") && !p.contains("reactor"))
                .map(EventHubsSourceTest::url).toArray(URL[]::new);
        try (URLClassLoader kafkaOnly = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> Class.forName("com.azure.core.credential.TokenCredential", false, kafkaOnly))
                    .isInstanceOf(ClassNotFoundException.class);
            @SuppressWarnings("unchecked")
            Supplier<String> run = (Supplier<String>) Class.forName(KafkaOnly.class.getName(), true, kafkaOnly)
                    .getConstructor().newInstance();
            assertThat(run.get()).contains("orders").doesNotContain(KEY);
        }
    }

    /** Runs inside the class loader without Azure: calls the Kafka path as a user's code would. */
    public static final class KafkaOnly implements Supplier<String> {
        @Override
        public String get() {
            return EventHubs.kafka(CS, "orders").toString() + EventHubs.producer(CS, "orders");
        }
    }

    private static URL url(String path) {
        try {
            return new File(path).toURI().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
