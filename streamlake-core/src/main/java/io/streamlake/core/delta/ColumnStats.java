package io.streamlake.core.delta;

import io.streamlake.schema.DataType;
import io.streamlake.schema.ValueOrder;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
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

    @Nullable
    Object min() {
        return bound(minLong, minDouble, minString);
    }

    @Nullable
    Object max() {
        return bound(maxLong, maxDouble, maxString);
    }

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
