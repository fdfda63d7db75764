package io.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A sequence value over several columns: its order, its NULL rule, and its text form. */
class CompositeSequenceTest {
    /** Every type a sequence column may have. */
    private static final List<DataType> TYPES = List.of(DataType.STRING, DataType.INT, DataType.LONG, DataType.DOUBLE,
            DataType.decimal(18, 4), DataType.decimal(5, 0), DataType.TIMESTAMP, DataType.DATE);

    @Test
    void theFirstComponentDecidesAndTheNextOnlyWhereItTies() {
        CompositeSequence a1 = CompositeSequence.of(1L, "a");
        CompositeSequence a2 = CompositeSequence.of(1L, "b");
        CompositeSequence b1 = CompositeSequence.of(2L, "a");
        assertThat(a1.compareTo(a2)).isNegative(); // first ties, second decides
        assertThat(a2.compareTo(b1)).isNegative(); // first decides, whatever the second
        assertThat(b1.compareTo(a2)).isPositive();
        assertThat(a1.compareTo(CompositeSequence.of(1L, "a"))).isZero();
        assertThat(CdcStrategy.compareSequence(a1, a2)).isNegative();
        assertThat(CdcStrategy.compareSequence(null, a1)).isNegative(); // no value is older than any
    }

    @Test
    void eachComponentComparesByTheOneColumnRules() {
        // strings by code point: U+FFFD before U+1F600, unlike String.compareTo
        assertThat(CompositeSequence.of(1, "\ufffd").compareTo(CompositeSequence.of(1, "\ud83d\ude00"))).isNegative();
        assertThat("\ufffd".compareTo("\ud83d\ude00")).isPositive();
        // an INT component and a LONG one (a column widened from INT to LONG) by value
        assertThat(CompositeSequence.of(3, "a").compareTo(CompositeSequence.of(3L, "b"))).isNegative();
        assertThat(CompositeSequence.of(4L, "a").compareTo(CompositeSequence.of(3, "b"))).isPositive();
        // mixed types: a timestamp then a decimal then a date
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(CompositeSequence.of(t, new BigDecimal("1.50"), LocalDate.of(2026, 1, 2))
                .compareTo(CompositeSequence.of(t, new BigDecimal("1.50"), LocalDate.of(2026, 1, 1)))).isPositive();
    }

