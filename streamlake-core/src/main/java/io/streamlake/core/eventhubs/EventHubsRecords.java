package io.streamlake.core.eventhubs;

import com.azure.messaging.eventhubs.EventData;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Turns a received {@link EventData} into a bronze record. The metadata keys are a file format:
 * a Capture backfill source writes the same ones, so do not rename them.
 */
final class EventHubsRecords {
    /**
     * System properties that bronze already holds in columns or under our own keys: the sequence
     * number (position), the enqueued time (source_timestamp), the offset ({@code offset}) and the
     * partition key ({@code partition_key}).
     */
    static final Set<String> IN_COLUMNS = Set.of("x-opt-sequence-number", "x-opt-enqueued-time", "x-opt-offset",
            "x-opt-partition-key");

    private EventHubsRecords() {
    }

    static SourceRecord toRecord(SourcePartition partition, EventData e) {
        Long seq = e.getSequenceNumber();
        if (seq == null) {
            throw new IllegalStateException("an event of " + partition + " has no sequence number; only received"
                    + " events can be ingested");
        }
        String partitionKey = e.getPartitionKey();
        Instant enqueued = e.getEnqueuedTime();
        return new SourceRecord(partition, seq,
                partitionKey == null ? null : partitionKey.getBytes(StandardCharsets.UTF_8),
                e.getBody(), headers(e.getProperties()), enqueued == null ? Instant.EPOCH : enqueued,
                metadata(e, partitionKey));
    }

    private static Map<String, byte[]> headers(Map<String, Object> properties) {
        if (properties.isEmpty()) {
            return Map.of();
        }
        Map<String, byte[]> out = new HashMap<>(properties.size() * 2);
        properties.forEach((name, value) -> {
            if (value != null) {
                out.put(name, value instanceof byte[] b ? b : text(value).getBytes(StandardCharsets.UTF_8));
            }
        });
        return out;
    }

    private static Map<String, String> metadata(EventData e, String partitionKey) {
        Map<String, Object> system = e.getSystemProperties();
        Map<String, String> out = new HashMap<>(system.size() * 2 + 4);
        String offset = e.getOffsetString();
        if (offset != null) {
            out.put(EventHubsSource.METADATA_OFFSET, offset);
        }
        if (partitionKey != null) {
            out.put(EventHubsSource.METADATA_PARTITION_KEY, partitionKey);
        }
        for (Map.Entry<String, Object> p : system.entrySet()) {
            if (p.getValue() != null && !IN_COLUMNS.contains(p.getKey())) {
                out.put(p.getKey(), text(p.getValue()));
            }
        }
        return out;
    }

    /** The text of a property value: dates as ISO-8601 instants, bytes as Base64, the rest as they print. */
    static String text(Object value) {
        if (value instanceof Date d) {
            return d.toInstant().toString();
        } else if (value instanceof byte[] b) {
            return Base64.getEncoder().encodeToString(b);
        }
        return value.toString();
    }
}
