package io.streamlake.core.json;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.quality.QuarantineReason;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class JsonRowDecoderTest {

    private static final Schema ORDERS = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("qty", DataType.INT)
            .optional("seq", DataType.LONG)
            .optional("weight", DataType.DOUBLE)
            .optional("gift", DataType.BOOLEAN)
            .optional("updated_at", DataType.TIMESTAMP)
            .optional("ship_date", DataType.DATE)
            .optional("amount", DataType.decimal(12, 2))
            .optional("signature", DataType.BINARY)
            .optional("attrs", DataType.map(DataType.LONG))
            .optional("payload", DataType.STRING)
            .build();

    private final JsonRowDecoder decoder = new JsonRowDecoder(ORDERS, "order_id", 4096);

    private Row decode(String json) {
        return decoder.decode(json.getBytes(UTF_8));
    }

    private DecodeException failure(String json) {
        return failure(json.getBytes(UTF_8));
    }

    private DecodeException failure(byte[] value) {
        return catchThrowableOfType(DecodeException.class, () -> decoder.decode(value));
    }

    /** The message quotes no run of more than 64 characters of the payload. */
    private static void assertNoLongExcerpt(String message, String payload) {
        for (int i = 0; i + 65 <= payload.length(); i++) {
            assertThat(message).doesNotContain(payload.substring(i, i + 65));
        }
    }

    @Nested
    class EveryType {

        @Test
        void decodesEachColumnToItsJavaClass() {
            byte[] sig = {1, 2, 3, (byte) 0xFF};
            Row row = decode("""
                    {"order_id": "o-1", "status": "PAID", "qty": 3, "seq": 9007199254740993,
                     "weight": 1.25, "gift": true, "updated_at": "2026-01-02T03:04:05.123Z",
                     "ship_date": "2026-01-05", "amount": 12.5, "signature": "%s",
                     "attrs": {"a": 1, "b": -2}, "payload": {"x": [1, 2]}}
                    """.formatted(Base64.getEncoder().encodeToString(sig)));

            assertThat(row.string("order_id")).isEqualTo("o-1");
            assertThat(row.string("status")).isEqualTo("PAID");
            assertThat(row.intValue("qty")).isEqualTo(3);
            assertThat(row.longValue("seq")).isEqualTo(9007199254740993L);
            assertThat(row.value("weight")).isEqualTo(1.25);
            assertThat(row.value("gift")).isEqualTo(Boolean.TRUE);
            assertThat(row.timestamp("updated_at")).isEqualTo(Instant.parse("2026-01-02T03:04:05.123Z"));
            assertThat(row.value("ship_date")).isEqualTo(LocalDate.of(2026, 1, 5));
            assertThat(row.value("amount")).isEqualTo(new BigDecimal("12.50"));
            assertThat(row.bytes("signature")).containsExactly(sig);
            assertThat(row.value("attrs")).isEqualTo(Map.of("a", 1L, "b", -2L));
            assertThat(row.string("payload")).isEqualTo("{\"x\":[1,2]}");
        }

        @Test
        void missingAndNullOptionalColumnsAreNull() {
            Row row = decode("{\"order_id\": \"o-1\", \"status\": null}");

            assertThat(row.string("order_id")).isEqualTo("o-1");
            for (int i = 1; i < ORDERS.size(); i++) {
                assertThat(row.value(i)).as(ORDERS.field(i).name()).isNull();
            }
        }

        @Test
        void stringColumnTakesNumbersAndBooleansByTheirJsonText() {
            assertThat(decode("{\"order_id\": 42}").string("order_id")).isEqualTo("42");
            assertThat(decode("{\"order_id\": \"a\", \"status\": 1.50}").string("status")).isEqualTo("1.50");
            assertThat(decode("{\"order_id\": \"a\", \"status\": 1e400}").string("status")).isEqualTo("1e400");
            assertThat(decode("{\"order_id\": \"a\", \"status\": false}").string("status")).isEqualTo("false");
        }

        @Test
        void stringColumnKeepsNestedJsonAsCompactText() {
            Row row = decode("""
                    {"order_id": "a",
                     "payload": { "lines" : [ {"sku": "A\\"1", "price": 10.10, "tags": []}, null, true ],
                                  "note": "caf\u00e9 \\u2603", "big": 123456789012345678901234567890 },
                     "status": [1, "two", {"three": 3}]}
                    """);

            assertThat(row.string("payload")).isEqualTo(
                    "{\"lines\":[{\"sku\":\"A\\\"1\",\"price\":10.10,\"tags\":[]},null,true],"
                            + "\"note\":\"caf\u00e9 \\u2603\",\"big\":123456789012345678901234567890}");
            assertThat(row.string("status")).isEqualTo("[1,\"two\",{\"three\":3}]");
        }

        @Test
        void nestedJsonKeepsWhitespaceInsideStrings() {
            Row row = decode("{\"order_id\": \"a\", \"payload\": {\"s\" : \" a \\\" b\\\\ \", \"t\": \"\\t\"\n}}");

            assertThat(row.string("payload")).isEqualTo("{\"s\":\" a \\\" b\\\\ \",\"t\":\"\\t\"}");
        }

        @Test
        void intAcceptsIntegralFloatsAndRejectsFractionsAndOverflow() {
            assertThat(decode("{\"order_id\": \"a\", \"qty\": 3.0}").intValue("qty")).isEqualTo(3);
            assertThat(decode("{\"order_id\": \"a\", \"qty\": 1e2}").intValue("qty")).isEqualTo(100);
            assertThat(decode("{\"order_id\": \"a\", \"qty\": -2147483648}").intValue("qty"))
                    .isEqualTo(Integer.MIN_VALUE);

            assertThat(failure("{\"order_id\": \"a\", \"qty\": 3.5}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason)
                    .hasMessageContaining("'qty'").hasMessageContaining("integer")
                    .hasMessageContaining("3.5").hasMessageContaining("fractional");
            assertThat(failure("{\"order_id\": \"a\", \"qty\": 2147483648}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason).hasMessageContaining("range");
            assertThat(failure("{\"order_id\": \"a\", \"qty\": 3e9}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason).hasMessageContaining("range");
            assertThat(failure("{\"order_id\": \"a\", \"qty\": true}").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        @Test
        void longFollowsTheSameRules() {
            assertThat(decode("{\"order_id\": \"a\", \"seq\": 9223372036854775807}").longValue("seq"))
                    .isEqualTo(Long.MAX_VALUE);
            assertThat(decode("{\"order_id\": \"a\", \"seq\": 4.0e3}").longValue("seq")).isEqualTo(4000L);
            assertThat(decode("{\"order_id\": \"a\", \"seq\": -0.0}").longValue("seq")).isZero();

            assertThat(failure("{\"order_id\": \"a\", \"seq\": 9223372036854775808}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason).hasMessageContaining("long range");
            assertThat(failure("{\"order_id\": \"a\", \"seq\": 1e19}").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
            // a short token for a huge number must be refused without building it
            assertThat(failure("{\"order_id\": \"a\", \"seq\": 1e999999999}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(failure("{\"order_id\": \"a\", \"seq\": 0.5}").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(failure("{\"order_id\": \"a\", \"seq\": \"12\"}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        @Test
        void exponentsBeyondAnyNumbersRangeAreAWrongValueNotAnException() {
            for (String column : new String[] {"qty", "seq", "amount"}) {
                for (String number : new String[] {"1e2147483648", "1e-2147483649", "-1e2147483648", "1e2147483647",
                        "1E+2147483647", "1e-2147483648"}) {
                    String json = "{\"order_id\": \"a\", \"" + column + "\": " + number + "}";
                    if (number.equals("1e-2147483648") && !column.equals("amount")) {
                        continue; // a tiny number, not an exception: the integral columns refuse its fraction
                    }
                    assertThat(failure(json)).as(json).returns(QuarantineReason.WRONG_TYPE, DecodeException::reason)
                            .hasMessageContaining("'" + column + "'");
                }
            }
            assertThat(failure("{\"order_id\": \"a\", \"amount\": \"1e2147483648\"}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        @Test
        void unpairedSurrogatesInStringsMapKeysOrTheKeyAreRefusedAndTheMessageHoldsNone() {
            for (String json : new String[] {"{\"order_id\": \"a\", \"status\": \"\\ud800\"}",
                    "{\"order_id\": \"\\udc00\"}", "{\"order_id\": \"a\", \"status\": \"x\\udc00\\ud800\"}",
                    "{\"order_id\": \"a\", \"attrs\": {\"\\ud800\": 1}}",
                    "{\"order_id\": \"a\", \"status\": \"\\ud83d\"}"}) {
                DecodeException e = failure(json);
                assertThat(e).as(json).returns(QuarantineReason.UNPAIRED_SURROGATE, DecodeException::reason)
                        .hasMessageContaining("surrogate");
                assertThat(JsonRowDecoder.unpairedSurrogate(e.getMessage())).as("message of " + json).isEqualTo(-1);
            }
            // a pair is a character like any other
            assertThat(decode("{\"order_id\": \"a\", \"status\": \"\\ud83d\\ude00\"}").string("status"))
                    .isEqualTo("\ud83d\ude00");
        }

        @Test
        void doubleTakesAnyFiniteNumber() {
            assertThat(decode("{\"order_id\": \"a\", \"weight\": 7}").value("weight")).isEqualTo(7.0);
            assertThat(decode("{\"order_id\": \"a\", \"weight\": -1.5e-3}").value("weight")).isEqualTo(-0.0015);

            assertThat(failure("{\"order_id\": \"a\", \"weight\": 1e400}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason).hasMessageContaining("double range");
            assertThat(failure("{\"order_id\": \"a\", \"weight\": \"1.5\"}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        @Test
        void booleanTakesOnlyTrueAndFalse() {
            assertThat(decode("{\"order_id\": \"a\", \"gift\": false}").value("gift")).isEqualTo(Boolean.FALSE);

            assertThat(failure("{\"order_id\": \"a\", \"gift\": \"true\"}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(failure("{\"order_id\": \"a\", \"gift\": 1}").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        @Test
        void timestampsWithOffsetsKeepMicrosecondsAndDropNanoseconds() {
            assertThat(ts("\"2026-01-02T03:04:05Z\"")).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
            assertThat(ts("\"2026-01-02T03:04:05+02:00\"")).isEqualTo(Instant.parse("2026-01-02T01:04:05Z"));
            assertThat(ts("\"2026-01-02T03:04:05.123456-05:30\""))
                    .isEqualTo(Instant.parse("2026-01-02T08:34:05.123456Z"));
            assertThat(ts("\"2026-01-02T03:04:05.123456789Z\""))
                    .isEqualTo(Instant.parse("2026-01-02T03:04:05.123456Z"));
            assertThat(ts("\"1969-12-31T23:59:59.9999999Z\"")).isEqualTo(Instant.parse("1969-12-31T23:59:59.999999Z"));
            // shapes outside the hand-parsed one still go through java.time
            assertThat(ts("\"2026-01-02T03:04:05+0200\"")).isEqualTo(Instant.parse("2026-01-02T01:04:05Z"));
            assertThat(ts("\"2026-01-02T03:04:05.5+02\"")).isEqualTo(Instant.parse("2026-01-02T01:04:05.5Z"));
            assertThat(ts("\"2026-01-02T03:04Z\"")).isEqualTo(Instant.parse("2026-01-02T03:04:00Z"));
            assertThat(ts("\"2026-01-02t03:04:05z\"")).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
            // integers are epoch milliseconds
            assertThat(ts("1767323045123")).isEqualTo(Instant.parse("2026-01-02T03:04:05.123Z"));
            assertThat(ts("-1")).isEqualTo(Instant.parse("1969-12-31T23:59:59.999Z"));
        }

        @Test
        void timestampsWithoutZoneOrOutOfRangeAreRejected() {
            assertThat(tsFailure("\"2026-01-02T03:04:05\"")).hasMessageContaining("'updated_at'")
                    .hasMessageContaining("timestamp").hasMessageContaining("2026-01-02T03:04:05");
            assertThat(tsFailure("\"2026-01-02 03:04:05Z\"").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(tsFailure("\"2026-02-30T03:04:05Z\"")).hasMessageContaining("FEBRUARY 30");
            assertThat(tsFailure("\"2026-01-02T24:00:00Z\"").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(tsFailure("\"2026-01-02T03:04:05+19:00\"").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(tsFailure("\"+999999999-01-01T00:00:00Z\"")).hasMessageContaining("range");
            assertThat(tsFailure("9223372036854775807")).hasMessageContaining("range");
            assertThat(tsFailure("1.767323045123E12").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(tsFailure("\"yesterday\"").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(tsFailure("true").reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        @Test
        void handParsedTimestampsAgreeWithJavaTime() {
            DateTimeFormatter iso = DateTimeFormatter.ISO_OFFSET_DATE_TIME;
            Random random = new Random(42);
            int accepted = 0;
            for (int i = 0; i < 50_000; i++) {
                String s = String.format("%04d-%02d-%02dT%02d:%02d:%02d%s%s",
                        random.nextInt(10_000), random.nextInt(14), random.nextInt(33), random.nextInt(25),
                        random.nextInt(61), random.nextInt(61), fraction(random), offset(random));
                Instant fast = JsonRowDecoder.parseTimestampFast(s);
                Instant slow;
                try {
                    slow = OffsetDateTime.parse(s, iso).toInstant();
                } catch (RuntimeException e) {
                    slow = null;
                }
                if (fast != null) {
                    accepted++;
                    assertThat(slow).as(s).isNotNull();
                    assertThat(fast).as(s).isEqualTo(slow.minusNanos(slow.getNano() % 1_000));
                }
            }
            assertThat(accepted).isGreaterThan(10_000);
        }

        private static String fraction(Random random) {
            int digits = random.nextInt(11);
            StringBuilder sb = new StringBuilder(digits == 10 ? "" : ".");
            for (int i = 0; i < digits && digits < 10; i++) {
                sb.append(random.nextInt(10));
            }
            return sb.toString();
        }

        private static String offset(Random random) {
            return switch (random.nextInt(4)) {
                case 0 -> "Z";
                case 1 -> "z";
                default -> String.format("%s%02d:%02d", random.nextBoolean() ? "+" : "-",
                        random.nextInt(20), random.nextInt(61));
            };
        }

        private Instant ts(String json) {
            return decode("{\"order_id\": \"a\", \"updated_at\": " + json + "}").timestamp("updated_at");
        }

        private DecodeException tsFailure(String json) {
            DecodeException e = failure("{\"order_id\": \"a\", \"updated_at\": " + json + "}");
            assertThat(e.reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(e.column()).isEqualTo("updated_at");
            return e;
        }

        @Test
        void datesAreIsoCalendarDates() {
            assertThat(decode("{\"order_id\": \"a\", \"ship_date\": \"2024-02-29\"}").value("ship_date"))
                    .isEqualTo(LocalDate.of(2024, 2, 29));

            assertThat(failure("{\"order_id\": \"a\", \"ship_date\": \"2026-02-29\"}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason)
                    .hasMessageContaining("not a leap year");
            assertThat(failure("{\"order_id\": \"a\", \"ship_date\": \"2026-1-5\"}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason).hasMessageContaining("yyyy-MM-dd");
            assertThat(failure("{\"order_id\": \"a\", \"ship_date\": \"2026-01-05T00:00:00Z\"}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(failure("{\"order_id\": \"a\", \"ship_date\": 20260105}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        @Test
        void decimalsAreRescaledExactlyOrRejected() {
            assertThat(amount("12")).isEqualTo(new BigDecimal("12.00"));
            assertThat(amount("12.5")).isEqualTo(new BigDecimal("12.50"));
            assertThat(amount("\"-0.07\"")).isEqualTo(new BigDecimal("-0.07"));
            assertThat(amount("1.2500000")).isEqualTo(new BigDecimal("1.25"));
            assertThat(amount("1.5e2")).isEqualTo(new BigDecimal("150.00"));
            assertThat(amount("\"9999999999.99\"")).isEqualTo(new BigDecimal("9999999999.99"));
            assertThat(amount("0e-999999999")).isEqualTo(new BigDecimal("0.00"));

            assertThat(failure("{\"order_id\": \"a\", \"amount\": 12.345}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason)
                    .hasMessageContaining("'amount'").hasMessageContaining("decimal(12,2)")
                    .hasMessageContaining("12.345").hasMessageContaining("rounding");
            assertThat(failure("{\"order_id\": \"a\", \"amount\": 10000000000}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason).hasMessageContaining("10 digits");
            assertThat(failure("{\"order_id\": \"a\", \"amount\": 1e999999999}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(failure("{\"order_id\": \"a\", \"amount\": 1e-999999999}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(failure("{\"order_id\": \"a\", \"amount\": \"12,50\"}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(failure("{\"order_id\": \"a\", \"amount\": \"\u0661\u0662\"}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(failure("{\"order_id\": \"a\", \"amount\": true}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        private Object amount(String json) {
            return decode("{\"order_id\": \"a\", \"amount\": " + json + "}").value("amount");
        }

        @Test
        void binaryIsBase64InEitherAlphabet() {
            byte[] bytes = {(byte) 0xFB, (byte) 0xFF, 0x00, 0x7F};
            String standard = Base64.getEncoder().encodeToString(bytes);
            String urlSafe = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            assertThat(standard).contains("+");
            assertThat(urlSafe).contains("-");

            assertThat(decode("{\"order_id\": \"a\", \"signature\": \"" + standard + "\"}").bytes("signature"))
                    .containsExactly(bytes);
            assertThat(decode("{\"order_id\": \"a\", \"signature\": \"" + urlSafe + "\"}").bytes("signature"))
                    .containsExactly(bytes);
            assertThat(failure("{\"order_id\": \"a\", \"signature\": \"not base64!\"}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason).hasMessageContaining("base64");
            assertThat(failure("{\"order_id\": \"a\", \"signature\": [1, 2]}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        @Test
        void mapsConvertEachValueAndKeepNullsAndOrder() {
            Map<String, Long> expected = new LinkedHashMap<>();
            expected.put("z", 1L);
            expected.put("a", null);
            expected.put("m", 3L);

            @SuppressWarnings("unchecked")
            Map<String, Long> attrs = (Map<String, Long>) decode(
                    "{\"order_id\": \"a\", \"attrs\": {\"z\": 1, \"a\": null, \"m\": 3.0}}").value("attrs");

            assertThat(attrs).containsExactlyEntriesOf(expected);
            assertThatThrownBy(() -> attrs.put("x", 1L)).isInstanceOf(UnsupportedOperationException.class);
            assertThat(failure("{\"order_id\": \"a\", \"attrs\": {\"ok\": 1, \"color\": \"red\"}}"))
                    .returns(QuarantineReason.WRONG_TYPE, DecodeException::reason)
                    .returns("attrs", DecodeException::column)
                    .hasMessageContaining("'attrs'").hasMessageContaining("color").hasMessageContaining("red");
            assertThat(failure("{\"order_id\": \"a\", \"attrs\": [1, 2]}").reason())
                    .isEqualTo(QuarantineReason.WRONG_TYPE);
        }

        @Test
        void mapsOfStringsKeepNestedValuesAsJson() {
            JsonRowDecoder d = new JsonRowDecoder(Schema.builder().required("id", DataType.LONG)
                    .optional("tags", DataType.map(DataType.STRING)).build(), "id", 1024);

            Row row =
                    d.decode("{\"id\": 1, \"tags\": {\"k\": \"v\", \"n\": 2, \"o\": {\"p\": [true]}}}".getBytes(UTF_8));

            assertThat(row.value("tags")).isEqualTo(Map.of("k", "v", "n", "2", "o", "{\"p\":[true]}"));
        }
    }

    @Nested
    class ObjectShape {

        @Test
        void unknownFieldsAreIgnoredWhateverTheirShape() {
            Row row = decode("""
                    {"extra": {"deep": [{"x": [[]]}, "}"]}, "order_id": "o-1", "n": null,
                     "arr": [1, {"status": "not me"}], "status": "PAID"}
                    """);

            assertThat(row.string("order_id")).isEqualTo("o-1");
            assertThat(row.string("status")).isEqualTo("PAID");
        }

        @Test
        void theLastOfDuplicateFieldsWins() {
            assertThat(decode("{\"order_id\": \"a\", \"status\": \"NEW\", \"status\": \"PAID\"}").string("status"))
                    .isEqualTo("PAID");
            assertThat(failure("{\"order_id\": \"a\", \"order_id\": null}").reason())
                    .isEqualTo(QuarantineReason.MISSING_KEY);
        }

        @Test
        void validMultiByteTextSurvives() {
            String text = "caf\u00e9 \u20ac \ud83d\ude00 \u4e2d\u6587 " + "ascii-run-longer-than-eight " + "\u00e9";
            for (int pad = 0; pad < 9; pad++) {
                String json = "{\"order_id\": \"" + "x".repeat(pad) + "\", \"status\": \"" + text + "\"}";
                assertThat(decode(json).string("status")).isEqualTo(text);
            }
        }

        @Test
        void aUtf8ByteOrderMarkIsSkipped() {
            byte[] json = "{\"order_id\": \"a\", \"payload\": [ 1 ]}".getBytes(UTF_8);
            byte[] withBom = new byte[json.length + 3];
            withBom[0] = (byte) 0xEF;
            withBom[1] = (byte) 0xBB;
            withBom[2] = (byte) 0xBF;
            System.arraycopy(json, 0, withBom, 3, json.length);

            assertThat(decoder.decode(withBom).string("order_id")).isEqualTo("a");
            assertThat(decoder.decode(withBom).string("payload")).isEqualTo("[1]");
        }
    }

    @Nested
    class Reasons {

        @Test
        void malformedJson() {
            for (String bad : new String[] {"{\"order_id\": \"a\"", "{\"order_id\": 'a'}", "{order_id: \"a\"}",
                    "{\"order_id\": \"a\",}", "{\"order_id\": \"a\"} {\"order_id\": \"b\"}", "{\"order_id\": \"a\"} x",
                    "", "   ", "{\"order_id\": \"a\", \"qty\": 01}", "{\"order_id\": \"a\\x\"}",
                    "{\"order_id\": \"a\", \"weight\": NaN}", "{\"zz\": \"a\tb\", \"order_id\": \"a\"}"}) {
                DecodeException e = failure(bad);
                assertThat(e).as(bad).isNotNull();
                assertThat(e.reason()).as(bad).isEqualTo(QuarantineReason.MALFORMED_JSON);
                assertThat(e.getMessage()).as(bad).doesNotContain("\n");
            }
            assertThat(failure("{\"order_id\": \"a\" \"status\": \"b\"}"))
                    .hasMessageContaining("malformed JSON at byte offset 17");
        }

        @Test
        void notAnObject() {
            assertThat(failure("[{\"order_id\": \"a\"}]"))
                    .returns(QuarantineReason.NOT_AN_OBJECT, DecodeException::reason)
                    .returns(null, DecodeException::column)
                    .hasMessageContaining("found an array");
            assertThat(failure("\"o-1\"")).returns(QuarantineReason.NOT_AN_OBJECT, DecodeException::reason)
                    .hasMessageContaining("string \"o-1\"");
            assertThat(failure("42").reason()).isEqualTo(QuarantineReason.NOT_AN_OBJECT);
            assertThat(failure("null").reason()).isEqualTo(QuarantineReason.NOT_AN_OBJECT);
            assertThat(failure((byte[]) null).reason()).isEqualTo(QuarantineReason.NOT_AN_OBJECT);
        }

        @Test
        void wrongType() {
            DecodeException e = failure("{\"order_id\": \"a\", \"qty\": \"abc\"}");

            assertThat(e).isInstanceOf(SchemaMismatchException.class);
            assertThat(e.reason()).isEqualTo(QuarantineReason.WRONG_TYPE);
            assertThat(e.column()).isEqualTo("qty");
            assertThat(e).hasMessage("column 'qty' expects integer, found string \"abc\"");
            assertThat(failure("{\"order_id\": \"a\", \"qty\": {\"n\": 1}}"))
                    .hasMessage("column 'qty' expects integer, found an object");
        }

        @Test
        void missingKeyEvenWhenTheKeyColumnIsNullable() {
            JsonRowDecoder nullableKey = new JsonRowDecoder(
                    Schema.builder().optional("id", DataType.STRING).optional("v", DataType.INT).build(), "id", 1024);

            DecodeException missing = catchThrowableOfType(DecodeException.class,
                    () -> nullableKey.decode("{\"v\": 1}".getBytes(UTF_8)));
            DecodeException isNull = catchThrowableOfType(DecodeException.class,
                    () -> nullableKey.decode("{\"id\": null, \"v\": 1}".getBytes(UTF_8)));

            assertThat(missing).returns(QuarantineReason.MISSING_KEY, DecodeException::reason)
                    .returns("id", DecodeException::column).hasMessageContaining("'id' is missing");
            assertThat(isNull).returns(QuarantineReason.MISSING_KEY, DecodeException::reason)
                    .hasMessageContaining("'id' is null");
            // the key is checked before other required columns
            assertThat(failure("{\"status\": \"PAID\"}").reason()).isEqualTo(QuarantineReason.MISSING_KEY);
        }

        @Test
        void nullInARequiredColumn() {
            JsonRowDecoder strict = new JsonRowDecoder(Schema.builder().required("id", DataType.STRING)
                    .required("amount", DataType.decimal(10, 2)).build(), "id", 1024);

            DecodeException missing = catchThrowableOfType(DecodeException.class,
                    () -> strict.decode("{\"id\": \"a\"}".getBytes(UTF_8)));
            DecodeException isNull = catchThrowableOfType(DecodeException.class,
                    () -> strict.decode("{\"id\": \"a\", \"amount\": null}".getBytes(UTF_8)));

            assertThat(missing).returns(QuarantineReason.NULL_REQUIRED, DecodeException::reason)
                    .returns("amount", DecodeException::column)
                    .hasMessageContaining("'amount'").hasMessageContaining("decimal(10,2)")
                    .hasMessageContaining("missing");
            assertThat(isNull).returns(QuarantineReason.NULL_REQUIRED, DecodeException::reason)
                    .hasMessageContaining("is null");
        }

        @Test
        void notUtf8() {
            assertNotUtf8(bytes("{\"order_id\": \"", 0xC3, 0x28, "\"}"), 14, "0xC3 0x28");
            assertNotUtf8(bytes("{\"order_id\": \"", 0xC0, 0xAF, "\"}"), 14, "overlong");
            assertNotUtf8(bytes("{\"order_id\": \"", 0xE0, 0x80, 0xAF, "\"}"), 14, "overlong");
            assertNotUtf8(bytes("{\"order_id\": \"", 0xF0, 0x80, 0x80, 0xAF, "\"}"), 14, "overlong");
            assertNotUtf8(bytes("{\"order_id\": \"", 0xED, 0xA0, 0x80, "\"}"), 14, "surrogate");
            assertNotUtf8(bytes("{\"order_id\": \"", 0xF4, 0x90, 0x80, 0x80, "\"}"), 14, "U+10FFFF");
            assertNotUtf8(bytes("{\"order_id\": \"a\"}  ", 0xF0, 0x9F, 0x98), 19, "truncated");
            assertNotUtf8(bytes("{\"order_id\": \"", 0x80, "\"}"), 14, "continuation");
            assertNotUtf8(bytes("{\"order_id\": \"", 0xFF, "\"}"), 14, "0xFF");
            // an unknown field is no excuse: the whole value must be UTF-8
            assertNotUtf8(bytes("{\"order_id\": \"a\", \"other\": \"", 0xED, 0xBF, 0xBF, "\"}"), 28, "surrogate");
            assertNotUtf8("{\"order_id\": \"a\"}".getBytes(java.nio.charset.StandardCharsets.UTF_16BE), 0, "UTF-16");
        }

        private void assertNotUtf8(byte[] value, int offset, String detail) {
            assertThat(failure(value))
                    .returns(QuarantineReason.NOT_UTF8, DecodeException::reason)
                    .hasMessageContaining("byte offset " + offset + ":")
                    .hasMessageContaining(detail);
        }

        @Test
        void tooLargeIsCheckedBeforeAnythingElse() {
            JsonRowDecoder small = new JsonRowDecoder(ORDERS, "order_id", 32);
            byte[] fits = "{\"order_id\": \"0123456789abcdef\"}".getBytes(UTF_8);
            byte[] tooLarge = "{\"order_id\": \"0123456789abcdefg\"}".getBytes(UTF_8);
            byte[] tooLargeAndBroken = bytes("{\"order_id\": \"0123456789abcdefg", 0xC0, 0xAF);
            assertThat(fits).hasSize(32);

            assertThat(small.decode(fits).string("order_id")).isEqualTo("0123456789abcdef");
            assertThat(catchThrowableOfType(DecodeException.class, () -> small.decode(tooLarge)))
                    .returns(QuarantineReason.TOO_LARGE, DecodeException::reason)
                    .hasMessageContaining("33 bytes").hasMessageContaining("32");
            assertThat(catchThrowableOfType(DecodeException.class, () -> small.decode(tooLargeAndBroken)).reason())
                    .isEqualTo(QuarantineReason.TOO_LARGE);
        }

        private static byte[] bytes(Object... parts) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (Object part : parts) {
                if (part instanceof String s) {
                    out.writeBytes(s.getBytes(UTF_8));
                } else {
                    out.write((Integer) part);
                }
            }
            return out.toByteArray();
        }
    }

    @Nested
    class Messages {

        private final JsonRowDecoder roomy = new JsonRowDecoder(ORDERS, "order_id", 1 << 20);
        private final String longText = longText();

        private static String longText() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; sb.length() < 5_000; i++) {
                sb.append("secret-").append(i).append(' ');
            }
            return sb.toString();
        }

        private DecodeException fail(String json) {
            DecodeException e = catchThrowableOfType(DecodeException.class, () -> roomy.decode(json.getBytes(UTF_8)));
            assertThat(e).as(json.length() > 80 ? json.substring(0, 80) : json).isNotNull();
            assertNoLongExcerpt(e.getMessage(), json);
            return e;
        }

        @Test
        void quoteAtMost64CharactersOfThePayload() {
            assertThat(fail("{\"order_id\": \"a\", \"qty\": \"" + longText + "\"}"))
                    .hasMessageContaining("'qty'").hasMessageContaining("secret-0").hasMessageContaining("chars)");
            fail("{\"order_id\": \"a\", \"updated_at\": \"" + longText + "\"}");
            fail("{\"order_id\": \"a\", \"ship_date\": \"" + longText + "\"}");
            fail("{\"order_id\": \"a\", \"amount\": \"" + longText + "\"}");
            fail("{\"order_id\": \"a\", \"signature\": \"" + longText + "\"}");
            fail("{\"order_id\": \"a\", \"amount\": 1" + "2".repeat(900) + "}");
            fail("{\"order_id\": \"a\", \"attrs\": {\"" + longText + "\": \"x\"}}");
            fail("[\"" + longText + "\"]");
            fail("\"" + longText + "\"");
            fail("{\"order_id\": \"a\", \"status\": " + longText.replace(' ', '_') + "}");
            fail("{\"order_id\": \"a\", \"status\": \"" + longText + "}");
            fail("{\"order_id\": \"a\", \"" + longText + "\" \"x\"}");
            fail("{\"order_id\": \"a\", \"status\": \"" + longText + "\"} trailing " + longText);
        }

        @Test
        void escapeControlCharactersSoPayloadsCannotForgeLogLines() {
            DecodeException e = fail("{\"order_id\": \"a\", \"qty\": \"1\\nERROR fake log line\"}");

            assertThat(e.getMessage()).doesNotContain("\n").contains("\\u000a");
        }
    }

    @Test
    void validatesUtf8ExactlyLikeTheJdkDecoder() {
        Random random = new Random(7);
        byte[] interesting = {0x00, 0x41, 0x7F, (byte) 0x80, (byte) 0x8F, (byte) 0x90, (byte) 0x9F, (byte) 0xA0,
                (byte) 0xBF, (byte) 0xC0, (byte) 0xC1, (byte) 0xC2, (byte) 0xDF, (byte) 0xE0, (byte) 0xE1,
                (byte) 0xEC, (byte) 0xED, (byte) 0xEE, (byte) 0xEF, (byte) 0xF0, (byte) 0xF1, (byte) 0xF3,
                (byte) 0xF4, (byte) 0xF5, (byte) 0xFF};
        int valid = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[4 + random.nextInt(14)];
            for (int k = 0; k < b.length; k++) {
                b[k] = k < 4 ? 0x20 : interesting[random.nextInt(interesting.length)];
            }
            boolean jdk = jdkAcceptsUtf8(b);
            boolean ours;
            try {
                JsonRowDecoder.validateUtf8(b);
                ours = true;
            } catch (DecodeException e) {
                assertThat(e.reason()).isEqualTo(QuarantineReason.NOT_UTF8);
                ours = false;
            }
            assertThat(ours).as(java.util.HexFormat.of().formatHex(b)).isEqualTo(jdk);
            valid += ours ? 1 : 0;
        }
        assertThat(valid).isGreaterThan(1_000);
    }

    private static boolean jdkAcceptsUtf8(byte[] b) {
        try {
            UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void refusesAKeyColumnOutsideTheSchema() {
        assertThatThrownBy(() -> new JsonRowDecoder(ORDERS, "id", 1024))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'id'");
        assertThatThrownBy(() -> new JsonRowDecoder(ORDERS, "order_id", 0)).isInstanceOf(ConfigurationException.class);
    }

    /** Not a benchmark: only checks that a realistic volume decodes correctly with one shared decoder. */
    @Test
    void decodesManySmallOrderRecords() {
        JsonRowDecoder orders = new JsonRowDecoder(ORDERS, "order_id", 4096);
        long qtySum = 0;
        BigDecimal total = BigDecimal.ZERO;
        for (int i = 0; i < 200_000; i++) {
            String json = "{\"order_id\":\"o-" + i + "\",\"status\":\"PAID\",\"qty\":" + (i % 7)
                    + ",\"amount\":\"" + (i % 100) + ".25\",\"updated_at\":\"2026-01-02T03:04:05."
                    + (100_000 + i % 900_000)
                    + "Z\",\"customer\":{\"id\":" + i + ",\"tier\":\"gold\"},\"gift\":" + (i % 2 == 0) + "}";
            Row row = orders.decode(json.getBytes(UTF_8));
            qtySum += row.intValue("qty");
            total = total.add((BigDecimal) row.value("amount"));
            assertThat(row.string("order_id")).isEqualTo("o-" + i);
        }
        assertThat(qtySum).isEqualTo(599_994L);
        assertThat(total).isEqualTo(new BigDecimal("9950000.00"));
    }
}
