package io.streamlake.core.json;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.streamlake.core.util.IsoInstants;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.quality.QuarantineReason;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.chrono.IsoChronology;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Decodes a record's value, a UTF-8 JSON object, into a typed {@link Row} of a declared
 * {@link Schema}. Internal, not API: the silver stage uses it; users only declare the schema.
 *
 * <p>Strict where silence would corrupt data (invalid UTF-8, integers with fractions, decimals
 * that need rounding, timestamps without a zone), practical where the intent is clear (numbers and
 * booleans in text columns, nested JSON kept as text, integral floats such as {@code 3.0} in
 * integer columns). Unknown fields are ignored; a field given twice takes its last value.
 *
 * <ul>
 *   <li>string: a JSON string; a number or boolean as its JSON text ({@code 1.50} stays
 *       {@code "1.50"}); an object or array as compact JSON text</li>
 *   <li>integer, long: a JSON integer in range, or a number with no fractional part ({@code 3.0})</li>
 *   <li>double: any finite JSON number</li>
 *   <li>boolean: {@code true} or {@code false}</li>
 *   <li>timestamp: ISO-8601 with {@code Z} or an offset, truncated to microseconds; or an integer
 *       of epoch milliseconds</li>
 *   <li>date: {@code "yyyy-MM-dd"}</li>
 *   <li>decimal(p,s): a JSON number or numeric string, rescaled to s only when that is exact and
 *       fits p digits</li>
 *   <li>binary: a base64 string, standard or URL-safe alphabet</li>
 *   <li>map: a JSON object whose values convert as above; null values are kept</li>
 * </ul>
 *
 * <p>Immutable and thread-safe: build one per schema and share it across threads.
 *
 * <pre>{@code
 * JsonRowDecoder decoder = new JsonRowDecoder(schema, "order_id", 1 << 20);
 * try {
 *     Row row = decoder.decode(record.value());
 * } catch (DecodeException e) {
 *     // e.reason() says what is wrong; the message names the column without echoing the payload
 * }
 * }</pre>
 */
public final class JsonRowDecoder {

    /** The most payload characters a message may quote. */
    static final int EXCERPT_CHARS = 64;

    // One factory for all decoders: it is thread-safe, and its field-name symbol table is shared,
    // so repeated names come back as the same canonical String with a cached hash code.
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(StreamReadFeature.USE_FAST_BIG_NUMBER_PARSER)
            // Jackson's messages quote the offending token; keep that quote shorter than our excerpts
            .errorReportConfiguration(ErrorReportConfiguration.builder()
                    .maxErrorTokenLength(32).maxRawContentLength(0).build())
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    // The canonical shape is parsed by hand (a formatter costs about a microsecond per value, more
    // than decoding the whole record); everything else, and every error, goes through java.time.
    private static final DateTimeFormatter TIMESTAMP_FORMAT = new DateTimeFormatterBuilder()
            .parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
            .parseLenient()
            .appendOffset("+HH", "Z") // lenient "+HH" accepts +02, +0200, +02:00 and +02:00:00
            .toFormatter()
            .withResolverStyle(ResolverStyle.STRICT)
            .withChronology(IsoChronology.INSTANCE);

    // Epoch seconds whose microseconds still fit in a long, as Delta stores timestamps.
    private static final long MAX_EPOCH_SECOND = Long.MAX_VALUE / 1_000_000 - 1;
    private static final long MIN_EPOCH_SECOND = Long.MIN_VALUE / 1_000_000 + 1;
    private static final long MAX_EPOCH_MILLI = Long.MAX_VALUE / 1_000;
    private static final long MIN_EPOCH_MILLI = Long.MIN_VALUE / 1_000;

    // JSON numbers are capped at this length by Jackson; numeric strings get the same cap.
    private static final int MAX_NUMBER_CHARS = 1000;

    // Marks an explicit JSON null, so that the required check can say "null" rather than "missing".
    private static final Object JSON_NULL = new Object();

