package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyGroupsTest {
    private static final Schema SCHEMA =
            Schema.builder().required("k", DataType.STRING).required("n", DataType.INT).build();
    private static final SilverKey KEY = SilverKey.of(SCHEMA, List.of("k"));

    private static List<Integer> positions(KeyGroups g, Object key) {
        List<Integer> out = new ArrayList<>();
        for (int pos = g.first(key); pos >= 0; pos = g.next(pos)) {
            out.add(pos);
        }
        return out;
    }

    @Test
    void keysInFirstArrivalOrderAndEachKeysRowsInArrivalOrderEvenWhenHashesCollide() {
        // "Aa" and "BB" share a hashCode, so one probes past the other
        List<Row> rows = List.of(Row.of(SCHEMA, "Aa", 0), Row.of(SCHEMA, "BB", 1), Row.of(SCHEMA, "Aa", 2),
                Row.of(SCHEMA, "c", 3), Row.of(SCHEMA, "BB", 4), Row.of(SCHEMA, "Aa", 5));
        KeyGroups g = KeyGroups.of(rows, KEY);
        assertThat(g.size()).isEqualTo(3);
        assertThat(g.keys()).containsExactly("Aa", "BB", "c");
        assertThat(positions(g, "Aa")).containsExactly(0, 2, 5);
        assertThat(positions(g, "BB")).containsExactly(1, 4);
        assertThat(positions(g, "c")).containsExactly(3);
        assertThat(g.contains("d")).isFalse();
        assertThat(g.first("d")).isEqualTo(-1);
        assertThat(KeyGroups.of(List.of(), KEY).keys()).isEmpty();
    }

    @Test
    void agreesWithAMapOverManyRandomKeys() {
        Random random = new Random(7);
        List<Row> rows = new ArrayList<>();
        Map<String, List<Integer>> expected = new LinkedHashMap<>();
        for (int i = 0; i < 50_000; i++) {
            String key = "k" + random.nextInt(20_000);
            rows.add(Row.of(SCHEMA, key, i));
            expected.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
        }
        KeyGroups g = KeyGroups.of(rows, KEY);
        assertThat(g.keys()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((key, pos) -> assertThat(positions(g, key)).isEqualTo(pos));
    }

    @Test
    void aKeyOfTwoColumnsGroupsByBothValues() {
        SilverKey both = SilverKey.of(SCHEMA, List.of("k", "n"));
        List<Row> rows = List.of(Row.of(SCHEMA, "a", 1), Row.of(SCHEMA, "a", 2), Row.of(SCHEMA, "a", 1),
                Row.of(SCHEMA, "b", 1));
        KeyGroups g = KeyGroups.of(rows, both);
        assertThat(g.keys()).containsExactly(both.of("a", 1), both.of("a", 2), both.of("b", 1));
        assertThat(positions(g, both.of("a", 1))).containsExactly(0, 2);
        assertThat(g.contains(both.of("b", 2))).isFalse();
    }
}
