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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
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

    /**
     * Cuts a file right after one of its Avro blocks, as a copy or upload that stopped there would: the
     * rest still ends with the sync marker that closes every block, so it reads as a whole file.
     *
     * @param blocks how many of its blocks to keep (0: only the header)
     * @return the sequence numbers the cut file still holds, read with the Avro library, which reports no error
     */
    public static List<Long> cutAfterBlocks(Path file, int blocks) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            byte[] sync = Arrays.copyOfRange(bytes, bytes.length - 16, bytes.length); // a whole file ends with it
            int end = -1;
            int found = 0;
            for (int i = 0; i + 16 <= bytes.length && found <= blocks; i++) {
                if (Arrays.equals(bytes, i, i + 16, sync, 0, 16)) {
                    found++; // the first one closes the header, each next one a block
                    end = i + 16;
                }
            }
            if (found <= blocks || end == bytes.length) {
                throw new IllegalArgumentException(file + " has no " + blocks + " whole blocks before its last");
            }
            Files.write(file, Arrays.copyOf(bytes, end));
            List<Long> left = new ArrayList<>();
            try (DataFileStream<GenericRecord> in = new DataFileStream<>(Files.newInputStream(file),
                    new GenericDatumReader<>())) {
                for (GenericRecord r : in) {
                    left.add((Long) r.get("SequenceNumber"));
                }
            }
            return left;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
