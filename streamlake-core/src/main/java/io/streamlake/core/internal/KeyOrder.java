package io.streamlake.core.internal;

import java.util.Comparator;

/**
 * The order of silver keys. It must match the order in which the table's min/max statistics are
 * computed, or pruning would skip a file that holds a key: both use the values' natural order.
 */
final class KeyOrder {
    @SuppressWarnings({"unchecked", "rawtypes"})
    static final Comparator<Object> NATURAL = (a, b) -> ((Comparable) a).compareTo(b);

    private KeyOrder() {
    }
}
