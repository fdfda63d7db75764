package io.streamlake.core.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.testing.BoundedBatches;
import io.streamlake.core.testing.NoMarkers;
import io.streamlake.source.BatchLimits;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native Event Hubs reader's batches bounded by bytes and by delay, with {@link SimulatedHub}
 * processors and the real blob checkpoint store on Azurite, as {@link EventHubsSourceIT} runs it: a
 * record left out of a full batch comes first in the next, nothing is lost or repeated.
 */
class EventHubsBatchLimitsIT {
    private static final int KIB = 1024;
    private static Azurite azurite;

    @BeforeAll
    static void startAzurite() {
        azurite = Azurite.start();
    }

    @AfterAll
    static void stopAzurite() {
        if (azurite != null) {
            azurite.close();
        }
    }

    /** A reader on the hub whose processor claims every partition while the test polls. */
    private static final class Claimed implements AutoCloseable {
        final EventHubsReader reader;
        SimulatedHub.Processor processor;
        final CompletableFuture<Void> claimed;

        Claimed(SimulatedHub hub, String... partitions) {
            EventHubsSource source = EventHubs.amqp(EventHubsSourceIT.EH_CONNECTION, hub.name, hub.consumerGroup)
                    .withCheckpointStore(azurite.connectionString(), "cp-" + UUID.randomUUID());
            reader = source.open(new NoMarkers("eh"), (r, store) -> processor = hub.new Processor("a", r, store, 10));
            claimed = processor.claim(partitions); // answered by the polls that follow
        }

        @Override
        public void close() {
            reader.close();
        }
    }

    private static Map<SourcePartition, List<byte[]>> send(SimulatedHub hub, int partition, int count, int bigAt) {
        List<byte[]> bodies = new ArrayList<>();
        for (int seq = 0; seq < count; seq++) {
            bodies.add(BoundedBatches.value(partition * 1000 + seq, seq == bigAt ? 300 * KIB : 64 * KIB));
        }
        hub.send(partition, bodies);
        return Map.of(new SourcePartition(hub.name, partition), bodies);
    }

    @Test
    void batchesAreCutByBytesAndTheRecordLeftOutComesFirstNext() {
        SimulatedHub hub = new SimulatedHub("big", 2);
        Map<SourcePartition, List<byte[]>> sent = new HashMap<>(send(hub, 0, 30, 11)); // 11 exceeds a batch
        sent.putAll(send(hub, 1, 20, -1));
        BatchLimits limits = new BatchLimits(10_000, 256 * KIB, Duration.ofMillis(100), Duration.ofSeconds(10));
        try (Claimed c = new Claimed(hub, "0", "1")) {
            List<List<SourceRecord>> batches = BoundedBatches.pollAll(c.reader, limits, 50, Duration.ofSeconds(60));
            c.claimed.join();
            BoundedBatches.assertEachOnceInOrder(batches, sent);
            assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeLessThanOrEqualTo(4));
            assertThat(batches).anySatisfy(b -> assertThat(b).singleElement()
                    .satisfies(r -> assertThat(r.value()).hasSize(300 * KIB)));
            assertThat(batches.stream().flatMap(List::stream).mapToLong(SourceRecord::position).min()).hasValue(0);
        }
    }

    @Test
    void aZeroDelayHandsOverOneProcessorBatchAtATimeAndLosesNothing() {
        SimulatedHub hub = new SimulatedHub("backlog", 1);
        Map<SourcePartition, List<byte[]>> sent = new HashMap<>();
        List<byte[]> bodies = new ArrayList<>();
        for (int seq = 0; seq < 500; seq++) {
            bodies.add(BoundedBatches.value(seq, 16));
        }
        hub.send(0, bodies);
        sent.put(new SourcePartition("backlog", 0), bodies);
        // The processor queues batches of ten ahead of the polls: without the delay a poll would take
        // every batch queued; with a zero delay it hands over the first batch it takes.
        BatchLimits limits = new BatchLimits(1_000_000, Long.MAX_VALUE, Duration.ofMillis(100), Duration.ZERO);
        try (Claimed c = new Claimed(hub, "0")) {
            List<List<SourceRecord>> batches = BoundedBatches.pollAll(c.reader, limits, 500, Duration.ofSeconds(60));
            c.claimed.join();
            assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeLessThanOrEqualTo(10));
            BoundedBatches.assertEachOnceInOrder(batches, sent);
        }
    }
}