    @Test
    void aNullComponentLeavesTheEventWithoutASequenceValue() {
        Schema schema = Schema.builder().required("id", DataType.STRING).optional("ts", DataType.LONG)
                .optional("n", DataType.STRING).build();
        Scd1Strategy s = MergeStrategies.latestBy("ts", "n");
        assertThat(s.sequenceColumns()).containsExactly("ts", "n");
        assertThat(s.sequenceOf(Row.of(schema, "k", 5L, "b"))).isEqualTo(CompositeSequence.of(5L, "b"));
        assertThat(s.sequenceOf(Row.of(schema, "k", 5L, null))).isNull();
        assertThat(s.sequenceOf(Row.of(schema, "k", null, "b"))).isNull();
        // one column keeps today's representation: the value itself
        assertThat(MergeStrategies.latestBy("ts").sequenceOf(Row.of(schema, "k", 5L, "b"))).isEqualTo(5L);
        assertThatThrownBy(() -> CompositeSequence.of(5L, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> CompositeSequence.of(5L)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least two");
    }

    @Test
    void theTextIsAJsonArrayOfTheComponents() {
        assertThat(CompositeSequence.of(1_733_212_800_000_000L, "b").toString()).isEqualTo("[1733212800000000,\"b\"]");
        assertThat(CompositeSequence.encode(CompositeSequence.of(Instant.parse("2026-01-01T10:00:00Z"),
                new BigDecimal("1E+3"), LocalDate.of(2026, 2, 28), Double.NaN, -0.0, "q\"\\\n\ud800")))
                .isEqualTo("[\"2026-01-01T10:00:00Z\",1000,\"2026-02-28\",\"NaN\",-0.0,\"q\\\"\\\\\\u000a\\ud800\"]");
        // one column's value is its plain text, as the truncate watermark always was
        assertThat(CompositeSequence.encode(new BigDecimal("1E+3"))).isEqualTo("1000");
        assertThat(CompositeSequence.decode("1000", List.of(DataType.decimal(5, 0)))).isEqualTo(new BigDecimal("1000"));
        // written by hand, with spaces
        assertThat(CompositeSequence.decode(" [ 7 , \"x\" ] ", List.of(DataType.INT, DataType.STRING)))
                .isEqualTo(CompositeSequence.of(7, "x"));
    }

    @Test
    void aTextOfOtherTypesIsRefusedSayingWhy() {
        List<DataType> types = List.of(DataType.LONG, DataType.STRING);
        assertThatThrownBy(() -> CompositeSequence.decode("[\"1\",\"b\"]", types))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("should be a number");
        assertThatThrownBy(() -> CompositeSequence.decode("[1,\"b\",3]", types))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected ']'");
        assertThatThrownBy(() -> CompositeSequence.decode("[1]", types))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected ','");
        assertThatThrownBy(() -> CompositeSequence.decode("abc", types))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected '['");
        assertThatThrownBy(() -> CompositeSequence.decode("[1,\"b", types))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> CompositeSequence.decode("[1.5,\"b\"]", types))
                .isInstanceOf(NumberFormatException.class);
    }

    @Test
    void storedValuesKeepOneColumnsTypeAndACompositesText() {
        List<DataType> one = List.of(DataType.TIMESTAMP);
        List<DataType> two = List.of(DataType.TIMESTAMP, DataType.LONG);
        assertThat(CompositeSequence.storedType(one)).isEqualTo(DataType.TIMESTAMP);
        assertThat(CompositeSequence.storedType(two)).isEqualTo(DataType.STRING);
        Instant t = Instant.parse("2026-01-01T00:00:00.123456Z");
        assertThat(CompositeSequence.toStored(t)).isSameAs(t);
        assertThat(CompositeSequence.fromStored(t, one)).isSameAs(t);
        Object stored = CompositeSequence.toStored(CompositeSequence.of(t, 3L));
        assertThat(stored).isEqualTo("[\"2026-01-01T00:00:00.123456Z\",3]");
        assertThat(CompositeSequence.fromStored(stored, two)).isEqualTo(CompositeSequence.of(t, 3L));
        assertThat(CompositeSequence.toStored(null)).isNull();
        assertThat(CompositeSequence.fromStored(null, two)).isNull();
        assertThat(CompositeSequence.component(CompositeSequence.of(t, 3L), 1)).isEqualTo(3L);
        assertThat(CompositeSequence.component(t, 0)).isSameAs(t);
    }

    /**
     * Property: random values of every supported type, in random combinations, read back equal and
     * of their type's class, and decoded values order exactly as the originals do lexicographically.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void randomValuesReadBackEqualAndInTheSameOrder(long seed) {
        Random random = new Random(seed);
        for (int round = 0; round < 40; round++) {
            List<DataType> types = new ArrayList<>();
            int width = 2 + random.nextInt(3);
            for (int i = 0; i < width; i++) {
                types.add(TYPES.get(random.nextInt(TYPES.size())));
            }
            List<CompositeSequence> values = new ArrayList<>();
            for (int v = 0; v < 12; v++) {
                List<Object> parts = new ArrayList<>();
                for (DataType t : types) {
                    parts.add(value(t, random));
                }
                values.add(CompositeSequence.of(parts));
            }
            List<CompositeSequence> decoded = new ArrayList<>();
            for (CompositeSequence v : values) {
                String text = CompositeSequence.encode(v);
                CompositeSequence back = (CompositeSequence) CompositeSequence.decode(text, types);
                assertThat(back).as("%s as %s", text, types).isEqualTo(v);
                assertThat(CompositeSequence.encode(back)).as("one text per value").isEqualTo(text);
                for (int i = 0; i < types.size(); i++) {
                    assertThat(back.components().get(i)).isInstanceOf(Row.javaClass(types.get(i)));
                }
                decoded.add(back);
            }
            for (int i = 0; i < values.size(); i++) {
                for (int j = 0; j < values.size(); j++) {
                    assertThat(Integer.signum(decoded.get(i).compareTo(decoded.get(j))))
                            .as("%s vs %s", values.get(i), values.get(j))
                            .isEqualTo(Integer.signum(lexicographic(values.get(i), values.get(j))));
                }
            }
        }
    }

    /** The order the values should have, component by component, written out apart from compareTo. */
    private static int lexicographic(CompositeSequence a, CompositeSequence b) {
        for (int i = 0; i < a.components().size(); i++) {
            int c = CdcStrategy.compareSequence(a.components().get(i), b.components().get(i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** A random value of the type, from a small range so that components often tie. */
    private static Object value(DataType type, Random random) {
        int small = random.nextInt(3);
        return switch (type.kind()) {
            case STRING -> List.of("", "a", "b\"\\", "\ud83d\ude00", "\ufffd", "x\ny", "\u0001")
                    .get(random.nextInt(7)).repeat(1 + small);
            case INT -> random.nextBoolean() ? small - 1 : random.nextInt();
            case LONG -> random.nextBoolean() ? (long) small - 1 : random.nextLong();
            case DOUBLE -> List.of(0.0, -0.0, 1.5, -1e300, Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY,
                    Double.NEGATIVE_INFINITY, random.nextDouble()).get(random.nextInt(9));
            case DECIMAL -> BigDecimal.valueOf(random.nextLong() % 100_000_000_000L, type.scale());
            case TIMESTAMP -> Instant.ofEpochSecond(random.nextInt(4) * 86_400L - 86_400L,
                    random.nextInt(3) * 1_000L);
            case DATE -> LocalDate.ofEpochDay(random.nextInt(5) - 2 + (random.nextBoolean() ? 0 : -800_000));
            case BOOLEAN, BINARY, MAP -> throw new IllegalArgumentException(type.toString());
        };
    }

    @Test
    void oneColumnValuesReadBackExactlyForEveryOrderableType() {
        // moved from TruncationTest: the truncate watermark of one column is this text
        Map<DataType, List<Object>> values = Map.of(
                DataType.STRING, List.of("", "2026-01-01T00:00:00Z", "a\ud83d\ude00b", " spaced ", "[1,\"a\"]"),
                DataType.INT, List.of(0, -7, Integer.MAX_VALUE),
                DataType.LONG, List.of(0L, Long.MIN_VALUE, 1_700_000_000_000L),
                DataType.DOUBLE, List.of(0.1, -0.0, 0.0, Double.NaN, Double.NEGATIVE_INFINITY, 1e300),
                DataType.decimal(18, 4), List.of(new BigDecimal("12.5000"), new BigDecimal("-0.0001"),
                        new BigDecimal("1E+3")),
                DataType.TIMESTAMP, List.of(Instant.parse("2026-01-01T00:00:00.123456Z"), Instant.EPOCH,
                        Instant.parse("1969-12-31T23:59:59.999999999Z")),
                DataType.DATE, List.of(LocalDate.of(2026, 2, 28), LocalDate.of(-5, 1, 1)));
        values.forEach((type, list) -> {
            for (Object v : list) {
                Object back = CompositeSequence.decode(CompositeSequence.encode(v), List.of(type));
                assertThat(CdcStrategy.compareSequence(back, v)).as("%s %s", type, v).isZero();
                assertThat(back).as("%s %s", type, v).isInstanceOf(Row.javaClass(type));
            }
        });
    }
}
