package io.streamlake.core.silver;

import io.streamlake.schema.ValueOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The key of a row whose silver key has several columns (Delta Live Tables' {@code KEYS (a, b)}):
 * their values, compared column by column, most significant first, each the way
 * {@link ValueOrder#NATURAL} compares one column's values. Silver files are sorted in this order, so
 * the merge joins them with the sorted batch keys as it does for a one-column key. Immutable.
 */
final class CompositeKey implements Comparable<CompositeKey> {
    private final Object[] values;
    private final int hash;

    /** @param values the key columns' values, none null; the array is kept, not copied */
    CompositeKey(Object[] values) {
        this.values = values;
        this.hash = Arrays.hashCode(values);
    }

    /** @return the value of the key's column {@code i} */
    Object value(int i) {
        return values[i];
    }

    /** @return the values, most significant first */
    List<Object> values() {
        return List.of(values);
    }

    @Override
    public int compareTo(CompositeKey other) {
        for (int i = 0; i < values.length; i++) {
            int c = ValueOrder.NATURAL.compare(values[i], other.values[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompositeKey k && hash == k.hash && Arrays.equals(values, k.values);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** @return the values as a list, such as {@code [t-1, o-7]}, as messages name the key */
    @Override
    public String toString() {
        return Arrays.toString(values);
    }
}
