package io.streamlake.core.internal;

import io.streamlake.merge.CdcStrategy;
import java.util.Comparator;

/**
 * The one order of keys and statistics bounds. The merge planner prunes files by comparing keys
 * with their min/max statistics, so keys and bounds must be compared the same way, and the way
 * Spark and Delta Kernel compare them: strings by their UTF-8 bytes (code point order), which
 * differs from {@link String#compareTo} for characters beyond U+FFFF; other values naturally.
 * Internal, not API.
 */
public final class KeyOrder {
    /** Compares two values of one column type. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static final Comparator<Object> NATURAL = (a, b) -> a instanceof String x && b instanceof String y
            ? compareUtf8(x, y)
            : ((Comparable) a).compareTo(b);

    private KeyOrder() {
    }

    /**
     * @param a a string
     * @param b another string
     * @return their order as UTF-8 bytes
     */
    public static int compareUtf8(String a, String b) {
        return CdcStrategy.compareCodePoints(a, b); // one order for keys, statistics and sequence values
    }
}
