package io.streamlake.core.json;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The common record shape decoded without Jackson: one flat JSON object whose values are strings
 * without escapes, numbers, booleans and nulls. A Jackson parser costs about half a kilobyte of
 * objects per record, the largest share of silver's garbage; this reads the bytes in place.
 *
 * <p>It decides nothing on its own: whatever it is not certain about (an escape, a nested value, a
 * number that needs rounding, a timestamp in another shape, any error) makes it give up, and
 * {@link JsonRowDecoder} decodes the record with Jackson, which gives the answer and the message.
 * For what it does accept, it produces exactly what the Jackson path produces. Stateless and
 * thread-safe. The caller has validated the bytes as UTF-8.
 */
final class FlatJsonDecoder {
    /** The result of a field conversion this reader does not make: the record goes to Jackson. */
    static final Object GIVE_UP = new Object();

    private static final long MAX_EPOCH_MILLI = Long.MAX_VALUE / 1_000;
    private static final long MIN_EPOCH_MILLI = Long.MIN_VALUE / 1_000;
    /** Jackson's default limits on a number's and a field name's length. */
    private static final int MAX_NUMBER_CHARS = 1000;
    private static final int MAX_NAME_BYTES = 50_000;

    private final byte[][] names;
    private final DataType[] types;
    /** Per string column: the same String for repeated short values, while that pays. */
    private final @Nullable StringCache[] strings;

    FlatJsonDecoder(Schema schema) {
        int n = schema.size();
        this.names = new byte[n][];
        this.types = new DataType[n];
        this.strings = new StringCache[n];
        for (int i = 0; i < n; i++) {
            names[i] = schema.field(i).name().getBytes(StandardCharsets.UTF_8);
            types[i] = schema.field(i).type();
            if (types[i].kind() == DataType.Kind.STRING) {
                strings[i] = new StringCache();
            }
        }
    }

    /**
     * @param b the value: UTF-8
     * @param values filled by column position; an explicit JSON null becomes {@code jsonNull}
     * @return false when the record needs the full parser; {@code values} must then be cleared
     */
    boolean decode(byte[] b, @Nullable Object[] values, Object jsonNull) {
        int n = b.length;
        int i = skipSpace(b, 0);
        if (i >= n || b[i] != '{') {
            return false;
        }
        i = skipSpace(b, i + 1);
        if (i < n && b[i] == '}') {
            return skipSpace(b, i + 1) == n;
        }
        int hint = 0;
        while (true) {
            // a field name: a string without escapes
            if (i >= n || b[i] != '"') {
                return false;
            }
            int nameStart = i + 1;
            int nameEnd = endOfString(b, nameStart);
            if (nameEnd < 0 || nameEnd - nameStart > MAX_NAME_BYTES) {
                return false;
            }
            int column = column(b, nameStart, nameEnd - nameStart, hint);
            i = skipSpace(b, nameEnd + 1);
            if (i >= n || b[i] != ':') {
                return false;
            }
            i = skipSpace(b, i + 1);
            if (i >= n) {
                return false;
            }
            // the value
            int start = i;
            byte c = b[i];
            Object v;
            if (c == '"') {
                int end = endOfString(b, i + 1);
                if (end < 0) {
                    return false;
                }
                v = column < 0 ? null : string(b, i + 1, end, column);
                i = end + 1;
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                int end = endOfNumber(b, i);
                if (end < 0) {
                    return false;
                }
                v = column < 0 ? null : number(b, start, end, types[column]);
                i = end;
            } else if (matches(b, i, "true") || matches(b, i, "false")) {
                boolean t = c == 't';
                i += t ? 4 : 5;
                v = column < 0 ? null : bool(t, types[column]);
            } else if (matches(b, i, "null")) {
                i += 4;
                v = jsonNull;
            } else {
                return false; // an object, an array, or not JSON
            }
            if (v == GIVE_UP) {
                return false;
            }
            if (column >= 0) {
                values[column] = v; // a repeated field: the last value wins, as with Jackson
                hint = column + 1;
            }
            i = skipSpace(b, i);
            if (i >= n) {
                return false;
            }
            if (b[i] == ',') {
                i = skipSpace(b, i + 1);
            } else if (b[i] == '}') {
                return skipSpace(b, i + 1) == n;
            } else {
                return false;
            }
        }
    }

