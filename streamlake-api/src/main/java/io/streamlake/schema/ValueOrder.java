package io.streamlake.schema;

import java.util.Comparator;

/**
 * The one order of column values, a contract every {@link io.streamlake.table.Table} and merge
 * relies on: silver files are sorted by key in it, and the merge prunes files by comparing keys
 * with the files' min/max statistics, so keys, bounds and sequence values are compared the same
 * way, and the way Spark and Delta Kernel compare them: strings by their UTF-8 bytes (code point
 * order), which differs from {@link String#compareTo} for characters beyond U+FFFF; other values
 * naturally.
 *
 * <pre>{@code
 * ValueOrder.NATURAL.compare("\uFFFF", "\uD83D\uDE00");   // negative: U+FFFF comes before U+1F600
 * }</pre>
 */
public final class ValueOrder {
    /** Compares two values of one column type. */
    @SuppressWarnings({"unchecked", "rawtypes"}) public static final Comparator<Object> NATURAL =
            (a, b) -> a instanceof String x && b instanceof String y
                    ? compareUtf8(x, y)
                    : ((Comparable) a).compareTo(b);

    private ValueOrder() {
    }

    /**
     * @param a a string
     * @param b another string
     * @return their order as UTF-8 bytes
     */
    public static int compareUtf8(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                boolean xs = Character.isSurrogate(x);
                boolean ys = Character.isSurrogate(y);
                if (xs == ys) {
                    return x - y;
                }
                // A surrogate encodes a code point above U+FFFF, so it sorts after any BMP character.
                return xs ? 1 : -1;
            }
        }
        return a.length() - b.length();
    }

}
