package io.streamlake.core.eventhubs;

import static io.streamlake.core.testing.SpecChanges.change;

import com.azure.messaging.eventhubs.LoadBalancingStrategy;
import com.azure.storage.blob.BlobContainerClientBuilder;
import io.streamlake.core.testing.SpecChanges;
import io.streamlake.source.StartPosition;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every option of {@link EventHubsSource} changes its own component of the source's state and no other. */
class EventHubsSourceSpecTest {
    private static final String CS = "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=listen;"
            + "SharedAccessKey=dW5pdC10ZXN0LWtleS10aGF0LWlzLWxvbmctZW5vdWdo";
    private static final String STORAGE = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey="
            + "QWNjb3VudEtleVRoYXRNdXN0TmV2ZXJCZVByaW50ZWRBY2NvdW50S2V5VGhhdE11c3ROZXZlckJlUHJpbnRlZA==;"
            + "EndpointSuffix=core.windows.net";

    @Test
    void everyOptionChangesExactlyItsOwnComponents() {
        Map<String, SpecChanges.Change<EventHubsSource>> m = new LinkedHashMap<>();
        m.put("withCheckpointStore(String,String)", change(s -> s.withCheckpointStore(STORAGE, "checkpoints"),
                "checkpointStore"));
        m.put("withCheckpointStoreUrl(String,TokenCredential)",
                change(s -> s.withCheckpointStoreUrl("https://acct.blob.core.windows.net/checkpoints", null),
                        "checkpointStore"));
        m.put("withCheckpointStore(BlobContainerAsyncClient)", change(s -> s.withCheckpointStore(
                new BlobContainerClientBuilder().connectionString(STORAGE).containerName("checkpoints")
                        .buildAsyncClient()),
                "checkpointStore"));
        m.put("withMaxBatchSize(int)", change(s -> s.withMaxBatchSize(7), "maxBatchSize"));
        m.put("withMaxWait(Duration)", change(s -> s.withMaxWait(Duration.ofSeconds(7)), "maxWait"));
        m.put("withStartPosition(StartPosition)", change(s -> s.withStartPosition(StartPosition.latest()),
                "startPosition"));
        m.put("skipLostPositions()", change(EventHubsSource::skipLostPositions, "skipLostPositions"));
        m.put("withLoadBalancing(LoadBalancingStrategy,Duration,Duration)",
                change(s -> s.withLoadBalancing(LoadBalancingStrategy.GREEDY, Duration.ofSeconds(5), null),
                        "loadBalancing"));
        m.put("withPrefetchCount(int)", change(s -> s.withPrefetchCount(7), "prefetchCount"));
        m.put("withQueuedBatches(int)", change(s -> s.withQueuedBatches(7), "queuedBatches"));
        SpecChanges.check(EventHubsSource.class, EventHubs.amqp(CS, "orders", "$Default"), m,
                Set.of("namespace", "eventHubName", "consumerGroup", "connectionString", "credential"));
    }
}
