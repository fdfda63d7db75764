package io.streamlake.source;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One raw event as a source delivers it: key and value bytes, headers, the partition and position
 * it came from, and the time the source stamped on it. The arrays are not copied: a source hands
 * over ownership, and nobody mutates them afterwards.
 *
 * <pre>{@code
 * SourceRecord r = new SourceRecord(partition, 42L, key, value, Map.of(), Instant.now());
 * }</pre>
 *
 * @param partition where the record came from
 * @param position its offset or sequence number in the partition; strictly increasing per partition
 * @param key the record key, or null
 * @param value the payload, or null for a tombstone
 * @param headers header names to raw values, possibly empty
 * @param timestamp the source's timestamp (Kafka record time, Event Hubs enqueued time)
 * @param metadata source-specific facts that have no column of their own, as text (Event Hubs: offset,
 *     partition key, system properties), possibly empty; bronze keeps them in its {@code metadata} column
 */
public record SourceRecord(
        SourcePartition partition,
        long position,
        byte @Nullable [] key,
        byte @Nullable [] value,
        Map<String, byte[]> headers,
        Instant timestamp,
        Map<String, String> metadata) {

    /** Checks the required components. */
    public SourceRecord {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(metadata, "metadata");
    }

    /**
     * A record without source metadata, which is what most sources deliver.
     *
     * @param partition where the record came from
     * @param position its offset or sequence number in the partition
     * @param key the record key, or null
     * @param value the payload, or null for a tombstone
     * @param headers header names to raw values, possibly empty
     * @param timestamp the source's timestamp
     */
    public SourceRecord(SourcePartition partition, long position, byte @Nullable [] key, byte @Nullable [] value,
            Map<String, byte[]> headers, Instant timestamp) {
        this(partition, position, key, value, headers, timestamp, Map.of());
    }

    @Override
    public String toString() {
        return "SourceRecord[" + partition + "@" + position + ", key " + (key == null ? "null" : key.length + " bytes")
                + ", value " + (value == null ? "null" : value.length + " bytes") + ", " + timestamp + "]";
    }
}
