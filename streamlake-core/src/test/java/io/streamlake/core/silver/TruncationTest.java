package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.merge.CdcStrategy;
import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.Scd1Strategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The truncate watermark's order; its text form is CompositeSequence's (CompositeSequenceTest), the
 * engine paths are in the testkit's TruncateTest.
 */
class TruncationTest {

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
                boolean replaces = latest.merge(Row.of(schema, "k", older), Row.of(schema, "k", newer))
                        .kind() == MergeDecision.Kind.UPSERT;
                assertThat(CdcStrategy.compareSequence(newer, older) > 0).as("%s over %s", newer, older)
                        .isEqualTo(replaces);
            }
        }
        assertThat(CdcStrategy.compareSequence(null, "a")).isNegative();
        assertThat(CdcStrategy.compareSequence(null, null)).isZero();
        assertThat(CdcStrategy.compareSequence(3, 4L)).isNegative(); // a column widened from INT to LONG
        assertThat(CdcStrategy.compareSequence(5L, 4)).isPositive();
        assertThat(CdcStrategy.compareSequence(-0.0, 0.0)).isNegative(); // as Double.compareTo
    }
}
