package io.streamlake.core.eventhubs;

import com.azure.messaging.eventhubs.CheckpointStore;
import com.azure.messaging.eventhubs.EventData;
import com.azure.messaging.eventhubs.ReceivedEvents;
import com.azure.messaging.eventhubs.models.Checkpoint;
import com.azure.messaging.eventhubs.models.CloseContext;
import com.azure.messaging.eventhubs.models.CloseReason;
import com.azure.messaging.eventhubs.models.EventBatchContext;
import com.azure.messaging.eventhubs.models.EventPosition;
import com.azure.messaging.eventhubs.models.InitializationContext;
import com.azure.messaging.eventhubs.models.LastEnqueuedEventProperties;
import com.azure.messaging.eventhubs.models.PartitionContext;
import com.azure.messaging.eventhubs.models.PartitionOwnership;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An event hub in memory, and processors that behave like the SDK's EventProcessorClient towards the
 * reader: they claim partitions through the reader's checkpoint store (real blob ownership records on
 * Azurite), start each claimed partition where the SDK 5.21.3 would (checkpoint offset, else its
 * sequence number, else the initial position; see {@code PartitionPumpManager.getInitialEventPosition}),
 * and deliver batches through the SDK's public {@link EventBatchContext} on a thread per partition.
 * There is no AMQP emulator without Docker; this is the part of the processor the source depends on.
 */
final class SimulatedHub {
    static final String NAMESPACE = "sim.servicebus.windows.net";
    final String name;
    final String consumerGroup = "$Default";
    private final List<List<EventData>> partitions = new ArrayList<>();
    /** Per partition, the first sequence number the hub still holds (retention). */
    private final int[] retainedFrom;

    SimulatedHub(String name, int partitionCount) {
        this.name = name;
        this.retainedFrom = new int[partitionCount];
        for (int i = 0; i < partitionCount; i++) {
            partitions.add(new CopyOnWriteArrayList<>());
        }
    }

    /** Appends events {@code "<partition>-<seq>"} with a partition key, a property, at the given time. */
    void send(int partition, int count, Instant enqueued) {
        List<EventData> log = partitions.get(partition);
        synchronized (log) {
            for (int i = 0; i < count; i++) {
                append(log, (partition + "-" + log.size()).getBytes(StandardCharsets.UTF_8), enqueued);
            }
        }
    }

    /** Appends events with these bodies, numbered on from the partition's last. */
    void send(int partition, List<byte[]> bodies) {
        List<EventData> log = partitions.get(partition);
        synchronized (log) {
            for (byte[] body : bodies) {
                append(log, body, Instant.parse("2026-11-25T00:00:00Z"));
            }
        }
    }

    private static void append(List<EventData> log, byte[] body, Instant enqueued) {
        int seq = log.size();
        log.add(ReceivedEvents.received(body, seq, Long.toString(1000L + seq * 100L), enqueued, "key-" + (seq % 7),
                Map.of("source", "sim", "n", seq)));
    }

    void send(int partition, int count) {
        send(partition, count, Instant.parse("2026-11-25T00:00:00Z"));
    }

    /** Retention drops the events before this sequence number. */
    void expireBefore(int partition, int sequenceNumber) {
        retainedFrom[partition] = sequenceNumber;
    }

    int size(int partition) {
        return partitions.get(partition).size();
    }

    /** The index of the first event a receiver starting at this position gets, as the service resolves it. */
    private int startIndex(int partition, EventPosition position) {
        List<EventData> log = partitions.get(partition);
        int first = retainedFrom[partition];
        int at;
        if (position.getSequenceNumber() != null) {
            long s = position.getSequenceNumber();
            at = (int) (position.isInclusive() ? s : s + 1);
        } else if (position.getEnqueuedDateTime() != null) {
            at = log.size();
            for (int i = first; i < log.size(); i++) {
                if (log.get(i).getEnqueuedTime().isAfter(position.getEnqueuedDateTime())
                        || (position.isInclusive()
                                && log.get(i).getEnqueuedTime().equals(position.getEnqueuedDateTime()))) {
                    at = i;
                    break;
                }
            }
        } else if ("@latest".equals(position.getOffset())) {
            at = log.size();
        } else if ("-1".equals(position.getOffset())) {
            at = first;
        } else {
            long offset = Long.parseLong(position.getOffset());
            at = log.size();
            for (int i = 0; i < log.size(); i++) {
                long o = Long.parseLong(log.get(i).getOffsetString());
                if (position.isInclusive() ? o >= offset : o > offset) {
                    at = i;
                    break;
                }
            }
        }
        return Math.max(at, first); // the service starts at the earliest event it holds
    }

