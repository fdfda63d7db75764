package io.streamlake.core.capture;

import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.jspecify.annotations.Nullable;

/**
 * Decodes Capture records straight from Avro's binary decoder into {@link SourceRecord}s, following
 * the file's own (writer) schema: no generic records, no per-record maps beyond what a record keeps.
 * Records at or below {@link #floor} are skipped after their sequence number is read, without
 * allocating their body. One instance per file reader; not thread-safe.
 */
final class EventDataReader implements DatumReader<@Nullable SourceRecord> {
    private enum Kind { SEQUENCE, OFFSET, TIME, SYSTEM, PROPERTIES, BODY, OTHER }

    private final SourcePartition partition;
    private Kind[] kinds = new Kind[0];
    private Schema[] schemas = new Schema[0];
    private boolean sequenceFirst;
    /** Records with a sequence number at or below this are skipped. */
    long floor = Long.MIN_VALUE;
    /** Where the last record came from, for messages. */
    String file = "";

    // the value just read by readValue
    private Schema.Type type = Schema.Type.NULL;
    private long longValue;
    private double doubleValue;
    private byte @Nullable [] bytesValue;
    private @Nullable Object otherValue;

    private @Nullable String lastTimeText;
    private @Nullable Instant lastTime;

    EventDataReader(SourcePartition partition) {
        this.partition = partition;
    }

    @Override
    public void setSchema(Schema writer) {
        if (writer.getType() != Schema.Type.RECORD) {
            throw new AvroRuntimeException("not an Event Hubs Capture file: its records are " + writer.getType()
                    + ", not the EventData record");
        }
        List<Schema.Field> fields = writer.getFields();
        kinds = new Kind[fields.size()];
        schemas = new Schema[fields.size()];
        boolean hasSequence = false;
        for (int i = 0; i < fields.size(); i++) {
            Schema.Field f = fields.get(i);
            schemas[i] = f.schema();
            kinds[i] = switch (f.name()) {
                case CaptureFormat.SEQUENCE_NUMBER -> Kind.SEQUENCE;
                case CaptureFormat.OFFSET -> Kind.OFFSET;
                case CaptureFormat.ENQUEUED_TIME -> Kind.TIME;
                case CaptureFormat.SYSTEM_PROPERTIES -> Kind.SYSTEM;
                case CaptureFormat.PROPERTIES -> Kind.PROPERTIES;
                case CaptureFormat.BODY -> Kind.BODY;
                default -> Kind.OTHER;
            };
            hasSequence |= kinds[i] == Kind.SEQUENCE;
        }
        if (!hasSequence) {
            throw new AvroRuntimeException("not an Event Hubs Capture file: its records have no SequenceNumber"
                    + " field (schema " + writer.getFullName() + ")");
        }
        sequenceFirst = kinds[0] == Kind.SEQUENCE;
    }

    @Override
    public @Nullable SourceRecord read(@Nullable SourceRecord reuse, Decoder in) throws IOException {
        long sequence = Long.MIN_VALUE;
        boolean haveSequence = false;
        String offset = null;
        Instant time = null;
        byte[] body = null;
        byte[] key = null;
        Map<String, byte[]> headers = Map.of();
        Map<String, String> metadata = null;
        for (int i = 0; i < kinds.length; i++) {
            Schema schema = schemas[i];
            switch (kinds[i]) {
                case SEQUENCE -> {
                    readValue(schema, in);
                    if (type != Schema.Type.LONG && type != Schema.Type.INT) {
                        throw new AvroRuntimeException("SequenceNumber is " + type + ", not a number");
                    }
                    sequence = longValue;
                    haveSequence = true;
                    if (sequenceFirst && sequence <= floor) {
                        for (int j = i + 1; j < kinds.length; j++) {
                            GenericDatumReader.skip(schemas[j], in);
                        }
                        return null;
                    }
                }
                case OFFSET -> {
                    readValue(schema, in);
                    offset = text();
                }
                case TIME -> {
                    readValue(schema, in);
                    time = time(text());
                }
                case BODY -> {
                    readValue(schema, in);
                    body = type == Schema.Type.NULL ? null : bytes();
                }
                case PROPERTIES -> headers = readProperties(schema, in);
                case SYSTEM -> {
                    SystemProperties sp = readSystemProperties(schema, in);
                    key = sp.key;
                    metadata = sp.metadata;
                }
                case OTHER -> GenericDatumReader.skip(schema, in);
            }
        }
        if (!haveSequence || sequence <= floor) {
            return null;
        }
        Map<String, String> meta;
        if (metadata == null) {
            meta = offset == null ? Map.of() : Map.of(CaptureFormat.OFFSET_METADATA, offset);
        } else {
            if (offset != null) {
                metadata.put(CaptureFormat.OFFSET_METADATA, offset);
            }
            meta = metadata;
        }
        return new SourceRecord(partition, sequence, key, body, headers, time == null ? Instant.EPOCH : time, meta);
    }

