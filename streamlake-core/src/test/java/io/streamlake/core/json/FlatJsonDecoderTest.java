package io.streamlake.core.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The flat path must accept only what the Jackson path accepts, and produce the same row; for
 * everything else the decoder must answer exactly as Jackson does. Checked differentially over
 * generated records, well-formed and not.
 */
class FlatJsonDecoderTest {
    private static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.STRING)
            .optional("n", DataType.INT)
            .optional("big", DataType.LONG)
            .optional("price", DataType.DOUBLE)
            .optional("amount", DataType.decimal(9, 2))
            .optional("ok", DataType.BOOLEAN)
            .optional("at", DataType.TIMESTAMP)
            .optional("day", DataType.DATE)
            .optional("blob", DataType.BINARY)
            .optional("tags", DataType.map(DataType.STRING))
            .optional("note", DataType.STRING)
            .build();

    private static final String[] NAMES = {"id", "n", "big", "price", "amount", "ok", "at", "day", "blob", "tags",
            "note", "unknown", "ïd"};
    private static final String[] VALUES = {
            "\"a-1\"", "\"\"", "\"ünï cödé ✓\"", "\"with \\\"escape\\\"\"", "\"tab\tinside\"",
            "\"2026-01-02T03:04:05Z\"",
            "\"2026-01-02T03:04:05.123456789Z\"", "\"2026-01-02T03:04:05+02:00\"", "\"2026-01-02t03:04:05z\"",
            "\"2026-02-30T00:00:00Z\"", "\"2026-01-02\"", "\"2026-13-02\"", "\"2024-02-29\"", "\"12.50\"", "\"AAEC\"",
            "0", "-0", "7", "-42", "2147483647", "2147483648", "-2147483649", "123456789012345678",
            "1234567890123456789", "9223372036854775807", "-9223372036854775808", "99999999999999999999",
            "01", "1.", ".5", "+1", "-", "1.50", "-0.0", "1e3", "1E+3", "1.5e-3", "3.0", "12.345", "1234567.89",
            "12345678.9", "1e400", "1e-400", "1700000000000", "1.0e2", "123abc",
            "true", "false", "null", "tru", "nul", "truex", "{}", "{\"a\":1}", "[1,2]", "{\"k\":\"v\",\"z\":null}",
    };

    private static String record(Random r) {
        StringBuilder s = new StringBuilder();
        s.append(space(r)).append('{');
        int fields = r.nextInt(8);
        boolean hasId = r.nextInt(10) > 0;
        if (hasId) {
            s.append(space(r)).append("\"id\"").append(space(r)).append(':').append(space(r))
                    .append(r.nextInt(10) > 0 ? "\"k" + r.nextInt(100) + "\"" : VALUES[r.nextInt(VALUES.length)]);
            if (fields > 0) {
                s.append(',');
            }
        }
        for (int f = 0; f < fields; f++) {
            s.append(space(r)).append('"').append(NAMES[r.nextInt(NAMES.length)]).append('"').append(space(r))
                    .append(':').append(space(r)).append(VALUES[r.nextInt(VALUES.length)]).append(space(r));
            if (f < fields - 1) {
                s.append(r.nextInt(40) == 0 ? "" : ",");
            }
        }
        s.append(r.nextInt(40) == 0 ? "" : "}").append(space(r));
        if (r.nextInt(40) == 0) {
            s.append(r.nextBoolean() ? "x" : "{}");
        }
        String json = s.toString();
        if (r.nextInt(30) == 0 && json.length() > 2) {
            json = json.substring(0, r.nextInt(json.length())); // truncated
        }
        return json;
    }

    private static String space(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> " ";
            case 1 -> "\n\t ";
            case 2 -> "\r\n";
            default -> "";
        };
    }

    /** The row, or the error's reason, column and message. */
    private static Object outcome(JsonRowDecoder decoder, byte[] value) {
        try {
            return decoder.decode(value);
        } catch (DecodeException e) {
            return e.reason() + " " + e.column() + " " + e.getMessage();
        }
    }

    @Test
    void answersExactlyAsJacksonDoesOverGeneratedRecords() {
        JsonRowDecoder fast = new JsonRowDecoder(SCHEMA, "id", 1 << 20, true);
        JsonRowDecoder jackson = new JsonRowDecoder(SCHEMA, "id", 1 << 20, false);
        FlatJsonDecoder flat = new FlatJsonDecoder(SCHEMA);
        Random r = new Random(20261125);
        int flatAccepted = 0;
        int rows = 0;
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            String json = record(r);
            byte[] value = json.getBytes(StandardCharsets.UTF_8);
            Object expected = outcome(jackson, value);
            Object actual = outcome(fast, value);
            if (!expected.equals(actual) && differences.size() < 10) {
                differences.add(json + "\n   jackson: " + expected + "\n   flat:    " + actual);
            }
            if (flat.decode(value, new Object[SCHEMA.size()], new Object())) {
                flatAccepted++;
            }
            if (expected instanceof Row) {
                rows++;
            }
        }
        assertThat(differences).isEmpty();
        // the generator must exercise both paths, and both outcomes
        assertThat(flatAccepted).isGreaterThan(5_000);
        assertThat(rows).isGreaterThan(5_000).isLessThan(45_000);
    }

    @Test
    void decodesTheCommonShapeWithoutJackson() {
        FlatJsonDecoder flat = new FlatJsonDecoder(SCHEMA);
        Object jsonNull = new Object();
        Object[] values = new Object[SCHEMA.size()];
        byte[] value = ("{\"id\":\"order-7\",\"n\":3,\"big\":-12,\"price\":9.5,\"amount\":12.5,\"ok\":true,"
                + "\"at\":\"2026-11-25T03:00:00.123Z\",\"day\":\"2026-11-25\",\"note\":null,\"extra\":\"x\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(flat.decode(value, values, jsonNull)).isTrue();
        assertThat(values).containsExactly("order-7", 3, -12L, 9.5, new BigDecimal("12.50"), true,
                Instant.parse("2026-11-25T03:00:00.123Z"), LocalDate.of(2026, 11, 25), null, null, jsonNull);
        assertThat(flat.decode("{\"id\":\"a\\nb\"}".getBytes(StandardCharsets.UTF_8), new Object[SCHEMA.size()],
                jsonNull)).as("an escape goes to Jackson").isFalse();
    }

    @Test
    void repeatedShortStringsShareOneInstanceUntilAColumnProvesDistinct() {
        FlatJsonDecoder.StringCache cache = new FlatJsonDecoder.StringCache();
        byte[] paid = "{\"status\":\"paid\"}".getBytes(StandardCharsets.UTF_8);
        String first = cache.get(paid, 11, 15);
        assertThat(first).isEqualTo("paid");
        assertThat(cache.get(paid, 11, 15)).isSameAs(first);
        byte[] longValue = ("x".repeat(40)).getBytes(StandardCharsets.UTF_8);
        assertThat(cache.get(longValue, 0, 40)).isEqualTo("x".repeat(40))
                .isNotSameAs(cache.get(longValue, 0, 40));

        FlatJsonDecoder.StringCache distinct = new FlatJsonDecoder.StringCache();
        for (int i = 0; i < 30_000; i++) {
            byte[] id = ("order-" + i).getBytes(StandardCharsets.UTF_8);
            assertThat(distinct.get(id, 0, id.length)).isEqualTo("order-" + i);
        }
        byte[] again = "order-29999".getBytes(StandardCharsets.UTF_8);
        assertThat(distinct.get(again, 0, again.length)).as("turned off: a new String")
                .isNotSameAs(distinct.get(again, 0, again.length));
    }
}