    private final Schema schema;
    private final Column[] columns;
    private final Map<String, Column> columnsByName;
    /** The key's columns, most significant first; a record needs a value in each. */
    private final Column[] keys;
    private final Schema looseSchema;
    private final int maxValueBytes;
    /** Decodes the common flat records without Jackson; null in tests that compare the two paths. */
    private final @Nullable FlatJsonDecoder flat;

    private record Column(int position, String name, DataType type, boolean nullable) {
    }

    /**
     * @param schema the columns to fill; fields of the JSON object that match no column are ignored
     * @param keyColumn the column silver upserts by; a record without it is rejected
     * @param maxValueBytes the largest value accepted, in bytes
     * @throws ConfigurationException if the key column is not in the schema or the limit is not positive
     */
    public JsonRowDecoder(Schema schema, String keyColumn, int maxValueBytes) {
        this(schema, List.of(keyColumn), maxValueBytes, true);
    }

    /**
     * @param schema the columns to fill; fields of the JSON object that match no column are ignored
     * @param keyColumns the columns silver upserts by; a record without a value in each is rejected
     * @param maxValueBytes the largest value accepted, in bytes
     * @throws ConfigurationException if a key column is not in the schema or the limit is not positive
     */
    public JsonRowDecoder(Schema schema, List<String> keyColumns, int maxValueBytes) {
        this(schema, keyColumns, maxValueBytes, true);
    }

    /** @param flatPath false to decode every record with Jackson (tests compare the two paths) */
    JsonRowDecoder(Schema schema, String keyColumn, int maxValueBytes, boolean flatPath) {
        this(schema, List.of(keyColumn), maxValueBytes, flatPath);
    }

    private JsonRowDecoder(Schema schema, List<String> keyColumns, int maxValueBytes, boolean flatPath) {
        this.schema = Objects.requireNonNull(schema, "schema");
        if (maxValueBytes <= 0) {
            throw new ConfigurationException("maxValueBytes must be positive, got " + maxValueBytes);
        }
        this.maxValueBytes = maxValueBytes;
        this.flat = flatPath ? new FlatJsonDecoder(schema) : null;
        this.columns = new Column[schema.size()];
        this.columnsByName = new HashMap<>(schema.size() * 2);
        for (int i = 0; i < columns.length; i++) {
            Field f = schema.field(i);
            columns[i] = new Column(i, f.name(), f.type(), f.nullable());
            columnsByName.put(f.name(), columns[i]);
        }
        this.keys = new Column[keyColumns.size()];
        for (int k = 0; k < keys.length; k++) {
            int keyPosition = schema.indexOf(keyColumns.get(k));
            if (keyPosition < 0) {
                throw new ConfigurationException("key column '" + keyColumns.get(k) + "' is not in the schema "
                        + schema + "; declare it or pick one of the schema's columns as the key");
            }
            keys[k] = columns[keyPosition];
        }
        List<Field> loose = new ArrayList<>(columns.length);
        for (Field f : schema.fields()) {
            loose.add(Field.optional(f.name(), f.type()));
        }
        this.looseSchema = Schema.of(loose);
    }

    /** @return the schema rows are decoded into */
    public Schema schema() {
        return schema;
    }

    /**
     * @param value the record's value bytes: one UTF-8 JSON object
     * @return the row, with null in every column the object does not mention
     * @throws DecodeException if the value is absent, too large, not UTF-8, not a JSON object, or a
     *     field does not fit its column
     */
    public Row decode(byte @Nullable [] value) {
        @Nullable
        Object[] values = decodeValues(value);
        checkPresence(values);
        return Row.of(schema, values);
    }

    /**
     * Decodes without the key and required-column checks, for a caller that asks something of every
     * record before them (is it a truncate record, which has no key?). Each record that fails
     * {@link #decode} for another reason fails here too.
     *
     * @param value the record's value bytes: one UTF-8 JSON object
     * @return the row, of {@link #looseSchema()}: null in every column the object leaves out or sets to null
     * @throws DecodeException as {@link #decode} does, except for a missing key or required column
     */
    public Row decodeLoose(byte @Nullable [] value) {
        @Nullable
        Object[] values = decodeValues(value);
        for (int i = 0; i < values.length; i++) {
            if (values[i] == JSON_NULL) {
                values[i] = null;
            }
        }
        return Row.of(looseSchema, values);
    }

