package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SilverKeyTest {
    private static final Schema SCHEMA = Schema.builder().required("tenant", DataType.STRING)
            .required("id", DataType.LONG).optional("note", DataType.STRING).build();
    private static final SilverKey ONE = SilverKey.of(SCHEMA, List.of("id"));
    private static final SilverKey TWO = SilverKey.of(SCHEMA, List.of("tenant", "id"));

    @Test
    void aOneColumnKeyIsTheValueItselfAndSeveralColumnsAreComparedInOrder() {
        Row row = Row.of(SCHEMA, "t-1", 7L, "x");
        assertThat(ONE.of(row)).isEqualTo(7L);
        assertThat(TWO.of(row)).isEqualTo(TWO.of("t-1", 7L)).hasSameHashCodeAs(TWO.of("t-1", 7L));
        assertThat(TWO.of(row)).hasToString("[t-1, 7]");
        assertThat(((CompositeKey) TWO.of(row)).values()).containsExactly("t-1", 7L);
        // the first column decides before the second; strings by code point, as statistics order them
        assertThat(ValueOrder.NATURAL.compare(TWO.of("a", 9L), TWO.of("b", 1L))).isNegative();
        assertThat(ValueOrder.NATURAL.compare(TWO.of("a", 2L), TWO.of("a", 10L))).isNegative();
        assertThat(ValueOrder.NATURAL.compare(TWO.of("\uFFFF", 1L), TWO.of("\uD800\uDC00", 1L))).isNegative();
        Schema loose = Schema.builder().optional("tenant", DataType.STRING).optional("id", DataType.LONG).build();
        assertThat(TWO.in(loose).of(Row.of(loose, "t-1", null))).isNull(); // a tombstone's row may lack a column
        assertThat(TWO.compare(row, Row.of(SCHEMA, "t-1", 8L, null))).isNegative();
        Row.Builder b = TWO.set(Row.builder(SCHEMA), TWO.of("t-2", 3L));
        assertThat(b.build().toMap()).containsEntry("tenant", "t-2").containsEntry("id", 3L);
        assertThat(TWO).hasToString("(tenant, id)");
        assertThat(TWO.contains(SCHEMA.indexOf("id"))).isTrue();
        assertThat(TWO.contains(SCHEMA.indexOf("note"))).isFalse();
        assertThatThrownBy(() -> SilverKey.of(SCHEMA, List.of("tenant", "nope")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'nope'");
    }

    /**
     * File pruning and file order rest on this: the per-column minimums (maximums) of any set of
     * keys, taken together, are at or below (above) every key of the set.
     */
    @Test
    void perColumnStatisticsBoundEveryKeyOfAFile() {
        Random random = new Random(11);
        for (int file = 0; file < 2_000; file++) {
            List<Object> keys = new ArrayList<>();
            Map<String, Object> min = new HashMap<>();
            Map<String, Object> max = new HashMap<>();
            int rows = 1 + random.nextInt(20);
            for (int r = 0; r < rows; r++) {
                String tenant = "t" + random.nextInt(4);
                long id = random.nextInt(50) - 25;
                keys.add(TWO.of(tenant, id));
                min.merge("tenant", tenant, (a, b) -> ValueOrder.NATURAL.compare(a, b) <= 0 ? a : b);
                max.merge("tenant", tenant, (a, b) -> ValueOrder.NATURAL.compare(a, b) >= 0 ? a : b);
                min.merge("id", id, (a, b) -> ValueOrder.NATURAL.compare(a, b) <= 0 ? a : b);
                max.merge("id", id, (a, b) -> ValueOrder.NATURAL.compare(a, b) >= 0 ? a : b);
            }
            Object low = TWO.bound(min);
            Object high = TWO.bound(max);
            for (Object k : keys) {
                assertThat(ValueOrder.NATURAL.compare(low, k)).isLessThanOrEqualTo(0);
                assertThat(ValueOrder.NATURAL.compare(high, k)).isGreaterThanOrEqualTo(0);
            }
        }
        assertThat(TWO.bound(Map.of("tenant", "t"))).isNull(); // a missing column's statistics: unbounded
        assertThat(ONE.bound(Map.of("id", 3L))).isEqualTo(3L);
    }
}
