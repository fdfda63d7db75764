package io.streamlake.samples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;

/**
 * Plays Event Hubs Capture for the samples: writes {@link OrderEvents} as Capture Avro files (the
 * documented schema, written with Avro's generic writer) in Capture's default layout, one file per
 * partition and one-minute window.
 */
final class CaptureWriter {
    static final String NAMESPACE = "samples-namespace";
    /** As the Event Hubs Capture overview documents it. */
    static final Schema SCHEMA = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"EventData\","
            + "\"namespace\":\"Microsoft.ServiceBus.Messaging\",\"fields\":["
            + "{\"name\":\"SequenceNumber\",\"type\":\"long\"},"
            + "{\"name\":\"Offset\",\"type\":\"string\"},"
            + "{\"name\":\"EnqueuedTimeUtc\",\"type\":\"string\"},"
            + "{\"name\":\"SystemProperties\",\"type\":{\"type\":\"map\",\"values\":[\"long\",\"double\",\"string\",\"bytes\"]}},"
            + "{\"name\":\"Properties\",\"type\":{\"type\":\"map\",\"values\":[\"long\",\"double\",\"string\",\"bytes\"]}},"
            + "{\"name\":\"Body\",\"type\":[\"null\",\"bytes\"]}]}");
    private static final Instant WINDOW0 = Instant.parse("2026-01-01T00:00:00Z");

    private CaptureWriter() {
    }

    /**
     * Writes positions {@code 0 .. count(p) - 1} of every partition.
     *
     * @param eventsPerFile events per Capture file (one file per window)
     * @return the number of files written
     */
    static int write(Path root, String eventHub, OrderEvents orders, long[] count, int eventsPerFile,
            CodecFactory codec) {
        int files = 0;
        GenericRecord r = new GenericData.Record(SCHEMA);
        Map<String, Object> system = new HashMap<>();
        Map<String, Object> properties = new HashMap<>();
        for (int p = 0; p < count.length; p++) {
            for (long first = 0; first < count[p]; first += eventsPerFile) {
                long end = Math.min(count[p], first + eventsPerFile);
                ZonedDateTime window = WINDOW0.plusSeconds(60 * (first / eventsPerFile)).atZone(ZoneOffset.UTC);
                Path file = root.resolve(String.format("%s/%s/%d/%04d/%02d/%02d/%02d/%02d/%02d.avro", NAMESPACE,
                        eventHub, p, window.getYear(), window.getMonthValue(), window.getDayOfMonth(),
                        window.getHour(), window.getMinute(), window.getSecond()));
                try {
                    Files.createDirectories(file.getParent());
                    try (DataFileWriter<GenericRecord> w = new DataFileWriter<>(new GenericDatumWriter<>(SCHEMA))) {
                        w.setCodec(codec);
                        w.create(SCHEMA, file.toFile());
                        for (long pos = first; pos < end; pos++) {
                            long i = orders.eventIndex(p, pos);
                            byte[] body = orders.json(i).getBytes(StandardCharsets.UTF_8);
                            r.put("SequenceNumber", pos);
                            r.put("Offset", Long.toString(pos * 400));
                            r.put("EnqueuedTimeUtc", window.toInstant().plusMillis(pos - first).toString());
                            system.put("x-opt-partition-key", new String(orders.key(i), StandardCharsets.UTF_8));
                            r.put("SystemProperties", system);
                            properties.put("content-type", "application/json");
                            properties.put("producer", "samples");
                            properties.put("schema-version", 2L);
                            r.put("Properties", properties);
                            r.put("Body", ByteBuffer.wrap(body));
                            w.append(r);
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                files++;
            }
        }
        return files;
    }
}