    /** One processor instance: what the SDK's load balancer and partition pumps do for the reader. */
    final class Processor implements EventHubsReader.Processor {
        final String ownerId;
        private final EventHubsReader reader;
        private final CheckpointStore store;
        private final int batchSize;
        private final Map<String, Thread> pumps = new ConcurrentHashMap<>();
        private final Map<String, Boolean> running = new ConcurrentHashMap<>();
        /** The position each claimed partition started at, for assertions. */
        final Map<String, EventPosition> startedAt = new ConcurrentHashMap<>();

        Processor(String ownerId, EventHubsReader reader, CheckpointStore store, int batchSize) {
            this.ownerId = ownerId;
            this.reader = reader;
            this.store = store;
            this.batchSize = batchSize;
        }

        @Override
        public void start() {
            // Claims are made by the test, so that it decides who owns what and when.
        }

        @Override
        public void stop() {
            for (String id : List.copyOf(pumps.keySet())) {
                close(id, CloseReason.EVENT_PROCESSOR_SHUTDOWN);
            }
        }

        /**
         * Claims partitions (stealing them from any owner) and starts them, on a thread of its own as
         * the SDK does: the start position waits until the pipeline polls.
         */
        CompletableFuture<Void> claim(String... ids) {
            return CompletableFuture.runAsync(() -> {
                Map<String, PartitionOwnership> current = new ConcurrentHashMap<>();
                store.listOwnership(NAMESPACE, name, consumerGroup).toIterable()
                        .forEach(o -> current.put(o.getPartitionId(), o));
                List<PartitionOwnership> requests = new ArrayList<>();
                for (String id : ids) {
                    PartitionOwnership previous = current.get(id);
                    requests.add(new PartitionOwnership().setFullyQualifiedNamespace(NAMESPACE).setEventHubName(name)
                            .setConsumerGroup(consumerGroup).setPartitionId(id).setOwnerId(ownerId)
                            .setETag(previous == null ? null : previous.getETag()));
                }
                List<PartitionOwnership> claimed = store.claimOwnership(requests).collectList().block();
                if (claimed == null || claimed.size() != ids.length) {
                    throw new IllegalStateException("claimed " + claimed + " of " + List.of(ids));
                }
                Map<String, Checkpoint> checkpoints = new ConcurrentHashMap<>();
                store.listCheckpoints(NAMESPACE, name, consumerGroup).toIterable()
                        .forEach(c -> checkpoints.put(c.getPartitionId(), c));
                for (String id : ids) {
                    startPump(id, position(id, checkpoints.get(id)));
                }
            });
        }

        /** Starts a partition without claiming it or asking the store where: what the SDK never does. */
        void startWithoutAsking(String id, EventPosition position) {
            startPump(id, position);
        }

        private EventPosition position(String id, Checkpoint c) {
            if (c != null) {
                if (c.getOffsetString() != null) {
                    return EventPosition.fromOffsetString(c.getOffsetString());
                } else if (c.getSequenceNumber() != null) {
                    return EventPosition.fromSequenceNumber(c.getSequenceNumber());
                }
            }
            return reader.initialPosition(id);
        }

        private void startPump(String id, EventPosition position) {
            startedAt.put(id, position);
            int partition = Integer.parseInt(id);
            PartitionContext pc = new PartitionContext(NAMESPACE, name, consumerGroup, id);
            reader.onInit(new InitializationContext(pc));
            running.put(id, true);
            Thread t = new Thread(() -> {
                List<EventData> log = partitions.get(partition);
                int next = startIndex(partition, position);
                while (Boolean.TRUE.equals(running.get(id))) {
                    int end = Math.min(log.size(), next + batchSize);
                    List<EventData> batch = new ArrayList<>(log.subList(Math.min(next, end), end));
                    if (batch.isEmpty()) {
                        try {
                            Thread.sleep(20); // the processor's max wait
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    EventData last = log.isEmpty() ? null : log.get(log.size() - 1);
                    LastEnqueuedEventProperties props = last == null ? null : new LastEnqueuedEventProperties(
                            last.getSequenceNumber(), last.getOffsetString(), last.getEnqueuedTime(), Instant.now());
                    reader.onBatch(new EventBatchContext(pc, batch, store, props));
                    next = end;
                }
            }, "sim-" + ownerId + "-" + id);
            t.setDaemon(true);
            pumps.put(id, t);
            t.start();
        }

        /** The partition stops here: ownership lost, or shutdown. */
        void close(String id, CloseReason reason) {
            running.put(id, false);
            Thread t = pumps.remove(id);
            if (t != null) {
                t.interrupt();
                try {
                    t.join(Duration.ofSeconds(10).toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                reader.onClose(new CloseContext(new PartitionContext(NAMESPACE, name, consumerGroup, id), reason));
            }
        }
    }
}
