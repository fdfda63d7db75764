package io.streamlake.core.delta;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.streamlake.schema.DataType;
import io.streamlake.table.DataFile;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-file statistics of the Delta log, {@code {"numRecords":N,"minValues":{..},"maxValues":{..},
 * "nullCount":{..}}}, in the value formats Spark writes so that every Delta reader can skip files
 * with them.
 */
final class DeltaStats {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaStats.class);

    // Plain decimals: Jackson would otherwise write 1E-7, which is valid JSON but not what Spark writes.
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    // Spark's stats format: always three fraction digits and an explicit offset.
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneOffset.UTC);

    private DeltaStats() {
    }

    /**
     * delta-standalone writes {@code AddFile.stats} into the log verbatim (a raw JSON value), yet
     * reads it back as a string: handing it the stats as a quoted JSON string literal makes the log
     * hold {@code "stats":"{..}"}, as the protocol says, and keeps its own reader working.
     *
     * @return the stats JSON of a data file as a JSON string literal, for {@code AddFile.stats}
     */
    static String toLogValue(DataFile file) {
        return jsonString(toJson(file));
    }

    /** @return the text as a JSON string literal, quotes included */
    static String jsonString(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 16).append('"');
        JsonStringEncoder.getInstance().quoteAsString(text, quoted);
        return quoted.append('"').toString();
    }

    /** @return the stats JSON of a data file */
    static String toJson(DataFile file) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("numRecords", file.rowCount());
            writeValues(g, "minValues", file.minValues(), false);
            writeValues(g, "maxValues", file.maxValues(), true);
            g.writeObjectFieldStart("nullCount");
            for (Map.Entry<String, Long> e : new TreeMap<>(file.nullCounts()).entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void writeValues(JsonGenerator g, String name, Map<String, Object> values, boolean upper)
            throws IOException {
        g.writeObjectFieldStart(name);
        for (Map.Entry<String, Object> e : new TreeMap<>(values).entrySet()) {
            Object v = e.getValue();
            if (v instanceof Integer i) {
                g.writeNumberField(e.getKey(), i);
            } else if (v instanceof Long l) {
                g.writeNumberField(e.getKey(), l);
            } else if (v instanceof Double d) {
                if (Double.isFinite(d)) {
                    g.writeNumberField(e.getKey(), d);
                }
            } else if (v instanceof BigDecimal d) {
                g.writeFieldName(e.getKey());
                g.writeNumber(d);
            } else if (v instanceof String s) {
                g.writeStringField(e.getKey(), s);
            } else if (v instanceof Instant t) {
                g.writeStringField(e.getKey(), formatTimestamp(t, upper));
            } else if (v instanceof LocalDate d) {
                g.writeStringField(e.getKey(), d.toString());
            }
            // Other values (booleans, bytes) have no bound in Delta stats: leaving them out means "unknown".
        }
        g.writeEndObject();
    }

    /**
     * Delta stats keep milliseconds; a maximum with sub-millisecond digits is rounded up so that it
     * stays an upper bound, a minimum is truncated so that it stays a lower bound.
     */
    static String formatTimestamp(Instant t, boolean upper) {
        Instant millis = t.truncatedTo(ChronoUnit.MILLIS);
        if (upper && !millis.equals(t)) {
            millis = millis.plusMillis(1);
        }
        return TIMESTAMP.format(millis);
    }

    /**
     * Parses the stats of an AddFile into a DataFile with typed bounds. Stats that are missing or
     * unreadable leave the bounds unknown (and the row count -1) rather than failing the snapshot.
     *
     * @param types the table's columns by name, to type the bounds
     */
    static DataFile parse(String path, long size, @Nullable String json, Map<String, DataType> types) {
        return parse(path, size, json, types, Map.of());
    }

    /** The same for a file of a partitioned table, with its partition values from the log. */
    static DataFile parse(String path, long size, @Nullable String json, Map<String, DataType> types,
            Map<String, String> partitionValues) {
        long rows = -1;
        Map<String, Object> min = new HashMap<>();
        Map<String, Object> max = new HashMap<>();
        Map<String, Long> nulls = new HashMap<>();
        if (json != null && !json.isEmpty()) {
            try (JsonParser p = JSON.createParser(json)) {
                if (p.nextToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken t = p.nextToken();
                        switch (field) {
                            case "numRecords" -> rows = t == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                            case "minValues" -> readValues(p, types, min, false);
                            case "maxValues" -> readValues(p, types, max, true);
                            case "nullCount" -> readNullCounts(p, nulls);
                            default -> p.skipChildren();
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("ignoring unreadable statistics of data file {}: {}", path, e.toString());
                return new DataFile(path, size, -1, Map.of(), Map.of(), Map.of(), partitionValues);
            }
        }
        return new DataFile(path, size, rows, min, max, nulls, partitionValues);
    }

    private static void readValues(JsonParser p, Map<String, DataType> types, Map<String, Object> out,
            boolean upper) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String column = p.currentName();
            JsonToken t = p.nextToken();
            DataType type = types.get(column);
            Object value = type == null ? null : typed(p, t, type, upper);
            if (value != null) {
                out.put(column, value);
            } else {
                p.skipChildren();
            }
        }
    }

    private static @Nullable Object typed(JsonParser p, JsonToken t, DataType type, boolean upper)
            throws IOException {
        boolean integral = t == JsonToken.VALUE_NUMBER_INT;
        boolean number = integral || t == JsonToken.VALUE_NUMBER_FLOAT;
        boolean text = t == JsonToken.VALUE_STRING;
        try {
            return switch (type.kind()) {
                case STRING -> text ? p.getText() : null;
                case INT -> integral ? (Object) p.getIntValue() : null;
                case LONG -> integral ? (Object) p.getLongValue() : null;
                case DOUBLE -> number ? (Object) p.getDoubleValue() : null;
                case DECIMAL -> number ? decimal(p.getDecimalValue(), type, upper) : null;
                case DATE -> text ? LocalDate.parse(p.getText()) : null;
                case TIMESTAMP -> text ? OffsetDateTime.parse(p.getText()).toInstant() : null;
                case BOOLEAN, BINARY, MAP -> null;
            };
        } catch (RuntimeException e) {
            // One odd bound (another writer's format) must not hide the others.
            return null;
        }
    }

    /** A bound with more digits than the column's scale (another writer's) is widened, never narrowed. */
    private static BigDecimal decimal(BigDecimal value, DataType type, boolean upper) {
        return value.setScale(type.scale(), upper ? RoundingMode.CEILING : RoundingMode.FLOOR);
    }

    private static void readNullCounts(JsonParser p, Map<String, Long> out) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String column = p.currentName();
            if (p.nextToken() == JsonToken.VALUE_NUMBER_INT) {
                out.put(column, p.getLongValue());
            } else {
                p.skipChildren();
            }
        }
    }
}
