package io.streamlake.core.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmallMapTest {

    @Test
    void behavesAsAnImmutableMapInInsertionOrder() {
        String[] names = {"b", "a", "c"};
        Map<String, Integer> m = SmallMap.of(names, new Integer[] {2, 1, null}, 3);
        assertThat(m).isInstanceOf(SmallMap.class).hasSize(3).containsEntry("a", 1).containsEntry("b", 2)
                .containsKey("c");
        assertThat(m.get("c")).isNull();
        assertThat(m.get("zz")).isNull();
        assertThat(m.get(null)).isNull();
        assertThat(m.keySet()).containsExactly("b", "a", "c");
        Map<String, Integer> expected = new HashMap<>();
        expected.put("a", 1);
        expected.put("b", 2);
        expected.put("c", null);
        assertThat(m).isEqualTo(expected);
        assertThat(m.hashCode()).isEqualTo(expected.hashCode());
        assertThatThrownBy(() -> m.put("d", 4)).isInstanceOf(UnsupportedOperationException.class);
        SmallMap<Integer> small = (SmallMap<Integer>) m;
        assertThat(small.name(1)).isEqualTo("a");
        assertThat(small.valueAt(0)).isEqualTo(2);
        assertThatThrownBy(() -> small.name(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void sharesAnExactNameArrayButCopiesValues() {
        String[] names = {"x", "y"};
        Integer[] values = {1, 2};
        Map<String, Integer> m = SmallMap.of(names, values, 2);
        values[0] = 99;
        assertThat(m).containsEntry("x", 1);
        assertThat(SmallMap.of(new String[] {"x", "y", "z"}, new Integer[] {1, 2, 3}, 2)).containsOnlyKeys("x", "y");
    }

    @Test
    void aRepeatedNameKeepsItsLastValueAndNullNamesAreRefused() {
        assertThat(SmallMap.of(new String[] {"a", "b", "a"}, new String[] {"1", "2", "3"}, 3))
                .isEqualTo(Map.of("a", "3", "b", "2")).hasSize(2);
        assertThat(SmallMap.of(new String[0], new String[0], 0)).isEmpty();
        assertThatThrownBy(() -> SmallMap.of(new String[] {"a", null}, new String[] {"1", "2"}, 2))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void largeMapsFallBackToAHashMapCopy() {
        int n = SmallMap.MAX_SIZE + 1;
        String[] names = new String[n];
        Integer[] values = new Integer[n];
        for (int i = 0; i < n; i++) {
            names[i] = "k" + i;
            values[i] = i;
        }
        Map<String, Integer> m = SmallMap.of(names, values, n);
        assertThat(m).isNotInstanceOf(SmallMap.class).hasSize(n).containsEntry("k7", 7);
        assertThatThrownBy(() -> m.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    }
}
