package io.streamlake.core.eventhubs;

import com.azure.messaging.eventhubs.CheckpointStore;
import com.azure.messaging.eventhubs.EventData;
import com.azure.messaging.eventhubs.models.Checkpoint;
import com.azure.messaging.eventhubs.models.CloseContext;
import com.azure.messaging.eventhubs.models.ErrorContext;
import com.azure.messaging.eventhubs.models.EventBatchContext;
import com.azure.messaging.eventhubs.models.EventPosition;
import com.azure.messaging.eventhubs.models.InitializationContext;
import com.azure.messaging.eventhubs.models.LastEnqueuedEventProperties;
import com.azure.messaging.eventhubs.models.PartitionContext;
import io.streamlake.core.storage.Redactor;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.BatchLimits;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The running side of an {@link EventHubsSource}. The processor's callbacks run on its own threads
 * and push converted batches into a bounded queue that {@link #poll} drains on the pipeline's thread;
 * a full queue makes the callbacks wait, which holds back the receivers.
 *
 * <p>Exactly-once rests on these rules. (1) The bronze markers are read only on the pipeline's
 * thread, between batches ({@link SourceContext#committedPosition} also sets the engine's fence for
 * the next commit, so reading it while the engine holds a batch could let a stale batch through).
 * The processor asks where to start a claimed partition through {@link MarkerCheckpointStore}, whose
 * answer waits until the next {@link #poll} reads the marker. (2) Every partition remembers the next
 * sequence number it must hand out: older events (already committed, by this instance or another) are
 * dropped, a later one means events were lost, which fails or is reported as a gap. (3) When a
 * partition closes (ownership lost), its queued batches are dropped; a batch the engine already
 * holds is fenced by the Delta commit, which fails if another instance moved the marker, and the
 * engine then calls {@link #rewind()}. (4) The blob checkpoint is written in {@link #committed}, after
 * the Delta commit, with offset and sequence number.
 *
 * <p>{@link #caughtUp()} is true once some partition was claimed, nothing is queued or waiting to be
 * positioned, and every partition this instance reads either got an empty batch from the processor
 * last (it waited {@code maxWait} and found nothing) or has handed out the partition's last enqueued
 * sequence number as the processor last reported it. An instance that owns no partition is never
 * caught up: it may still be given some.
 */
final class EventHubsReader implements SourceReader {
    private static final Logger LOG = LoggerFactory.getLogger(EventHubsReader.class);
    private static final Duration CHECKPOINT_TIMEOUT = Duration.ofSeconds(30);

    /** What the reader needs of a processor: the SDK's EventProcessorClient, or a test's stand-in. */
    interface Processor {
        void start();

        void stop();
    }

    /** Creates the processor that calls this reader back and keeps ownership in the given store. */
    interface ProcessorFactory {
        Processor create(EventHubsReader reader, CheckpointStore store);
    }

    /** One partition as this reader sees it. Volatile fields are written by processor threads. */
    private static final class PartitionState {
        final int id;
        final String idText;
        final SourcePartition partition;
        volatile int generation;
        volatile boolean active;
        volatile boolean claimPending;
        volatile boolean idle;
        volatile long lastEnqueued = -1;
        volatile @Nullable PartitionContext context;
        /** First sequence number read where nothing named one: a restart before the first commit goes back there. */
        volatile long resolvedStart = -1;
        // The pipeline thread's own:
        long expected = -1;
        String expectedFrom = "";
        long lastHandedSeq = -1;
        @Nullable String lastHandedOffset;

        PartitionState(int id, String idText, String stream) {
            this.id = id;
            this.idText = idText;
            this.partition = new SourcePartition(stream, id);
        }
    }

    private record Batch(PartitionState state, int generation, List<SourceRecord> records) {
    }

    private record StartRequest(String namespace, String eventHubName, String consumerGroup, List<Checkpoint> fromBlob,
            CompletableFuture<List<Checkpoint>> answer) {
    }

    private final EventHubsSource source;
    private final SourceContext context;
    private final CheckpointStore blob;
    private final Redactor redactor;
    private final int capacity;
    private final Map<Integer, PartitionState> partitions = new ConcurrentHashMap<>();
    // Guarded by this:
    private final ArrayDeque<Batch> queue = new ArrayDeque<>();
    private final ArrayDeque<StartRequest> requests = new ArrayDeque<>();
    private boolean closed;
    private @Nullable RuntimeException failure;
    // The pipeline thread's own:
    private @Nullable Processor processor;
    private List<SourceRecord> replay = new ArrayList<>();
    private @Nullable Batch current;
    private int currentIndex;
    private List<SourceRecord> handedOut = List.of();
    /** The key and value bytes of the batch {@link #poll} is gathering. */
    private long gatheredBytes;
    private volatile boolean everPositioned;
    private boolean checkpointFailing;

    EventHubsReader(EventHubsSource source, SourceContext context, CheckpointStore blob, List<String> secrets) {
        this.source = source;
        this.context = context;
        this.blob = blob;
        this.redactor = new Redactor(secrets);
        this.capacity = source.queuedBatches();
    }

    void start(ProcessorFactory factory) {
        Processor p = factory.create(this, new MarkerCheckpointStore(blob, this));
        processor = p;
        try {
            p.start();
        } catch (RuntimeException e) {
            throw EventHubsErrors.processorNotStarted(source.name(), source.toString(), redactor, e);
        }
        LOG.info("source '{}': started {}", source.name(), source);
    }

    /**
     * @param id an Event Hubs partition id
     * @return its number
     * @throws ConfigurationException if it is not "0" to "N-1", the ids Event Hubs gives partitions
     */
    static int partitionNumber(String id) {
        if (id == null || id.isEmpty() || id.length() > 9 || (id.length() > 1 && id.charAt(0) == '0')
                || !id.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw EventHubsErrors.partitionIdNotANumber(id);
        }
        return Integer.parseInt(id);
    }

    private PartitionState state(String idText) {
        int id = partitionNumber(idText);
        return partitions.computeIfAbsent(id, k -> new PartitionState(k, idText, source.eventHubName()));
    }

    private void fail(RuntimeException e) {
        synchronized (this) {
            if (failure == null) {
                failure = e;
            }
            notifyAll();
        }
    }

    // ---- processor callbacks (processor threads) ----

    /** A claim went through (or an ownership was renewed): a partition not being read needs a start. */
    void claimed(String partitionId) {
        try {
            PartitionState st = state(partitionId);
            if (!st.active) {
                st.claimPending = true;
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    void onInit(InitializationContext init) {
        try {
            PartitionState st = state(init.getPartitionContext().getPartitionId());
            st.context = init.getPartitionContext();
            LOG.debug("source '{}': partition {} initialized", source.name(), st.idText);
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    void onBatch(EventBatchContext batch) {
        PartitionState st;
        try {
            st = state(batch.getPartitionContext().getPartitionId());
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        st.context = batch.getPartitionContext();
        LastEnqueuedEventProperties last = batch.getLastEnqueuedEventProperties();
        if (last != null && last.getSequenceNumber() != null) {
            st.lastEnqueued = last.getSequenceNumber();
        }
        List<EventData> events = batch.getEvents();
        if (events.isEmpty()) {
            st.idle = true;
            return;
        }
        int generation = st.generation;
        List<SourceRecord> records = new ArrayList<>(events.size());
        try {
            for (EventData e : events) {
                records.add(EventHubsRecords.toRecord(st.partition, e));
            }
        } catch (RuntimeException e) {
            fail(e); // thrown back to the processor, it would move on without these events
            return;
        }
        synchronized (this) {
            while (!closed && queue.size() >= capacity && st.generation == generation) {
                try {
                    wait(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return; // the processor is stopping: the events were not handed out, nothing is lost
                }
            }
            if (closed || st.generation != generation) {
                return; // the partition closed meanwhile: the next owner reads these events from the marker
            }
            queue.add(new Batch(st, generation, records));
            st.idle = false;
            notifyAll();
        }
    }

    void onClose(CloseContext close) {
        PartitionState st;
        try {
            st = state(close.getPartitionContext().getPartitionId());
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        synchronized (this) {
            st.active = false;
            st.claimPending = false;
            st.generation++;
            queue.removeIf(b -> b.state() == st);
            notifyAll();
        }
        LOG.info("source '{}': partition {} closed ({}); its queued events were dropped and its next owner starts"
                + " after the bronze marker", source.name(), st.idText, close.getCloseReason());
    }

    void onError(ErrorContext error) {
        PartitionContext pc = error.getPartitionContext();
        LOG.warn("source '{}': the Event Hubs processor reported an error{}: {}", source.name(),
                pc == null || pc.getPartitionId() == null ? "" : " on partition " + pc.getPartitionId(),
                redactor.redact(String.valueOf(error.getThrowable())));
    }

    /** Where the processor starts a partition that has neither marker nor checkpoint. */
    EventPosition initialPosition(String partitionId) {
        PartitionState st = partitions.get(partitionNumber(partitionId));
        if (st != null && st.resolvedStart >= 0) {
            return EventPosition.fromSequenceNumber(st.resolvedStart, true);
        }
        return source.initialPosition(partitionId);
    }

    /**
     * The checkpoints the processor starts claimed partitions from; answered by the pipeline's thread
     * at its next poll, because reading the markers moves the engine's fence.
     */
    CompletableFuture<List<Checkpoint>> startCheckpoints(String namespace, String eventHubName, String consumerGroup,
            List<Checkpoint> fromBlob) {
        CompletableFuture<List<Checkpoint>> answer = new CompletableFuture<>();
        synchronized (this) {
            if (closed) {
                answer.completeExceptionally(new IllegalStateException("the source is closed"));
                return answer;
            }
            requests.add(new StartRequest(namespace, eventHubName, consumerGroup, fromBlob, answer));
            notifyAll();
        }
        return answer;
    }

    // ---- the pipeline's thread ----

    private void serve(List<StartRequest> todo) {
        for (StartRequest r : todo) {
            try {
                r.answer().complete(positionClaimed(r));
            } catch (RuntimeException e) {
                r.answer().completeExceptionally(e);
                throw e;
            }
        }
    }

    private List<Checkpoint> positionClaimed(StartRequest r) {
        Map<String, Checkpoint> byId = new HashMap<>();
        for (Checkpoint c : r.fromBlob()) {
            byId.put(c.getPartitionId(), c);
        }
        Map<String, Long> fromMarkers = new TreeMap<>();
        List<String> fromCheckpoints = new ArrayList<>();
        List<String> fresh = new ArrayList<>();
        for (PartitionState st : partitions.values()) {
            if (!st.claimPending || st.active) {
                continue;
            }
            synchronized (this) {
                st.generation++; // nothing queued before this claim belongs to it
            }
            Checkpoint fromBlob = byId.remove(st.idText);
            Checkpoint start = position(st, fromBlob, r.namespace(), r.eventHubName(), r.consumerGroup());
            if (start != null) {
                byId.put(st.idText, start);
            }
            if (start == null) {
                fresh.add(st.idText);
            } else if (start == fromBlob) {
                fromCheckpoints.add(st.idText);
            } else {
                fromMarkers.put(st.idText, start.getSequenceNumber());
            }
        }
        if (!fromMarkers.isEmpty() || !fromCheckpoints.isEmpty() || !fresh.isEmpty()) {
            LOG.info("source '{}': starting partitions after the bronze markers {}{}{}", source.name(), fromMarkers,
                    fromCheckpoints.isEmpty() ? "" : ", partitions " + fromCheckpoints + " after their blob checkpoints"
                            + " (bronze holds no marker for them yet)",
                    fresh.isEmpty() ? ""
                            : ", partitions " + fresh + " from the start position " + source.startPosition());
        }
        return new ArrayList<>(byId.values());
    }

    /**
     * Positions a partition from its bronze marker, else the blob checkpoint, else the start position,
     * and starts reading it.
     *
     * @return the checkpoint the processor must start after, or null to use the initial position
     */
    private @Nullable Checkpoint position(PartitionState st, @Nullable Checkpoint fromBlob, String namespace,
            String eventHubName, String consumerGroup) {
        Checkpoint start = null;
        OptionalLong marker = context.committedPosition(st.partition);
        if (marker.isPresent()) {
            // The marker wins over any blob checkpoint, ahead or behind. With only a sequence number
            // set, the processor starts right after it.
            st.expected = marker.getAsLong() + 1;
            st.expectedFrom = "the bronze marker";
            start = new Checkpoint().setFullyQualifiedNamespace(namespace).setEventHubName(eventHubName)
                    .setConsumerGroup(consumerGroup).setPartitionId(st.idText).setSequenceNumber(marker.getAsLong());
        } else if (fromBlob != null && fromBlob.getSequenceNumber() != null) {
            st.expected = fromBlob.getSequenceNumber() + 1;
            st.expectedFrom = "the blob checkpoint";
            start = fromBlob;
        } else if (st.resolvedStart >= 0) {
            st.expected = st.resolvedStart;
            st.expectedFrom = "the position first read";
        } else {
            st.expected = source.startSequenceNumber(st.id);
            st.expectedFrom = "the start position";
        }
        synchronized (this) {
            st.idle = false;
            st.claimPending = false;
            st.active = true;
        }
        everPositioned = true;
        return start;
    }

    @Override
    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
        return poll(BatchLimits.of(maxRecords, maxWait));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Waits up to the limits' wait for the first queued batch, then takes what is queued already,
     * without waiting for more, until the batch is full (records or bytes) or the first record has
     * waited the limits' delay. A record left out stays first in line for the next poll.
     */
    @Override
    public List<SourceRecord> poll(BatchLimits limits) {
        List<SourceRecord> out = new ArrayList<>(Math.min(limits.maxRecords(), 16_384));
        gatheredBytes = 0;
        boolean full = false;
        List<SourceRecord> again = replay;
        if (!again.isEmpty()) {
            replay = new ArrayList<>();
            int i = 0;
            for (; i < again.size(); i++) {
                SourceRecord r = again.get(i);
                PartitionState st = partitions.get(r.partition().id());
                if (st != null && st.active && !offer(st, r, out, limits)) {
                    break;
                }
            }
            // Left out for a full batch: the queue's records come after these, so they wait too.
            full = i < again.size();
            replay.addAll(again.subList(i, again.size()));
        }
        long deadline = System.nanoTime() + limits.maxWaitNanos();
        long first = System.nanoTime();
        while (!full && out.size() < limits.maxRecords()) {
            boolean empty = out.isEmpty();
            if (!empty && limits.delayPassed(first, System.nanoTime())) {
                break;
            }
            Batch b = next(empty ? deadline : System.nanoTime());
            if (b == null) {
                break;
            }
            if (empty) {
                first = System.nanoTime();
            }
            full = take(b, out, limits);
        }
        handedOut = out;
        return out;
    }

    /** @return the batch to take from next, waiting until the deadline; serves start requests meanwhile */
    private @Nullable Batch next(long deadline) {
        if (current != null) {
            return current;
        }
        while (true) {
            List<StartRequest> todo = null;
            synchronized (this) {
                if (failure != null) {
                    throw failure;
                }
                if (!requests.isEmpty()) {
                    todo = new ArrayList<>(requests);
                    requests.clear();
                } else {
                    Batch b = queue.poll();
                    if (b != null) {
                        notifyAll(); // room for a waiting callback
                        current = b;
                        currentIndex = 0;
                        return b;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    try {
                        wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return null;
                    }
                }
            }
            if (todo != null) {
                serve(todo);
            }
        }
    }

    /** @return true when the batch is full: a record of {@code b} is left for the next poll */
    private boolean take(Batch b, List<SourceRecord> out, BatchLimits limits) {
        PartitionState st = b.state();
        List<SourceRecord> records = b.records();
        int i = currentIndex;
        if (b.generation() == st.generation && !st.active) {
            // Events of a partition the processor started without asking where (not what the SDK does
            // today): position it now, so that the marker still decides what is new and what is lost.
            LOG.warn("source '{}': partition {} delivered events before its start position was asked for;"
                    + " positioning it from the bronze marker now", source.name(), st.idText);
            position(st, null, "", "", "");
        }
        if (b.generation() == st.generation && st.active) {
            for (; i < records.size(); i++) {
                if (!offer(st, records.get(i), out, limits)) {
                    break;
                }
            }
        } else {
            i = records.size(); // the partition closed after this batch was queued
        }
        if (i < records.size()) {
            currentIndex = i;
            return true;
        }
        current = null;
        currentIndex = 0;
        return false;
    }

    /**
     * Hands out a record if it is the next of its partition; drops older ones; a later one is a gap.
     *
     * @return false when the batch is full and {@code r} was left for the next poll
     */
    private boolean offer(PartitionState st, SourceRecord r, List<SourceRecord> out, BatchLimits limits) {
        long seq = r.position();
        if (st.expected >= 0 && seq < st.expected) {
            return true; // committed already, by this instance or another
        }
        long bytes = BatchLimits.bytes(r);
        if (!limits.admits(out.size(), gatheredBytes, bytes)) {
            return false; // checked before the gap, so that a gap is reported once, with the record that shows it
        }
        if (st.expected >= 0) {
            if (seq > st.expected) {
                lost(st, seq);
            }
        } else if (st.resolvedStart < 0) {
            st.resolvedStart = seq;
        }
        gatheredBytes += bytes;
        st.expected = seq + 1;
        st.lastHandedSeq = seq;
        st.lastHandedOffset = r.metadata().get(EventHubsSource.METADATA_OFFSET);
        out.add(r);
        return true;
    }

    private void lost(PartitionState st, long first) {
        long want = st.expected;
        if (!source.skipsLostPositions()) {
            throw EventHubsErrors.sequenceNumbersLost(source.name(), source.eventHubName(), st.partition, st.idText,
                    want, st.expectedFrom, first);
        }
        context.reportGap(new PositionGap(st.partition, want, first));
    }

    @Override
    public void rewind() {
        // What the engine held goes back in front, then the rest of the batch being taken and the queue.
        List<SourceRecord> again = new ArrayList<>(handedOut.size() + replay.size());
        again.addAll(handedOut);
        again.addAll(replay);
        replay = again;
        handedOut = List.of();
        for (PartitionState st : partitions.values()) {
            if (!st.active) {
                continue;
            }
            OptionalLong marker = context.committedPosition(st.partition);
            if (marker.isPresent()) {
                st.expected = marker.getAsLong() + 1;
                st.expectedFrom = "the bronze marker";
            } else if (st.resolvedStart >= 0) {
                st.expected = st.resolvedStart;
            } else {
                st.expected = source.startSequenceNumber(st.id);
            }
        }
        LOG.info("source '{}': rewound to the bronze markers; {} events are handed out again where they were not"
                + " committed meanwhile", source.name(), again.size());
    }

    @Override
    public Map<SourcePartition, Long> recordsBehind() {
        // the polling thread's lastHandedSeq against the last enqueued sequence number the processor
        // reported with its latest batch (trackLastEnqueuedEventProperties): sequence numbers of a
        // partition are contiguous, so their difference is the events waiting
        Map<SourcePartition, Long> behind = new HashMap<>();
        for (PartitionState st : partitions.values()) {
            long enqueued = st.lastEnqueued;
            if (st.active && enqueued >= 0 && st.lastHandedSeq >= 0) {
                behind.put(st.partition, Math.max(0, enqueued - st.lastHandedSeq));
            }
        }
        return behind;
    }

    @Override
    public boolean caughtUp() {
        if (!everPositioned || !replay.isEmpty() || current != null) {
            return false;
        }
        synchronized (this) {
            if (!queue.isEmpty() || !requests.isEmpty()) {
                return false;
            }
        }
        for (PartitionState st : partitions.values()) {
            if (st.claimPending) {
                return false;
            }
            if (st.active && !st.idle && (st.lastEnqueued < 0 || st.lastHandedSeq < st.lastEnqueued)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void committed(Map<SourcePartition, Long> lastPositions) {
        handedOut = List.of();
        List<Mono<Void>> writes = new ArrayList<>(lastPositions.size());
        lastPositions.forEach((p, position) -> {
            PartitionState st = partitions.get(p.id());
            // Only partitions still read here, and only with the offset of exactly that event.
            if (st == null || !st.active || st.lastHandedSeq != position || st.lastHandedOffset == null) {
                return;
            }
            PartitionContext pc = st.context;
            EventHubsSource s = source;
            Checkpoint cp = new Checkpoint()
                    .setFullyQualifiedNamespace(
                            pc != null ? pc.getFullyQualifiedNamespace() : s.fullyQualifiedNamespace())
                    .setEventHubName(pc != null ? pc.getEventHubName() : s.eventHubName())
                    .setConsumerGroup(pc != null ? pc.getConsumerGroup() : s.consumerGroup())
                    .setPartitionId(st.idText)
                    .setSequenceNumber(position)
                    .setOffsetString(st.lastHandedOffset);
            writes.add(blob.updateCheckpoint(cp));
        });
        if (writes.isEmpty()) {
            return;
        }
        try {
            Mono.when(writes).block(CHECKPOINT_TIMEOUT);
            checkpointFailing = false;
        } catch (RuntimeException e) {
            // A copy for monitoring: the bronze markers stay the truth, a later commit writes it again.
            if (!checkpointFailing) {
                checkpointFailing = true;
                LOG.warn("source '{}': writing blob checkpoints failed ({}); Event Hubs tools may show old positions"
                        + " until a later write succeeds. Progress is safe in the bronze table", source.name(),
                        redactor.redact(e.toString()));
            }
        }
    }

    @Override
    public void close() {
        List<StartRequest> pending;
        synchronized (this) {
            closed = true;
            pending = new ArrayList<>(requests);
            requests.clear();
            queue.clear();
            notifyAll();
        }
        pending.forEach(r -> r.answer().completeExceptionally(new IllegalStateException("the source is closed")));
        Processor p = processor;
        processor = null;
        if (p != null) {
            try {
                p.stop();
            } catch (RuntimeException e) {
                LOG.warn("source '{}': stopping the Event Hubs processor failed: {}", source.name(),
                        redactor.redact(e.toString()));
            }
        }
    }
}
