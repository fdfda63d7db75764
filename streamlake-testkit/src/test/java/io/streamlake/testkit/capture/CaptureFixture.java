package io.streamlake.testkit.capture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;

/**
 * Writes Event Hubs Capture files the way Capture does, with the Avro library's generic writer and
 * the documented schema (independent of the code under test), in the default layout
 * {@code {Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}.avro}.
 */
public final class CaptureFixture {
    /** As the Event Hubs Capture overview documents it. */
    public static final Schema SCHEMA = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"EventData\","
            + "\"namespace\":\"Microsoft.ServiceBus.Messaging\",\"fields\":["
            + "{\"name\":\"SequenceNumber\",\"type\":\"long\"},"
            + "{\"name\":\"Offset\",\"type\":\"string\"},"
            + "{\"name\":\"EnqueuedTimeUtc\",\"type\":\"string\"},"
            + "{\"name\":\"SystemProperties\",\"type\":{\"type\":\"map\",\"values\":[\"long\",\"double\",\"string\",\"bytes\"]}},"
            + "{\"name\":\"Properties\",\"type\":{\"type\":\"map\",\"values\":[\"long\",\"double\",\"string\",\"bytes\"]}},"
            + "{\"name\":\"Body\",\"type\":[\"null\",\"bytes\"]}]}");

    public static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    private CaptureFixture() {
    }

    /** One captured event. */
    public record Event(long sequenceNumber, String body, String partitionKey, Instant enqueued) {
        /** @return the offset Capture would show: a byte position, not the sequence number */
        public String offset() {
            return Long.toString(sequenceNumber * 512);
        }
    }

    /** Event {@code seq} of a partition: body {@code {"order_id":"p<partition>-<seq>",...}}, key {@code k<seq % 10>}. */
    public static Event event(int partition, long seq) {
        return new Event(seq, body(partition, seq), "k" + (seq % 10), T0.plusMillis(seq * 1000 + partition));
    }

    /** The JSON body of {@link #event}: a unique order id, so silver holds one row per event. */
    public static String body(int partition, long seq) {
        return "{\"order_id\":\"p" + partition + "-" + seq + "\",\"status\":\"CREATED\",\"updated_at\":\""
                + T0.plusSeconds(seq) + "\"}";
    }

    /** @return events {@code from} to {@code to - 1} of a partition */
    public static List<Event> events(int partition, long from, long to) {
        List<Event> out = new ArrayList<>();
        for (long s = from; s < to; s++) {
            out.add(event(partition, s));
        }
        return out;
    }

    /**
     * Writes one Capture file.
     *
     * @param window the Capture window's start: the time folders and the file name
     * @return the file
     */
    public static Path write(Path root, String namespace, String eventHub, int partition, Instant window,
            CodecFactory codec, List<Event> events) {
        ZonedDateTime t = window.atZone(ZoneOffset.UTC);
        Path folder = root.resolve(String.format("%s/%s/%d/%04d/%02d/%02d/%02d/%02d", namespace, eventHub, partition,
                t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute()));
        return write(folder.resolve(String.format("%02d.avro", t.getSecond())), codec, events);
    }

    /** Writes one Capture file at a path of the caller's choosing. */
    public static Path write(Path file, CodecFactory codec, List<Event> events) {
        try {
            Files.createDirectories(file.getParent());
            try (DataFileWriter<GenericRecord> w = new DataFileWriter<>(new GenericDatumWriter<>(SCHEMA))) {
                w.setCodec(codec);
                w.setSyncInterval(2048); // several blocks per file
                w.create(SCHEMA, file.toFile());
                for (Event e : events) {
                    GenericRecord r = new GenericData.Record(SCHEMA);
                    r.put("SequenceNumber", e.sequenceNumber());
                    r.put("Offset", e.offset());
                    r.put("EnqueuedTimeUtc", e.enqueued().toString());
                    Map<String, Object> system = new HashMap<>();
                    system.put("x-opt-partition-key", e.partitionKey());
                    system.put("x-opt-enqueued-time", e.enqueued().toEpochMilli());
                    r.put("SystemProperties", system);
                    Map<String, Object> properties = new HashMap<>();
                    properties.put("source", "capture-test");
                    properties.put("attempt", 3L);
                    properties.put("score", 0.5d);
                    properties.put("raw", ByteBuffer.wrap(new byte[] {1, 2, (byte) 255}));
                    r.put("Properties", properties);
                    r.put("Body", ByteBuffer.wrap(e.body().getBytes(StandardCharsets.UTF_8)));
                    w.append(r);
                }
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