    /** The column whose name is these bytes, trying the one after the last match first; -1 if none. */
    private int column(byte[] b, int from, int length, int hint) {
        if (hint < names.length && sameBytes(names[hint], b, from, length)) {
            return hint;
        }
        for (int c = 0; c < names.length; c++) {
            if (sameBytes(names[c], b, from, length)) {
                return c;
            }
        }
        return -1;
    }

    private static boolean sameBytes(byte[] name, byte[] b, int from, int length) {
        return name.length == length && Arrays.equals(name, 0, length, b, from, from + length);
    }

    /** @return the index of the closing quote, or -1 for an escape, a control character or no end */
    private static int endOfString(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            byte c = b[i];
            if (c == '"') {
                return i;
            }
            if (c == '\\' || (c >= 0 && c < 0x20)) {
                return -1;
            }
        }
        return -1;
    }

    /** @return the index after a number in strict JSON grammar, or -1 */
    private static int endOfNumber(byte[] b, int from) {
        int n = b.length;
        int i = from;
        if (b[i] == '-') {
            i++;
        }
        if (i >= n || b[i] < '0' || b[i] > '9') {
            return -1;
        }
        if (b[i] == '0') {
            i++;
        } else {
            while (i < n && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
        }
        if (i < n && b[i] == '.') {
            int digits = ++i;
            while (i < n && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
            if (i == digits) {
                return -1;
            }
        }
        if (i < n && (b[i] == 'e' || b[i] == 'E')) {
            i++;
            if (i < n && (b[i] == '+' || b[i] == '-')) {
                i++;
            }
            int digits = i;
            while (i < n && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
            if (i == digits) {
                return -1;
            }
        }
        return i < n && !endsToken(b[i]) ? -1 : i;
    }

    private static boolean matches(byte[] b, int i, String word) {
        if (i + word.length() > b.length) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if (b[i + k] != word.charAt(k)) {
                return false;
            }
        }
        int after = i + word.length();
        return after == b.length || endsToken(b[after]);
    }

    /** What may follow a number or a literal: structure or whitespace, never a letter. */
    private static boolean endsToken(byte c) {
        return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private static int skipSpace(byte[] b, int from) {
        int i = from;
        while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
        return i;
    }

    private Object string(byte[] b, int from, int to, int column) {
        DataType type = types[column];
        switch (type.kind()) {
            case STRING :
                return Objects.requireNonNull(strings[column]).get(b, from, to);
            case TIMESTAMP : {
                if (to - from > JsonRowDecoder.EXCERPT_CHARS || !ascii(b, from, to)) {
                    return GIVE_UP;
                }
                Instant t =
                        JsonRowDecoder.parseTimestampFast(new String(b, from, to - from, StandardCharsets.ISO_8859_1));
                return t == null ? GIVE_UP : t;
            }
            case DATE : {
                if (to - from != 10 || !ascii(b, from, to)) {
                    return GIVE_UP;
                }
                int year = digits(b, from, 4);
                int month = digits(b, from + 5, 2);
                int day = digits(b, from + 8, 2);
                if (year < 0 || month < 0 || day < 0 || b[from + 4] != '-' || b[from + 7] != '-') {
                    return GIVE_UP;
                }
                try {
                    return LocalDate.of(year, month, day);
                } catch (DateTimeException e) {
                    return GIVE_UP;
                }
            }
            default :
                return GIVE_UP; // numeric strings, base64, wrong types: Jackson's path
        }
    }

    private static Object number(byte[] b, int from, int to, DataType type) {
        if (to - from > MAX_NUMBER_CHARS) {
            return GIVE_UP; // Jackson refuses numbers this long
        }
        boolean integer = true;
        for (int i = from; i < to; i++) {
            if (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
                integer = false;
                break;
            }
        }
        switch (type.kind()) {
            case STRING :
                return new String(b, from, to - from, StandardCharsets.ISO_8859_1); // its JSON spelling
            case INT : {
                long v = integer ? parseLong(b, from, to) : Long.MIN_VALUE;
                return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? (Object) (int) v : GIVE_UP;
            }
            case LONG : {
                long v = integer ? parseLong(b, from, to) : Long.MIN_VALUE;
                return v != Long.MIN_VALUE ? (Object) v : GIVE_UP;
            }
            case DOUBLE : {
                if (integer) {
                    // Jackson reads an integer as a long first: -0 is 0.0, not -0.0
                    long v = parseLong(b, from, to);
                    return v != Long.MIN_VALUE ? (Object) (double) v : GIVE_UP;
                }
                double d = Double.parseDouble(new String(b, from, to - from, StandardCharsets.ISO_8859_1));
                return Double.isInfinite(d) ? GIVE_UP : d;
            }
            case TIMESTAMP : {
                long v = integer ? parseLong(b, from, to) : Long.MIN_VALUE;
                return v != Long.MIN_VALUE && v >= MIN_EPOCH_MILLI && v <= MAX_EPOCH_MILLI
                        ? Instant.ofEpochMilli(v) : GIVE_UP;
            }
            case DECIMAL : {
                BigDecimal d = decimal(b, from, to);
                if (d == null) {
                    return GIVE_UP;
                }
                BigDecimal stripped = d.stripTrailingZeros();
                return JsonRowDecoder.decimalProblem(stripped, type) == null ? stripped.setScale(type.scale())
                        : GIVE_UP;
            }
            default :
                return GIVE_UP;
        }
    }

    private static Object bool(boolean value, DataType type) {
        return switch (type.kind()) {
            case BOOLEAN -> value;
            case STRING -> value ? "true" : "false";
            default -> GIVE_UP;
        };
    }

    /**
     * A plain decimal of up to 18 digits without building a BigInteger; anything else through text.
     *
     * @return null for an exponent beyond BigDecimal's range, which Jackson's path reports
     */
    private static @Nullable BigDecimal decimal(byte[] b, int from, int to) {
        if (to - from <= 18) {
            long unscaled = 0;
            int scale = -1;
            int i = b[from] == '-' ? from + 1 : from;
            boolean plain = true;
            for (; i < to; i++) {
                byte c = b[i];
                if (c == '.') {
                    scale = 0;
                } else if (c >= '0' && c <= '9') {
                    unscaled = unscaled * 10 + (c - '0');
                    if (scale >= 0) {
                        scale++;
                    }
                } else {
                    plain = false; // an exponent
                    break;
                }
            }
            if (plain) {
                return BigDecimal.valueOf(b[from] == '-' ? -unscaled : unscaled, Math.max(scale, 0));
            }
        }
        try {
            return new BigDecimal(new String(b, from, to - from, StandardCharsets.ISO_8859_1));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** @return the integer, or Long.MIN_VALUE when it is out of range (or is Long.MIN_VALUE itself) */
    private static long parseLong(byte[] b, int from, int to) {
        boolean negative = b[from] == '-';
        int i = negative ? from + 1 : from;
        if (to - i > 18) {
            return Long.MIN_VALUE; // 19 digits may overflow: Jackson's path decides
        }
        long v = 0;
        for (; i < to; i++) {
            v = v * 10 + (b[i] - '0');
        }
        return negative ? -v : v;
    }

    private static boolean ascii(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] < 0) {
                return false;
            }
        }
        return true;
    }

    private static int digits(byte[] b, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /**
     * Repeated short values of one string column (statuses, currencies, country codes) as one String
     * each: decoded rows of a large batch stay in memory through the merge, and every String less is
     * one the collector does not copy. A column whose values rarely repeat turns the cache off after
     * a sample, so unique keys cost one hash. Shared by the decoding threads: a slot holds an
     * immutable entry, so a race only loses a cached value.
     */
    static final class StringCache {
        private static final int SLOTS = 1024;
        private static final int MAX_BYTES = 32;
        private static final int SAMPLE = 20_000;

        private record Entry(byte[] utf8, String value) {
        }

        private final Entry[] slots = new Entry[SLOTS];
        // racy counters: a sample, not an account
        private int lookups;
        private int hits;
        private volatile boolean off;

        String get(byte[] b, int from, int to) {
            int length = to - from;
            if (off || length > MAX_BYTES) {
                return new String(b, from, length, StandardCharsets.UTF_8);
            }
            int h = 1;
            for (int i = from; i < to; i++) {
                h = 31 * h + b[i];
            }
            int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
            Entry e = slots[slot];
            int n = ++lookups;
            if (e != null && Arrays.equals(e.utf8, 0, e.utf8.length, b, from, to)) {
                hits++;
                return e.value;
            }
            if (n == SAMPLE && hits < SAMPLE / 2) {
                off = true; // mostly distinct values: caching would only add garbage
            }
            String value = new String(b, from, length, StandardCharsets.UTF_8);
            slots[slot] = new Entry(Arrays.copyOfRange(b, from, to), value);
            return value;
        }
    }
}