    private Instant time(@Nullable String text) {
        if (text == null) {
            return Instant.EPOCH;
        }
        if (text.equals(lastTimeText)) {
            return lastTime;
        }
        Instant t = CaptureFormat.parseTime(text);
        if (t == null) {
            throw new AvroRuntimeException("EnqueuedTimeUtc '" + text + "' is neither ISO-8601 nor .NET's"
                    + " M/d/yyyy h:mm:ss AM/PM");
        }
        lastTimeText = text;
        lastTime = t;
        return t;
    }

    /** Application properties become headers: strings as UTF-8, bytes as they are, numbers as their text. */
    private Map<String, byte[]> readProperties(Schema schema, Decoder in) throws IOException {
        Schema values = mapValues(schema);
        Map<String, byte[]> out = null;
        String single = null;
        byte[] singleValue = null;
        for (long n = in.readMapStart(); n != 0; n = in.mapNext()) {
            for (long i = 0; i < n; i++) {
                String name = in.readString();
                readValue(values, in);
                byte[] v = switch (type) {
                    case STRING, BYTES -> bytes();
                    case NULL -> null;
                    default -> text().getBytes(StandardCharsets.UTF_8);
                };
                if (v == null) {
                    continue; // a property without a value has nothing to keep
                }
                if (out == null && single == null) {
                    single = name;
                    singleValue = v;
                } else {
                    if (out == null) {
                        out = new HashMap<>();
                        out.put(single, singleValue);
                    }
                    out.put(name, v);
                }
            }
        }
        if (out != null) {
            return out;
        }
        return single == null ? Map.of() : Collections.singletonMap(single, singleValue);
    }

    private record SystemProperties(byte @Nullable [] key, @Nullable Map<String, String> metadata) {
        static final SystemProperties NONE = new SystemProperties(null, null);
    }

    /** The partition key becomes the record key; every other system property a metadata entry by its name. */
    private SystemProperties readSystemProperties(Schema schema, Decoder in) throws IOException {
        Schema values = mapValues(schema);
        byte[] key = null;
        Map<String, String> metadata = null;
        for (long n = in.readMapStart(); n != 0; n = in.mapNext()) {
            for (long i = 0; i < n; i++) {
                String name = in.readString();
                readValue(values, in);
                if (type == Schema.Type.NULL) {
                    continue;
                }
                if (metadata == null) {
                    metadata = new HashMap<>(8);
                }
                if (name.equals(CaptureFormat.PARTITION_KEY_PROPERTY)) {
                    if (type == Schema.Type.BYTES) {
                        // written by our archive from a Kafka key, which need not be text: the key only
                        key = bytes();
                    } else {
                        String k = text();
                        key = k.getBytes(StandardCharsets.UTF_8);
                        metadata.put(CaptureFormat.PARTITION_KEY_METADATA, k);
                    }
                } else {
                    metadata.put(name, text());
                }
            }
        }
        return metadata == null ? SystemProperties.NONE : new SystemProperties(key, metadata);
    }

    private static Schema mapValues(Schema schema) {
        if (schema.getType() != Schema.Type.MAP) {
            throw new AvroRuntimeException("expected a map, the file has " + schema);
        }
        return schema.getValueType();
    }

    /** Reads one value of a plain or union schema into the scratch fields. */
    private void readValue(Schema schema, Decoder in) throws IOException {
        Schema s = schema;
        if (s.getType() == Schema.Type.UNION) {
            s = s.getTypes().get(in.readIndex());
        }
        type = s.getType();
        switch (type) {
            case LONG -> longValue = in.readLong();
            case INT -> longValue = in.readInt();
            case DOUBLE -> doubleValue = in.readDouble();
            case FLOAT -> doubleValue = in.readFloat();
            case STRING, BYTES -> {
                // strings and bytes share one encoding: a length, then the bytes
                long length = in.readLong();
                if (length < 0 || length > Integer.MAX_VALUE - 16) {
                    throw new AvroRuntimeException("malformed length " + length);
                }
                byte[] b = new byte[(int) length];
                in.readFixed(b);
                bytesValue = b;
            }
            case NULL -> in.readNull();
            case BOOLEAN -> otherValue = in.readBoolean();
            default -> otherValue = new GenericDatumReader<>(s, s, GenericData.get()).read(null, in);
        }
    }

    private byte[] bytes() {
        return switch (type) {
            case STRING, BYTES -> bytesValue;
            default -> text().getBytes(StandardCharsets.UTF_8);
        };
    }

    private String text() {
        return switch (type) {
            case LONG, INT -> Long.toString(longValue);
            case DOUBLE, FLOAT -> Double.toString(doubleValue);
            case STRING -> new String(bytesValue, StandardCharsets.UTF_8);
            case BYTES -> Base64.getEncoder().encodeToString(bytesValue);
            case NULL -> "null";
            default -> String.valueOf(otherValue);
        };
    }
}
