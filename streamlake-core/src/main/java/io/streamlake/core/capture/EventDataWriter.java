package io.streamlake.core.capture;

import io.streamlake.source.SourceRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.Encoder;

/**
 * Encodes a {@link SourceRecord} as a Capture {@code EventData} record of {@link CaptureFormat#SCHEMA},
 * so that {@link EventDataReader} gives the same record back: position as SequenceNumber, the
 * {@code offset} metadata (or the position) as Offset, the timestamp in ISO-8601, headers as bytes
 * Properties, the key as the bytes system property {@code x-opt-partition-key} (a Kafka key need not be
 * text), other metadata as string system properties, the value as Body.
 */
final class EventDataWriter implements DatumWriter<SourceRecord> {
    // branch indexes of the ["long","double","string","bytes"] value union and the ["null","bytes"] body
    private static final int STRING_BRANCH = 2;
    private static final int BYTES_BRANCH = 3;

    @Override
    public void setSchema(Schema schema) {
        if (!schema.equals(CaptureFormat.SCHEMA)) {
            throw new IllegalArgumentException("writes only the Capture schema");
        }
    }

    @Override
    public void write(SourceRecord r, Encoder out) throws IOException {
        out.writeLong(r.position());
        String offset = r.metadata().get(CaptureFormat.OFFSET_METADATA);
        out.writeString(offset != null ? offset : Long.toString(r.position()));
        out.writeString(r.timestamp().toString());

        Map<String, String> metadata = r.metadata();
        int system = (r.key() != null ? 1 : 0);
        for (String name : metadata.keySet()) {
            if (!isOwnField(name)) {
                system++;
            }
        }
        out.writeMapStart();
        out.setItemCount(system);
        if (r.key() != null) {
            out.startItem();
            out.writeString(CaptureFormat.PARTITION_KEY_PROPERTY);
            String textKey = metadata.get(CaptureFormat.PARTITION_KEY_METADATA);
            if (textKey != null && java.util.Arrays.equals(textKey.getBytes(StandardCharsets.UTF_8), r.key())) {
                out.writeIndex(STRING_BRANCH); // an Event Hubs partition key: keep it text, as Capture does
                out.writeString(textKey);
            } else {
                out.writeIndex(BYTES_BRANCH);
                out.writeBytes(r.key());
            }
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (!isOwnField(e.getKey())) {
                out.startItem();
                out.writeString(e.getKey());
                out.writeIndex(STRING_BRANCH);
                out.writeString(e.getValue());
            }
        }
        out.writeMapEnd();

        out.writeMapStart();
        out.setItemCount(r.headers().size());
        for (Map.Entry<String, byte[]> h : r.headers().entrySet()) {
            out.startItem();
            out.writeString(h.getKey());
            out.writeIndex(BYTES_BRANCH);
            out.writeBytes(h.getValue() == null ? new byte[0] : h.getValue());
        }
        out.writeMapEnd();

        if (r.value() == null) {
            out.writeIndex(0);
            out.writeNull();
        } else {
            out.writeIndex(1);
            out.writeBytes(r.value());
        }
    }

    /** Metadata that has a field or a system property of its own. */
    private static boolean isOwnField(String name) {
        return name.equals(CaptureFormat.OFFSET_METADATA) || name.equals(CaptureFormat.PARTITION_KEY_METADATA);
    }
}
