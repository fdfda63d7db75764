package io.streamlake.core.eventhubs;

import com.azure.messaging.eventhubs.CheckpointStore;
import com.azure.messaging.eventhubs.models.Checkpoint;
import com.azure.messaging.eventhubs.models.PartitionOwnership;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The checkpoint store the processor sees: ownership goes to the blob store as it is, but where to
 * start a claimed partition comes from the bronze table's marker first. The Event Hubs SDK (5.21.3,
 * {@code PartitionPumpManager.getInitialEventPosition}) starts a partition after the checkpoint's
 * offset if it has one, else after its sequence number, else at the initial position; a checkpoint
 * built from a marker carries only the sequence number, so the processor starts right after it.
 * A blob checkpoint ahead of or behind the marker loses to the marker.
 */
final class MarkerCheckpointStore implements CheckpointStore {
    private final CheckpointStore blob;
    private final EventHubsReader reader;

    MarkerCheckpointStore(CheckpointStore blob, EventHubsReader reader) {
        this.blob = blob;
        this.reader = reader;
    }

    @Override
    public Flux<PartitionOwnership> listOwnership(String namespace, String eventHubName, String consumerGroup) {
        return blob.listOwnership(namespace, eventHubName, consumerGroup);
    }

    @Override
    public Flux<PartitionOwnership> claimOwnership(List<PartitionOwnership> requested) {
        // Renewals come this way too; the reader ignores partitions it is already reading.
        return blob.claimOwnership(requested).doOnNext(o -> reader.claimed(o.getPartitionId()));
    }

    @Override
    public Flux<Checkpoint> listCheckpoints(String namespace, String eventHubName, String consumerGroup) {
        // The markers are read on the pipeline's thread between batches (see EventHubsReader#startCheckpoints).
        return blob.listCheckpoints(namespace, eventHubName, consumerGroup).collectList()
                .flatMap(fromBlob -> Mono.fromFuture(reader.startCheckpoints(namespace, eventHubName, consumerGroup,
                        fromBlob)))
                .flatMapIterable(list -> list);
    }

    @Override
    public Mono<Void> updateCheckpoint(Checkpoint checkpoint) {
        return blob.updateCheckpoint(checkpoint);
    }
}
