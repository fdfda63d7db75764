package io.streamlake.source;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Where a source (Kafka, Event Hubs) starts reading a partition that the bronze table holds no progress
 * marker for yet: its first run, or a partition added later. Once bronze holds a marker, the
 * pipeline always resumes right after it, whatever the start position says.
 *
 * <pre>{@code
 * KafkaSource.topics("localhost:9092", "orders").withStartPosition(StartPosition.latest());
 * KafkaSource.topics("localhost:9092", "orders").withStartPosition(StartPosition.timestamp(Instant.parse("2026-01-01T00:00:00Z")));
 * KafkaSource.topics("localhost:9092", "orders").withStartPosition(StartPosition.offsets(Map.of(new SourcePartition("orders", 0), 1_000L)));
 * }</pre>
 */
public sealed interface StartPosition {

    /** @return the first record the broker still holds (the default) */
    static StartPosition earliest() {
        return Earliest.INSTANCE;
    }

    /** @return only records produced after the partition is first assigned */
    static StartPosition latest() {
        return Latest.INSTANCE;
    }

    /**
     * @param offsets per partition, the offset of the first record to read; partitions not listed
     *     start at the earliest record
     * @return a start at given offsets
     */
    static StartPosition offsets(Map<SourcePartition, Long> offsets) {
        return new Offsets(offsets);
    }

    /**
     * @param time the first record read in each partition is the first whose timestamp is at or after it;
     *     a partition with no such record starts at its end
     * @return a start at a point in time
     */
    static StartPosition timestamp(Instant time) {
        return new AtTimestamp(time);
    }

    /** Start at the earliest record the broker holds. */
    enum Earliest implements StartPosition {
        /** The only value. */
        INSTANCE;

        @Override
        public String toString() {
            return "earliest";
        }
    }

    /** Start at the end: only new records. */
    enum Latest implements StartPosition {
        /** The only value. */
        INSTANCE;

        @Override
        public String toString() {
            return "latest";
        }
    }

    /**
     * Start at given offsets.
     *
     * @param offsets the first offset to read, per partition; others start at the earliest record
     */
    record Offsets(Map<SourcePartition, Long> offsets) implements StartPosition {
        /** Copies the map and checks the offsets. */
        public Offsets {
            offsets = Map.copyOf(offsets);
            offsets.forEach((p, o) -> {
                if (o < 0) {
                    throw new IllegalArgumentException("start offset of " + p + " must be >= 0, got " + o);
                }
            });
        }
    }

    /**
     * Start at a point in time.
     *
     * @param time the earliest record timestamp to read
     */
    record AtTimestamp(Instant time) implements StartPosition {
        /** Checks the time. */
        public AtTimestamp {
            Objects.requireNonNull(time, "time");
        }
    }
}
