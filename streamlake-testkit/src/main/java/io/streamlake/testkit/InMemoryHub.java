package io.streamlake.testkit;

import io.streamlake.source.BatchLimits;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An in-memory event hub with numbered partitions: the source for unit tests. Events stay in memory
 * for the hub's lifetime, so a restarted pipeline can re-read them, just like a broker's retention.
 * Positions are offsets from 0 within each partition.
 *
 * <pre>{@code
 * InMemoryHub hub = InMemoryHub.create("orders", 2);
 * hub.send("o-1", "{\"order_id\":\"o-1\",\"status\":\"CREATED\"}");   // partition chosen by key
 * hub.send(1, "o-2", "{\"order_id\":\"o-2\",\"status\":\"PAID\"}");     // explicit partition
 * Pipeline p = Pipeline.from(hub).bronze("bronze").silver("silver", "order_id").withSchema(schema);
 * }</pre>
 */
public final class InMemoryHub implements Source {
    private final String name;
    private final List<List<SourceRecord>> partitions;
    private final SourcePartition[] ids;
    private volatile Clock clock = Clock.systemUTC();

    private InMemoryHub(String name, int partitionCount) {
        this.name = name;
        this.partitions = new ArrayList<>(partitionCount);
        this.ids = new SourcePartition[partitionCount];
        for (int i = 0; i < partitionCount; i++) {
            partitions.add(new ArrayList<>());
            ids[i] = new SourcePartition(name, i);
        }
    }

    /**
     * @param name the stream name (stored in bronze's {@code source} column)
     * @param partitionCount number of partitions, at least 1
     * @return an empty hub
     */
    public static InMemoryHub create(String name, int partitionCount) {
        Objects.requireNonNull(name, "name");
        if (partitionCount < 1) {
            throw new IllegalArgumentException("a hub needs at least one partition, got " + partitionCount);
        }
        return new InMemoryHub(name, partitionCount);
    }

    /**
     * @param clock stamps each event's timestamp when it is sent
     * @return this hub
     */
    public InMemoryHub withClock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * Sends a UTF-8 event to the partition its key hashes to (a stable hash of the key's bytes).
     *
     * @param key the record key, or null (partition 0)
     * @param value the payload as text
     * @return the event's position in its partition
     */
    public long send(@Nullable String key, String value) {
        byte[] k = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        int partition = k == null ? 0 : Math.floorMod(Arrays.hashCode(k), ids.length);
        return send(partition, k, value.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /**
     * @param partition the partition
     * @param key the record key, or null
     * @param value the payload as text
     * @return the event's position in the partition
     */
    public long send(int partition, @Nullable String key, String value) {
        return send(partition, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /**
     * Sends raw bytes: use it for malformed or non-UTF-8 payloads and tombstones.
     *
     * @param partition the partition
     * @param key the record key, or null
     * @param value the payload, or null for a tombstone
     * @param headers header values by name
     * @return the event's position in the partition
     */
    public synchronized long send(int partition, byte @Nullable [] key, byte @Nullable [] value,
            Map<String, byte[]> headers) {
        List<SourceRecord> log = partitions.get(Objects.checkIndex(partition, ids.length));
        long position = log.size();
        log.add(new SourceRecord(ids[partition], position, key, value, Map.copyOf(headers), clock.instant()));
        notifyAll();
        return position;
    }

    /**
     * Forgets every event, as a fresh hub of the same name would hold, so that {@link AnyOrder} can
     * run a scenario many times on its pipeline's hub. Readers opened before must not be used again.
     */
    synchronized void clear() {
        for (List<SourceRecord> log : partitions) {
            log.clear();
        }
    }

    /** @return the number of partitions */
    public int partitionCount() {
        return ids.length;
    }

    /**
     * @param partition a partition
     * @return how many events it holds (the position the next event gets)
     */
    public synchronized long size(int partition) {
        return partitions.get(partition).size();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SourceReader open(SourceContext context) {
        return new Reader(context);
    }

    @Override
    public String toString() {
        return "InMemoryHub[" + name + ", " + ids.length + " partitions]";
    }

    private synchronized boolean waitForData(long[] next, long deadlineNanos) throws InterruptedException {
        while (true) {
            for (int p = 0; p < ids.length; p++) {
                if (next[p] < partitions.get(p).size()) {
                    return true;
                }
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Reads partitions round-robin from the positions after the committed markers. */
    private final class Reader implements SourceReader {
        private final SourceContext context;
        private final long[] next = new long[ids.length];
        private boolean atEnd;

        Reader(SourceContext context) {
            this.context = context;
            rewind();
        }

        @Override
        public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
            return poll(BatchLimits.of(maxRecords, maxWait));
        }

        /**
         * Waits up to the limits' wait for an event, then takes what the hub holds, round-robin, until
         * the batch is full by records or bytes. It never waits for more once it has one, so the
         * delay never has to cut it.
         */
        @Override
        public List<SourceRecord> poll(BatchLimits limits) {
            try {
                if (!waitForData(next, System.nanoTime() + limits.maxWaitNanos())) {
                    atEnd = true;
                    return List.of();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            }
            List<SourceRecord> out = new ArrayList<>();
            synchronized (InMemoryHub.this) {
                long bytes = 0;
                boolean progress = true;
                boolean full = false;
                while (!full && progress) {
                    progress = false;
                    for (int p = 0; p < ids.length && !full; p++) {
                        List<SourceRecord> log = partitions.get(p);
                        if (next[p] < log.size()) {
                            SourceRecord r = log.get((int) next[p]);
                            long b = BatchLimits.bytes(r);
                            full = !limits.admits(out.size(), bytes, b);
                            if (!full) {
                                bytes += b;
                                out.add(r);
                                next[p]++;
                                progress = true;
                            }
                        }
                    }
                }
                atEnd = true;
                for (int p = 0; p < ids.length; p++) {
                    atEnd &= next[p] >= partitions.get(p).size();
                }
            }
            return out;
        }

        @Override
        public void rewind() {
            for (int p = 0; p < ids.length; p++) {
                next[p] = context.committedPosition(ids[p]).orElse(-1) + 1;
            }
            atEnd = false;
        }

        @Override
        public boolean caughtUp() {
            return atEnd;
        }

        /** Exact: each partition's events after the reader's position. */
        @Override
        public Map<SourcePartition, Long> recordsBehind() {
            Map<SourcePartition, Long> behind = new HashMap<>(ids.length * 2);
            synchronized (InMemoryHub.this) {
                for (int p = 0; p < ids.length; p++) {
                    behind.put(ids[p], Math.max(0, partitions.get(p).size() - next[p]));
                }
            }
            return behind;
        }

        @Override
        public void close() {
        }
    }
}