    /**
     * @param loose a row {@link #decodeLoose} made of {@code value}
     * @param value the record's value bytes
     * @return what {@link #decode} returns for {@code value}
     * @throws DecodeException what {@link #decode} throws for {@code value}: its key or a required column is missing
     */
    public Row strict(Row loose, byte[] value) {
        @Nullable
        Object[] values = new Object[columns.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = loose.value(i);
            if (values[i] == null && (!columns[i].nullable || isKey(i))) {
                // Rare, and decode alone knows "missing" from "null" for the message.
                return decode(value);
            }
        }
        return Row.of(schema, values);
    }

    private boolean isKey(int position) {
        for (Column key : keys) {
            if (key.position == position) {
                return true;
            }
        }
        return false;
    }

    /** @return the schema of {@link #decodeLoose}'s rows: the columns of {@link #schema()}, every one optional */
    Schema looseSchema() {
        return looseSchema;
    }

    /** @return the values as decoded, before the presence checks: a JSON null is {@link #JSON_NULL} */
    private @Nullable Object[] decodeValues(byte @Nullable [] value) {
        if (value == null) {
            throw new DecodeException(QuarantineReason.NOT_AN_OBJECT, null,
                    "the value is null (a tombstone), not a JSON object");
        }
        if (value.length > maxValueBytes) {
            throw new DecodeException(QuarantineReason.TOO_LARGE, null, "the value is " + value.length
                    + " bytes, over the limit of " + maxValueBytes + " bytes for one record");
        }
        validateUtf8(value);
        @Nullable
        Object[] values = new Object[columns.length];
        if (flat != null && flatDecode(flat, value, values)) {
            return values;
        }
        Arrays.fill(values, null);
        try (JsonParser p = FACTORY.createParser(value)) {
            readObject(value, p, values);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String detail = Objects.toString(e.getOriginalMessage(), "");
            // Jackson appends where an unclosed object began as a long "[Source: REDACTED ...]" note;
            // the offset already says where to look
            int startMarker = detail.indexOf(" (start marker at");
            throw new DecodeException(QuarantineReason.MALFORMED_JSON, null, "malformed JSON"
                    + (at == null ? "" : " at byte offset " + at.getByteOffset())
                    + ": " + sanitize(startMarker < 0 ? detail : detail.substring(0, startMarker), 200));
        } catch (IOException e) {
            // a byte array does not fail to read; kept so the decoder never leaks an IOException
            throw new DecodeException(QuarantineReason.MALFORMED_JSON, null,
                    "unreadable JSON (" + e.getClass().getSimpleName() + ")");
        }
        return values;
    }

    /**
     * The fast path, which must never decide a record it is unsure of: whatever it throws (a case its
     * tests missed) hands the record to Jackson's path, which decides, and reports, every failure.
     */
    private static boolean flatDecode(FlatJsonDecoder flat, byte[] value, @Nullable Object[] values) {
        try {
            return flat.decode(value, values, JSON_NULL);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void readObject(byte[] value, JsonParser p, @Nullable Object[] values) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) {
            throw new DecodeException(QuarantineReason.MALFORMED_JSON, null,
                    "the value is empty or only whitespace, not a JSON object");
        }
        if (first != JsonToken.START_OBJECT) {
            throw new DecodeException(QuarantineReason.NOT_AN_OBJECT, null,
                    "the value must be a JSON object, found " + found(p, first));
        }
        String name;
        while ((name = p.nextFieldName()) != null) {
            JsonToken t = p.nextToken();
            Column c = columnsByName.get(name);
            if (c == null) {
                p.skipChildren();
            } else {
                values[c.position] = t == JsonToken.VALUE_NULL ? JSON_NULL : convert(value, p, t, c.type, c.name, null);
            }
        }
        JsonToken after = p.nextToken();
        if (after != null) {
            throw new DecodeException(QuarantineReason.MALFORMED_JSON, null,
                    "unexpected content after the JSON object at byte offset "
                            + p.currentTokenLocation().getByteOffset() + ": a value holds exactly one object");
        }
    }

