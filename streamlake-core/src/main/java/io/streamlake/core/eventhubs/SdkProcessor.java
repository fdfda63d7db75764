package io.streamlake.core.eventhubs;

import com.azure.core.credential.TokenCredential;
import com.azure.messaging.eventhubs.CheckpointStore;
import com.azure.messaging.eventhubs.EventProcessorClient;
import com.azure.messaging.eventhubs.EventProcessorClientBuilder;
import java.time.Duration;
import java.util.Objects;

/** The production processor: the SDK's {@link EventProcessorClient} calling the reader back. */
final class SdkProcessor implements EventHubsReader.Processor {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private final EventProcessorClient client;

    private SdkProcessor(EventProcessorClient client) {
        this.client = client;
    }

    @Override
    public void start() {
        client.start();
    }

    @Override
    public void stop() {
        client.stop(STOP_TIMEOUT);
    }

    /** Builds processors for one source. */
    record Factory(EventHubsSource source) implements EventHubsReader.ProcessorFactory {
        @Override
        public EventHubsReader.Processor create(EventHubsReader reader, CheckpointStore store) {
            EventHubsSource s = source;
            EventProcessorClientBuilder b = new EventProcessorClientBuilder()
                    .consumerGroup(s.consumerGroup())
                    .checkpointStore(store)
                    .processEventBatch(reader::onBatch, s.maxBatchSize(), s.maxWait())
                    .processPartitionInitialization(reader::onInit)
                    .processPartitionClose(reader::onClose)
                    .processError(reader::onError)
                    .trackLastEnqueuedEventProperties(true)
                    .initialPartitionEventPosition(reader::initialPosition);
            String cs = s.connectionString();
            if (cs != null) {
                if (ConnectionString.parse(cs).entityPath().isPresent()) {
                    b.connectionString(cs);
                } else {
                    b.connectionString(cs, s.eventHubName());
                }
            } else {
                TokenCredential credential = Objects.requireNonNull(source.credential());
                b.fullyQualifiedNamespace(s.fullyQualifiedNamespace()).eventHubName(s.eventHubName())
                        .credential(credential);
            }
            if (s.loadBalancingStrategy() != null) {
                b.loadBalancingStrategy(s.loadBalancingStrategy());
            }
            if (s.loadBalancingUpdateInterval() != null) {
                b.loadBalancingUpdateInterval(s.loadBalancingUpdateInterval());
            }
            if (s.ownershipExpiration() != null) {
                b.partitionOwnershipExpirationInterval(s.ownershipExpiration());
            }
            if (s.prefetchCount() > 0) {
                b.prefetchCount(s.prefetchCount());
            }
            return new SdkProcessor(b.buildEventProcessorClient());
        }
    }
}
