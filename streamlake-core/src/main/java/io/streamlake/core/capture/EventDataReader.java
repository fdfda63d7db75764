package io.streamlake.core.capture;

import io.streamlake.core.util.SmallMap;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
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
    private boolean offsetBeforeSystem;
    /** Records with a sequence number at or below this are skipped. */
    long floor = Long.MIN_VALUE;
    /** Where the last record came from, for messages. */
    String file = "";
    /** The file that holds the event at {@link #floor}, or null while the floor is bronze's marker: for messages. */
    @Nullable String floorFile;
    /** The sequence number of the record read last, whether it was skipped or not. */
    long lastSeen = Long.MIN_VALUE;

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
        int offsetAt = indexOf(Kind.OFFSET);
        int systemAt = indexOf(Kind.SYSTEM);
        offsetBeforeSystem = offsetAt >= 0 && systemAt > offsetAt;
    }

    private int indexOf(Kind kind) {
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] == kind) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public @Nullable SourceRecord read(@Nullable SourceRecord reuse, Decoder in) throws IOException {
        long sequence = Long.MIN_VALUE;
        boolean haveSequence = false;
        String offset = null;
        Instant time = null;
        byte[] body = null;
        Map<String, byte[]> headers = Map.of();
        Map<String, String> metadata = null;
        key = null;
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
                    lastSeen = sequence;
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
                case SYSTEM -> metadata = readSystemProperties(schema, in, offsetBeforeSystem ? offset : null);
                case OTHER -> GenericDatumReader.skip(schema, in);
            }
        }
        if (!haveSequence || sequence <= floor) {
            return null;
        }
        if (metadata == null || (!offsetBeforeSystem && offset != null)) {
            // no system properties, or the Offset came after them (not Capture's order): merge
            Map<String, String> m = metadata == null ? new HashMap<>() : new HashMap<>(metadata);
            if (offset != null) {
                m.put(CaptureFormat.OFFSET_METADATA, offset);
            }
            metadata = Map.copyOf(m);
        }
        return new SourceRecord(partition, sequence, key, body, headers, time == null ? Instant.EPOCH : time,
                metadata);
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
        int n = 0;
        for (long block = in.readMapStart(); block != 0; block = in.mapNext()) {
            for (long i = 0; i < block; i++) {
                String name = name(in);
                readValue(values, in);
                byte[] v = switch (type) {
                    case STRING, BYTES -> bytes();
                    case NULL -> null;
                    default -> text().getBytes(StandardCharsets.UTF_8);
                };
                if (v == null) {
                    continue; // a property without a value has nothing to keep
                }
                if (n == names.length) {
                    names = Arrays.copyOf(names, n * 2);
                    headerValues = Arrays.copyOf(headerValues, n * 2);
                }
                names[n] = name;
                headerValues[n++] = v;
            }
        }
        // an immutable map the bronze writer reads by index; a repeated name (only in a malformed
        // file) keeps its last value
        lastHeaderNames = sharedNames(names, n, lastHeaderNames);
        return SmallMap.of(lastHeaderNames, headerValues, n);
    }

    private String[] names = new String[8];
    private byte[][] headerValues = new byte[8][];
    private String[] textValues = new String[8];

    /** The name arrays of the last records' maps, shared by the next records with the same names. */
    private String[] lastHeaderNames = new String[0];
    private String[] lastMetadataNames = new String[0];

    /** @return {@code last} if it holds the first {@code n} names, else a new array of them */
    private static String[] sharedNames(String[] names, int n, String[] last) {
        return n == last.length && Arrays.equals(names, 0, n, last, 0, n) ? last : Arrays.copyOf(names, n);
    }

    /** Names repeat in every record: decoded once per distinct name, not once per record. */
    private final Map<Utf8Key, String> nameCache = new HashMap<>();
    private final Utf8Key probe = new Utf8Key();

    private String name(Decoder in) throws IOException {
        long length = in.readLong();
        if (length < 0 || length > Integer.MAX_VALUE - 16) {
            throw new AvroRuntimeException("malformed length " + length);
        }
        byte[] b = probe.bytes.length >= length ? probe.bytes : new byte[(int) Math.max(length, 64)];
        in.readFixed(b, 0, (int) length);
        probe.set(b, (int) length);
        String known = nameCache.get(probe);
        if (known != null) {
            return known;
        }
        String name = new String(b, 0, (int) length, StandardCharsets.UTF_8);
        if (nameCache.size() < 1024) {
            nameCache.put(new Utf8Key().copyOf(b, (int) length), name);
        }
        probe.bytes = b;
        return name;
    }

    /** A byte range compared by content, to look names up without decoding them. */
    private static final class Utf8Key {
        byte[] bytes = new byte[64];
        int length;
        int hash;

        void set(byte[] b, int n) {
            bytes = b;
            length = n;
            int h = 1;
            for (int i = 0; i < n; i++) {
                h = 31 * h + b[i];
            }
            hash = h;
        }

        Utf8Key copyOf(byte[] b, int n) {
            set(Arrays.copyOf(b, n), n);
            return this;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Utf8Key k && k.length == length
                    && Arrays.equals(bytes, 0, length, k.bytes, 0, k.length);
        }
    }

    /**
     * Reads the system properties: the partition key becomes the record key; every other one a
     * metadata entry by its name, next to the Offset.
     *
     * @return the metadata
     */
    private Map<String, String> readSystemProperties(Schema schema, Decoder in, @Nullable String offset)
            throws IOException {
        Schema values = mapValues(schema);
        int n = 0;
        if (offset != null) {
            names[n] = CaptureFormat.OFFSET_METADATA;
            textValues[n++] = offset;
        }
        for (long block = in.readMapStart(); block != 0; block = in.mapNext()) {
            for (long i = 0; i < block; i++) {
                String name = name(in);
                readValue(values, in);
                if (type == Schema.Type.NULL) {
                    continue;
                }
                String text;
                if (name.equals(CaptureFormat.PARTITION_KEY_PROPERTY)) {
                    if (type == Schema.Type.BYTES) {
                        // written by our archive from a Kafka key, which need not be text: the key only
                        key = bytes();
                        continue;
                    }
                    key = bytes();
                    name = CaptureFormat.PARTITION_KEY_METADATA;
                    text = new String(key, StandardCharsets.UTF_8);
                } else {
                    text = text();
                }
                if (n == names.length) {
                    names = Arrays.copyOf(names, n * 2);
                    textValues = Arrays.copyOf(textValues, n * 2);
                }
                names[n] = name;
                textValues[n++] = text;
            }
        }
        lastMetadataNames = sharedNames(names, n, lastMetadataNames);
        return SmallMap.of(lastMetadataNames, textValues, n);
    }

    /** The partition key the last {@link #readSystemProperties} found. */
    private byte @Nullable [] key;

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
