package io.streamlake.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.merge.CdcStrategy;
import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.Scd1Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The truncate watermark's text form and order; the engine paths are in the testkit's TruncateTest. */
class TruncationTest {

    @Test
    void theWatermarkReadsBackExactlyForEveryOrderableType() {
        Map<DataType, List<Object>> values = Map.of(
                DataType.STRING, List.of("", "2026-01-01T00:00:00Z", "a\ud83d\ude00b", " spaced "),
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
                Object back = Truncation.parse(Truncation.format(v), type);
                assertThat(CdcStrategy.compareSequence(back, v)).as("%s %s", type, v).isZero();
                assertThat(back).as("%s %s", type, v).isInstanceOf(Row.javaClass(type));
            }
        });
        assertThat(Truncation.format(new BigDecimal("1E+3"))).isEqualTo("1000");
    }

    @Test
    void valuesCompareAsLatestByDecides() {
        Schema schema = Schema.builder().required("id", DataType.STRING).optional("seq", DataType.STRING).build();
        Scd1Strategy latest = MergeStrategies.latestBy("seq");
        // strings by UTF-16 unit, as String.compareTo: U+FFFD sorts after a surrogate pair here,
        // though before it in code point (and file statistics) order
        List<String> sequences = List.of("a", "b", "a\ufffd", "a\ud83d\ude00", "ab");
        for (String older : sequences) {
            for (String newer : sequences) {
                if (newer.equals(older)) {
                    continue; // ties are the strategy's own rule, not an order
                }
                boolean replaces = latest.merge(Row.of(schema, "k", older), Row.of(schema, "k", newer)).kind()
                        == MergeDecision.Kind.UPSERT;
                assertThat(CdcStrategy.compareSequence(newer, older) > 0).as("%s over %s", newer, older).isEqualTo(replaces);
            }
        }
        assertThat(CdcStrategy.compareSequence(null, "a")).isNegative();
        assertThat(CdcStrategy.compareSequence(null, null)).isZero();
        assertThat(CdcStrategy.compareSequence(3, 4L)).isNegative();   // a column widened from INT to LONG
        assertThat(CdcStrategy.compareSequence(5L, 4)).isPositive();
        assertThat(CdcStrategy.compareSequence(-0.0, 0.0)).isNegative(); // as Double.compareTo
    }
}
