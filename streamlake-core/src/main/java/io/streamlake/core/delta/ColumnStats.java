package io.streamlake.core.delta;

import io.streamlake.schema.DataType;
import io.streamlake.schema.ValueOrder;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.PrimitiveComparator;
import org.jspecify.annotations.Nullable;

/**
 * Bounds of one column, kept in primitives so the hot path does not box: integers, dates,
 * timestamps (micros) and decimals (unscaled, one scale per column) all order as longs.
 */
final class ColumnStats {
    private final DataType type;
    long nulls;
    private long values;
    private long minLong = Long.MAX_VALUE;
    private long maxLong = Long.MIN_VALUE;
    private double minDouble = Double.POSITIVE_INFINITY;
    private double maxDouble = Double.NEGATIVE_INFINITY;
    private @Nullable String minString;
    private @Nullable String maxString;
    /** Bounds of strings counted as bytes ({@link #utf8}), beside those counted as strings. */
    private @Nullable Binary minUtf8;
    private @Nullable Binary maxUtf8;
    /** A NaN, or a string too long to bound, makes the bounds unknown. */
    private boolean unbounded;

    ColumnStats(DataType type) {
        this.type = type;
    }

    void integral(long v) {
        values++;
        if (v < minLong) {
            minLong = v;
        }
        if (v > maxLong) {
            maxLong = v;
        }
    }

    void floating(double v) {
        values++;
        if (Double.isNaN(v)) {
            unbounded = true;
            return;
        }
        if (v < minDouble) {
            minDouble = v;
        }
        if (v > maxDouble) {
            maxDouble = v;
        }
    }

    void string(String v) {
        values++;
        if (unbounded || (v == minString && v == maxString)) {
            return; // the same string again (a bronze file's stream name): nothing to compare
        }
        if (v.length() > RowWriteSupport.MAX_STRING_BOUND_LENGTH) {
            unbounded = true;
            minString = null;
            maxString = null;
            return;
        }
        if (minString == null || ValueOrder.compareUtf8(v, minString) < 0) {
            minString = v;
        }
        if (maxString == null || ValueOrder.compareUtf8(v, maxString) > 0) {
            maxString = v;
        }
    }

    /**
     * Counts a string as its UTF-8 bytes, as a copied row holds it: compared as bytes (UTF-8's byte
     * order is its code points', the order {@link #string} compares in) and turned into a string only
     * when it becomes a bound.
     */
    void utf8(Binary v) {
        if (unbounded) {
            values++;
            return;
        }
        if (v.length() > RowWriteSupport.MAX_STRING_BOUND_LENGTH) {
            // more bytes than the bound's characters, maybe not more characters: as a string decides
            string(v.toStringUsingUTF8());
            return;
        }
        values++;
        // copy() keeps a value whose bytes do not change (a page's, a dictionary's) as it is: a key
        // column, sorted, has a new maximum at every row, which must not cost a copy each (a bound
        // holds on to its page until a new one replaces it: one page a bound)
        if (minUtf8 == null || UTF8_ORDER.compare(v, minUtf8) < 0) {
            minUtf8 = v.copy();
        }
        if (maxUtf8 == null || UTF8_ORDER.compare(v, maxUtf8) > 0) {
            maxUtf8 = v.copy();
        }
    }

    @Nullable
    Object min() {
        return bound(minLong, minDouble, utf8Bound(minString, minUtf8, -1));
    }

    @Nullable
    Object max() {
        return bound(maxLong, maxDouble, utf8Bound(maxString, maxUtf8, 1));
    }

    /** @return the lower ({@code sign} -1) or upper (1) of the bounds kept as strings and as bytes */
    private static @Nullable String utf8Bound(@Nullable String string, @Nullable Binary utf8, int sign) {
        if (utf8 == null) {
            return string;
        }
        String decoded = utf8.toStringUsingUTF8();
        return string == null || Integer.signum(ValueOrder.compareUtf8(decoded, string)) == sign ? decoded : string;
    }

    /** Unsigned byte order, which is UTF-8's code point order. */
    private static final PrimitiveComparator<Binary> UTF8_ORDER =
            PrimitiveComparator.UNSIGNED_LEXICOGRAPHICAL_BINARY_COMPARATOR;

    private @Nullable Object bound(long l, double d, @Nullable String s) {
        if (values == 0 || unbounded) {
            return null;
        }
        return switch (type.kind()) {
            case INT -> (int) l;
            case LONG -> l;
            case DATE -> LocalDate.ofEpochDay(l);
            case TIMESTAMP -> Instant.ofEpochSecond(Math.floorDiv(l, 1_000_000L),
                    Math.floorMod(l, 1_000_000L) * 1_000L);
            case DECIMAL -> BigDecimal.valueOf(l, type.scale());
            // JSON has no infinities; an infinite bound is as good as none.
            case DOUBLE -> Double.isFinite(d) ? d : null;
            case STRING -> s;
            case BOOLEAN, BINARY, MAP -> null;
        };
    }
}
