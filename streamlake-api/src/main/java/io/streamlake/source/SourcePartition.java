package io.streamlake.source;

import java.util.Objects;

/**
 * One ordered partition of a stream: a Kafka topic partition, an Event Hubs partition. Progress is
 * tracked per partition: the bronze table records the last position it holds for each one.
 *
 * <pre>{@code
 * SourcePartition p = new SourcePartition("orders", 3);
 * }</pre>
 *
 * @param stream the topic or event hub name
 * @param id the partition number, from 0
 */
public record SourcePartition(String stream, int id) {
    /** Checks the stream name and partition number. */
    public SourcePartition {
        Objects.requireNonNull(stream, "stream");
        if (stream.isBlank()) {
            throw new IllegalArgumentException("stream name must not be blank");
        }
        if (id < 0) {
            throw new IllegalArgumentException("partition id must be >= 0, got " + id);
        }
    }

    @Override
    public String toString() {
        return stream + "/" + id;
    }
}