    private void checkPresence(@Nullable Object[] values) {
        // the key first: a record without a key is useless for silver, whatever else is wrong
        for (Column key : keys) {
            Object k = values[key.position];
            if (k == null || k == JSON_NULL) {
                throw new DecodeException(QuarantineReason.MISSING_KEY, key.name, "key column '" + key.name + "' is "
                        + (k == null ? "missing" : "null") + "; silver upserts by key, so every record needs "
                        + (keys.length == 1 ? "one" : "a value in each of the key's columns"));
            }
        }
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            if (v == null || v == JSON_NULL) {
                Column c = columns[i];
                if (!c.nullable) {
                    throw new DecodeException(QuarantineReason.NULL_REQUIRED, c.name, "column '" + c.name + "' ("
                            + c.type + ") is required but is " + (v == null ? "missing" : "null"));
                }
                values[i] = null;
            }
        }
    }

    /** Converts the current value token (not null) to the Java class of {@code type}. */
    private static Object convert(byte[] source, JsonParser p, JsonToken t, DataType type, String column,
            @Nullable String mapKey) throws IOException {
        switch (type.kind()) {
            case STRING :
                switch (t) {
                    case VALUE_STRING :
                        return storable(p.getText(), column, mapKey);
                    case VALUE_NUMBER_INT :
                    case VALUE_NUMBER_FLOAT :
                        return p.getText(); // numbers keep their JSON spelling, 1.50 stays 1.50
                    case VALUE_TRUE :
                        return "true";
                    case VALUE_FALSE :
                        return "false";
                    case START_OBJECT :
                    case START_ARRAY :
                        return compactJson(source, p);
                    default :
                        throw wrongType(p, t, type, column, mapKey, null);
                }
            case INT :
                if (t == JsonToken.VALUE_NUMBER_INT) {
                    if (p.getNumberType() == JsonParser.NumberType.INT) {
                        return p.getIntValue();
                    }
                    throw wrongType(p, t, type, column, mapKey, "out of integer range");
                }
                if (t == JsonToken.VALUE_NUMBER_FLOAT) {
                    return (int) integral(p, t, type, column, mapKey, Integer.MIN_VALUE, Integer.MAX_VALUE);
                }
                throw wrongType(p, t, type, column, mapKey, null);
            case LONG :
                if (t == JsonToken.VALUE_NUMBER_INT) {
                    JsonParser.NumberType nt = p.getNumberType();
                    if (nt == JsonParser.NumberType.INT || nt == JsonParser.NumberType.LONG) {
                        return p.getLongValue();
                    }
                    throw wrongType(p, t, type, column, mapKey, "out of long range");
                }
                if (t == JsonToken.VALUE_NUMBER_FLOAT) {
                    return integral(p, t, type, column, mapKey, Long.MIN_VALUE, Long.MAX_VALUE);
                }
                throw wrongType(p, t, type, column, mapKey, null);
            case DOUBLE :
                if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                    double d = p.getDoubleValue();
                    if (Double.isInfinite(d)) {
                        throw wrongType(p, t, type, column, mapKey, "out of double range");
                    }
                    return d;
                }
                throw wrongType(p, t, type, column, mapKey, null);
            case BOOLEAN :
                if (t == JsonToken.VALUE_TRUE) {
                    return Boolean.TRUE;
                }
                if (t == JsonToken.VALUE_FALSE) {
                    return Boolean.FALSE;
                }
                throw wrongType(p, t, type, column, mapKey, null);
            case TIMESTAMP :
                return timestamp(p, t, type, column, mapKey);
            case DATE :
                return date(p, t, type, column, mapKey);
            case DECIMAL :
                return decimal(p, t, type, column, mapKey);
            case BINARY :
                if (t == JsonToken.VALUE_STRING) {
                    return base64(p, t, type, column, mapKey);
                }
                throw wrongType(p, t, type, column, mapKey, "expected a base64 string");
            case MAP :
                if (t == JsonToken.START_OBJECT) {
                    return map(source, p, type, column);
                }
                throw wrongType(p, t, type, column, mapKey, "expected a JSON object");
            default :
                throw new IllegalStateException("no JSON conversion for " + type);
        }
    }

    /** An integral value of a float token such as {@code 3.0} or {@code 1e3}. */
    private static long integral(JsonParser p, JsonToken t, DataType type, String column,
            @Nullable String mapKey, long min, long max) throws IOException {
        BigDecimal d = decimalValue(p, t, type, column, mapKey).stripTrailingZeros();
        if (d.scale() > 0) {
            throw wrongType(p, t, type, column, mapKey, "it has a fractional part");
        }
        // guard before converting: 1e999999999 is a short token but a huge integer (in long
        // arithmetic: with an exponent near 2^31 the int difference overflows)
        if ((long) d.precision() - d.scale() > 19) {
            throw wrongType(p, t, type, column, mapKey, "out of " + type + " range");
        }
        try {
            long v = d.longValueExact();
            if (v >= min && v <= max) {
                return v;
            }
        } catch (ArithmeticException e) {
            // out of long range: reported below
        }
        throw wrongType(p, t, type, column, mapKey, "out of " + type + " range");
    }

    private static Instant timestamp(JsonParser p, JsonToken t, DataType type, String column,
            @Nullable String mapKey) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT) {
            if (p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                long millis = p.getLongValue();
                if (millis >= MIN_EPOCH_MILLI && millis <= MAX_EPOCH_MILLI) {
                    return Instant.ofEpochMilli(millis);
                }
            }
            throw wrongType(p, t, type, column, mapKey, "epoch milliseconds out of the timestamp range");
        }
        if (t != JsonToken.VALUE_STRING) {
            throw wrongType(p, t, type, column, mapKey,
                    "expected an ISO-8601 string with a zone offset, or integer epoch milliseconds");
        }
        // no ISO-8601 timestamp is this long; do not hand a huge string to the formatter
        if (p.getTextLength() > EXCERPT_CHARS) {
            throw wrongType(p, t, type, column, mapKey, "not an ISO-8601 timestamp");
        }
        String text = p.getText();
        Instant instant = parseTimestampFast(text);
        if (instant == null) {
            try {
                instant = TIMESTAMP_FORMAT.parse(text, OffsetDateTime::from).toInstant();
            } catch (DateTimeParseException e) {
                // the exception's own message quotes the whole text; its cause, when there is one, does not
                Throwable cause = e.getCause();
                throw wrongType(p, t, type, column, mapKey, cause != null
                        ? sanitize(String.valueOf(cause.getMessage()), 120)
                        : "expected ISO-8601 with a zone offset, such as 2026-01-02T03:04:05.123Z"
                                + " or 2026-01-02T03:04:05+02:00");
            }
            if (instant.getEpochSecond() < MIN_EPOCH_SECOND || instant.getEpochSecond() > MAX_EPOCH_SECOND) {
                throw wrongType(p, t, type, column, mapKey,
                        "out of the timestamp range (microseconds since 1970 in 64 bits)");
            }
        }
        int nanos = instant.getNano();
        int micros = nanos - nanos % 1_000;
        return micros == nanos ? instant : Instant.ofEpochSecond(instant.getEpochSecond(), micros);
    }

    /**
     * The canonical timestamp shapes parsed by hand ({@link IsoInstants#parse}), to microseconds as
     * Delta stores them.
     *
     * @return the instant, or null for any other shape or an out-of-range field, so that the
     *     formatter gives the final answer and the error message
     */
    static @Nullable Instant parseTimestampFast(String s) {
        Instant t = IsoInstants.parse(s);
        return t == null || t.getNano() % 1_000 == 0 ? t
                : Instant.ofEpochSecond(t.getEpochSecond(), t.getNano() - t.getNano() % 1_000);
    }

    private static LocalDate date(JsonParser p, JsonToken t, DataType type, String column,
            @Nullable String mapKey) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw wrongType(p, t, type, column, mapKey, "expected a yyyy-MM-dd string");
        }
        if (p.getTextLength() == 10) {
            String s = p.getText();
            int year = IsoInstants.digits(s, 0, 4);
            int month = IsoInstants.digits(s, 5, 2);
            int day = IsoInstants.digits(s, 8, 2);
            if (year >= 0 && month >= 0 && day >= 0 && s.charAt(4) == '-' && s.charAt(7) == '-') {
                try {
                    return LocalDate.of(year, month, day);
                } catch (DateTimeException e) {
                    throw wrongType(p, t, type, column, mapKey, sanitize(String.valueOf(e.getMessage()), 120));
                }
            }
        }
        throw wrongType(p, t, type, column, mapKey, "expected a yyyy-MM-dd string");
    }

    private static BigDecimal decimal(JsonParser p, JsonToken t, DataType type, String column,
            @Nullable String mapKey) throws IOException {
        BigDecimal d;
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            d = decimalValue(p, t, type, column, mapKey);
        } else if (t == JsonToken.VALUE_STRING) {
            d = numericString(p);
            if (d == null) {
                throw wrongType(p, t, type, column, mapKey, "not a decimal number");
            }
        } else {
            throw wrongType(p, t, type, column, mapKey, "expected a JSON number or a numeric string");
        }
        // strip first: it bounds the work below however large the exponent is
        BigDecimal stripped = d.stripTrailingZeros();
        String problem = decimalProblem(stripped, type);
        if (problem != null) {
            throw wrongType(p, t, type, column, mapKey, problem);
        }
        return stripped.setScale(type.scale());
    }

    /** @return why a number (trailing zeros stripped) does not fit the decimal type, or null if it does */
    static @Nullable String decimalProblem(BigDecimal stripped, DataType type) {
        if (stripped.scale() > type.scale()) {
            return "it has more than " + type.scale() + " decimal places and would need rounding";
        }
        // long arithmetic: an exponent near 2^31 overflows the int difference into a small number
        if (stripped.signum() != 0
                && (long) stripped.precision() - stripped.scale() > type.precision() - type.scale()) {
            return "it has more than " + (type.precision() - type.scale()) + " digits before the decimal point";
        }
        return null;
    }

    /**
     * The number token as a BigDecimal. An exponent beyond what BigDecimal holds ({@code 1e2147483648},
     * {@code 1e-2147483649}) is valid JSON that Java cannot represent: a wrong value for the column, not
     * an exception that stops the pipeline.
     */
    private static BigDecimal decimalValue(JsonParser p, JsonToken t, DataType type, String column,
            @Nullable String mapKey) throws IOException {
        try {
            return p.getDecimalValue();
        } catch (NumberFormatException | ArithmeticException e) {
            throw wrongType(p, t, type, column, mapKey, "its exponent is beyond the range of any number this"
                    + " column can hold");
        }
    }

    /**
     * @return the text, if UTF-8 can store it
     * @throws DecodeException for an unpaired surrogate, which only a JSON escape can produce here (the
     *     bytes were checked to be UTF-8): Parquet would store '?' instead, and the Delta log refuses it
     */
    static String storable(String text, String column, @Nullable String mapKey) {
        int at = unpairedSurrogate(text);
        if (at >= 0) {
            throw new DecodeException(QuarantineReason.UNPAIRED_SURROGATE, column, "column '" + column + "'"
                    + (mapKey == null ? "" : " map key \"" + excerpt(mapKey) + "\"")
                    + " holds an unpaired UTF-16 surrogate (\\u" + Integer.toHexString(text.charAt(at))
                    + " at character " + at + "), which UTF-8 cannot store; send the full surrogate pair"
                    + " (or the character itself) instead");
        }
        return text;
    }

    /** @return the index of the first surrogate that is not half of a pair, or -1 */
    public static int unpairedSurrogate(CharSequence s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            }
        }
        return -1;
    }

    /** @return the string token as a number, or null when it is not plain ASCII decimal notation */
    private static @Nullable BigDecimal numericString(JsonParser p) throws IOException {
        int len = p.getTextLength();
        if (len == 0 || len > MAX_NUMBER_CHARS) {
            return null;
        }
        char[] chars = p.getTextCharacters();
        int off = p.getTextOffset();
        // BigDecimal would also take non-ASCII digits such as U+0661; a decimal column should not
        for (int i = off; i < off + len; i++) {
            char c = chars[i];
            if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
                return null;
            }
        }
        try {
            return new BigDecimal(chars, off, len);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static byte[] base64(JsonParser p, JsonToken t, DataType type, String column,
            @Nullable String mapKey) throws IOException {
        String s = p.getText();
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            // producers in web stacks often use the URL-safe alphabet; accept it rather than fail
            try {
                return Base64.getUrlDecoder().decode(s);
            } catch (IllegalArgumentException e2) {
                throw wrongType(p, t, type, column, mapKey, "not base64");
            }
        }
    }

    private static Map<String, @Nullable Object> map(byte[] source, JsonParser p, DataType type, String column)
            throws IOException {
        DataType valueType = type.valueType();
        Map<String, @Nullable Object> map = new LinkedHashMap<>();
        String name;
        while ((name = p.nextFieldName()) != null) {
            JsonToken t = p.nextToken();
            // null values are kept: a key present with null says something a missing key does not
            map.put(storable(name, column, null),
                    t == JsonToken.VALUE_NULL ? null : convert(source, p, t, valueType, column, name));
        }
        return Collections.unmodifiableMap(map);
    }

    /**
     * The object or array at the parser's current token as compact JSON: its bytes as the producer
     * wrote them, minus whitespace between tokens. Copying the already validated bytes is several
     * times faster than re-generating, and keeps numbers and escapes exactly as they were sent.
     */
    private static String compactJson(byte[] source, JsonParser p) throws IOException {
        long from = p.currentTokenLocation().getByteOffset();
        p.skipChildren();
        long to = p.currentTokenLocation().getByteOffset() + 1;
        if (from < 0 || to > source.length || to <= from
                || (source[(int) from] != '{' && source[(int) from] != '[')
                || (source[(int) to - 1] != '}' && source[(int) to - 1] != ']')) {
            throw new IllegalStateException("Jackson reported byte offsets " + from + ".." + to
                    + " that do not frame a nested JSON value; has its location reporting changed?");
        }
        int start = (int) from;
        int end = (int) to;
        byte[] out = new byte[end - start];
        int n = 0;
        boolean inString = false;
        for (int i = start; i < end; i++) {
            byte c = source[i];
            if (inString) {
                out[n++] = c;
                if (c == '\\') {
                    out[n++] = source[++i]; // the escaped byte, which may be a quote
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                out[n++] = c;
                inString = c == '"';
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static DecodeException wrongType(JsonParser p, JsonToken t, DataType type, String column,
            @Nullable String mapKey, @Nullable String why) throws IOException {
        StringBuilder m = new StringBuilder(128).append("column '").append(column).append('\'');
        if (mapKey != null) {
            m.append(" map key \"").append(excerpt(mapKey)).append('"');
        }
        m.append(" expects ").append(type)
                .append(", found ").append(found(p, t));
        if (why != null) {
            m.append(": ").append(why);
        }
        return new DecodeException(QuarantineReason.WRONG_TYPE, column, m.toString());
    }

    /** Describes the current token for a message, quoting at most {@link #EXCERPT_CHARS} characters. */
    private static String found(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case VALUE_STRING -> "string \""
                    + excerpt(CharBuffer.wrap(p.getTextCharacters(), p.getTextOffset(), p.getTextLength())) + '"';
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number " + excerpt(p.getText());
            case VALUE_TRUE -> "boolean true";
            case VALUE_FALSE -> "boolean false";
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_NULL -> "null";
            default -> String.valueOf(t);
        };
    }

    /**
     * @return at most {@link #EXCERPT_CHARS} characters of payload text, with control characters
     *     escaped so that a payload cannot forge log lines
     */
    public static String excerpt(CharSequence s) {
        int len = s.length();
        int end = len <= EXCERPT_CHARS ? len : EXCERPT_CHARS - 3;
        if (end < len && Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        StringBuilder sb = new StringBuilder(end + 24);
        appendEscaped(sb, s, end);
        if (end < len) {
            sb.append("... (").append(len).append(" chars)");
        }
        return sb.toString();
    }

    private static String sanitize(String s, int max) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 4);
        appendEscaped(sb, s, Math.min(s.length(), max));
        if (s.length() > max) {
            sb.append("...");
        }
        return sb.toString();
    }

    /**
     * Control characters (which could forge log lines) and unpaired surrogates (which the quarantine
     * table, UTF-8 like every column, could not store) are escaped as {@code \\uXXXX}.
     */
    private static void appendEscaped(StringBuilder sb, CharSequence s, int end) {
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1));
            if (c < 0x20 || c == 0x7f || (Character.isSurrogate(c) && !paired)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else if (paired) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(c);
            }
        }
    }

    /**
     * Checks the bytes are well-formed UTF-8 in one pass, eight ASCII bytes at a time. Jackson
     * would let some invalid sequences through (overlong forms, encoded surrogates) and then store
     * text that differs from what the producer sent.
     */
    static void validateUtf8(byte[] b) {
        int n = b.length;
        // Jackson guesses UTF-16 or UTF-32 from NUL bytes at the start; JSON text never has a raw NUL
        for (int i = 0; i < Math.min(4, n); i++) {
            if (b[i] == 0) {
                throw notUtf8(i, "a NUL byte; the value looks UTF-16 or UTF-32 encoded, but must be UTF-8");
            }
        }
        int i = 0;
        while (i < n) {
            while (i + 8 <= n && ((long) LONGS.get(b, i) & HIGH_BITS) == 0) {
                i += 8;
            }
            if (i >= n) {
                break;
            }
            int c = b[i];
            if (c >= 0) {
                i++;
                continue;
            }
            c &= 0xFF;
            if (c < 0xC0) {
                throw notUtf8(i, "unexpected continuation byte " + hex(c));
            } else if (c < 0xC2) {
                throw notUtf8(i, "overlong encoding " + hex(b, i, 2));
            } else if (c < 0xE0) {
                continuation(b, i, 1);
                i += 2;
            } else if (c < 0xF0) {
                continuation(b, i, 2);
                int c1 = b[i + 1] & 0xFF;
                if (c == 0xE0 && c1 < 0xA0) {
                    throw notUtf8(i, "overlong encoding " + hex(b, i, 3));
                }
                if (c == 0xED && c1 >= 0xA0) {
                    throw notUtf8(i, "a UTF-16 surrogate encoded as UTF-8 " + hex(b, i, 3));
                }
                i += 3;
            } else if (c < 0xF5) {
                continuation(b, i, 3);
                int c1 = b[i + 1] & 0xFF;
                if (c == 0xF0 && c1 < 0x90) {
                    throw notUtf8(i, "overlong encoding " + hex(b, i, 4));
                }
                if (c == 0xF4 && c1 >= 0x90) {
                    throw notUtf8(i, "a code point above U+10FFFF " + hex(b, i, 4));
                }
                i += 4;
            } else {
                throw notUtf8(i, "byte " + hex(c) + ", which never occurs in UTF-8");
            }
        }
    }

    /** Checks that the lead byte at {@code i} is followed by {@code count} continuation bytes. */
    private static void continuation(byte[] b, int i, int count) {
        for (int k = 1; k <= count; k++) {
            if (i + k >= b.length || (b[i + k] & 0xC0) != 0x80) {
                throw notUtf8(i, "truncated sequence " + hex(b, i, Math.min(k + 1, b.length - i))
                        + ": lead byte " + hex(b[i] & 0xFF) + " needs " + count + " continuation byte"
                        + (count == 1 ? "" : "s"));
            }
        }
    }

    private static DecodeException notUtf8(int offset, String what) {
        return new DecodeException(QuarantineReason.NOT_UTF8, null,
                "the value is not valid UTF-8 at byte offset " + offset + ": " + what);
    }

    private static String hex(int b) {
        return String.format("0x%02X", b);
    }

    private static String hex(byte[] b, int from, int count) {
        StringBuilder sb = new StringBuilder("(");
        for (int k = from; k < Math.min(b.length, from + count); k++) {
            sb.append(k == from ? "" : " ").append(hex(b[k] & 0xFF));
        }
        return sb.append(')').toString();
    }
}
