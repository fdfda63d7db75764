package io.streamlake.merge;

import io.streamlake.schema.DataType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A sequence value over several columns, as Delta Live Tables' {@code SEQUENCE BY struct(a, b)}:
 * the values of the sequence columns, most significant first, ordered component by component, each
 * as {@link CdcStrategy#compareSequence} orders one column's values. A strategy made with several
 * sequence columns ({@code MergeStrategies.latestBy("a", "b")}) gives one of these for each event
 * ({@link CdcStrategy#sequenceOf}); one made with one column gives that column's value itself, so
 * every sequence value is an immutable {@link Comparable} either way. Components are never null:
 * an event with a null in any sequence column has no sequence value.
 *
 * <pre>{@code
 * CompositeSequence a = CompositeSequence.of(1_733_212_800_000_000L, "a");
 * CompositeSequence b = CompositeSequence.of(1_733_212_800_000_000L, "b");
 * a.compareTo(b);                          // < 0: the first components tie, the second decides
 * a.toString();                            // [1733212800000000,"a"]
 * CompositeSequence.decode(a.toString(), List.of(DataType.LONG, DataType.STRING)).equals(a);  // true
 * }</pre>
 *
 * <h2>Text</h2>
 * Where a sequence value must be kept in one column or one string (the delete-marker table, SCD
 * type 2's {@code __START_AT} and {@code __END_AT}, the truncate watermark), a composite value is a
 * JSON array of its components ({@link #encode}), one text per value: integers and decimals as
 * plain numbers, doubles as Java prints them (NaN and infinities as the strings {@code "NaN"},
 * {@code "Infinity"}, {@code "-Infinity"}), strings as JSON strings, timestamps and dates as
 * ISO-8601 strings ({@link Instant#toString()}, {@link LocalDate#toString()}). It is read back with
 * the components' declared types ({@link #decode}), so each value comes back of its exact class.
 * The text is <em>not</em> ordered as the values are ({@code [10]} sorts before {@code [9]}): order
 * decoded values, never their text. A one-column value is kept in its column's own type, and as
 * text is its plain text ({@code 12.50}, {@code 2026-01-01T00:00:00Z}), as the truncate watermark has
 * always been written.
 */
public final class CompositeSequence implements Comparable<CompositeSequence> {
    private final List<Object> components;

    private CompositeSequence(List<Object> components) {
        this.components = components;
    }

    /**
     * @param components the values of the sequence columns, most significant first: at least two
     *     (one column's value is the sequence value itself), none null
     * @return the value
     * @throws IllegalArgumentException for fewer than two components
     * @throws NullPointerException for a null component
     */
    public static CompositeSequence of(Object... components) {
        return of(List.of(components));
    }

    /**
     * @param components as {@link #of(Object...)}
     * @return the value
     */
    public static CompositeSequence of(List<?> components) {
        if (components.size() < 2) {
            throw new IllegalArgumentException("a composite sequence value has at least two components, got "
                    + components + "; a one-column sequence value is the column's value itself");
        }
        return new CompositeSequence(List.copyOf(components)); // List.copyOf refuses nulls
    }

    /** @return the components, most significant first; immutable */
    public List<Object> components() {
        return components;
    }

    /**
     * One column's part of a sequence value of any shape.
     *
     * <pre>{@code
     * CompositeSequence.component(CompositeSequence.of(5L, "b"), 1);   // "b"
     * CompositeSequence.component(5L, 0);                              // 5L: one column's value is itself
     * }</pre>
     *
     * @param sequence a sequence value: a {@code CompositeSequence}, or one column's value
     * @param index a sequence column's place, most significant first
     * @return that column's value in it
     */
    public static Object component(Object sequence, int index) {
        if (sequence instanceof CompositeSequence c) {
            return c.components.get(index);
        }
        Objects.checkIndex(index, 1);
        return sequence;
    }

    /**
     * Lexicographic order: the first components that differ (by {@link CdcStrategy#compareSequence})
     * decide; values of the same columns have as many components.
     *
     * @param other a value of the same sequence columns
     * @return negative, zero or positive as this value is older than, as new as, or newer than {@code other}
     */
    @Override
    public int compareTo(CompositeSequence other) {
        int n = Math.min(components.size(), other.components.size());
        for (int i = 0; i < n; i++) {
            int c = CdcStrategy.compareSequence(components.get(i), other.components.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(components.size(), other.components.size());
    }

    /** Equal when the components are equal, each by its own {@code equals}, as one column's values are. */
    @Override
    public boolean equals(Object o) {
        return o instanceof CompositeSequence c && components.equals(c.components);
    }

    @Override
    public int hashCode() {
        return components.hashCode();
    }

    /** @return the value's text, {@link #encode} */
    @Override
    public String toString() {
        return encode(this);
    }

    // ---- storage --------------------------------------------------------------------------------

    /**
     * The column type that keeps sequence values of these columns: the column's own type for one
     * column, STRING (the text of {@link #encode}) for several, since a table column has no struct
     * type here.
     *
     * @param types the sequence columns' types, most significant first
     * @return the type of a column that keeps their sequence values
     */
    public static DataType storedType(List<DataType> types) {
        return types.size() == 1 ? types.get(0) : DataType.STRING;
    }

    /**
     * @param sequence a sequence value, or null
     * @return it as a column of {@link #storedType} holds it: a composite value's text, one column's
     *     value as it is
     */
    public static @Nullable Object toStored(@Nullable Object sequence) {
        return sequence instanceof CompositeSequence c ? encode(c) : sequence;
    }

    /**
     * @param stored a value of a column of {@link #storedType}, or null
     * @param types the sequence columns' types, most significant first
     * @return the sequence value it keeps
     * @throws IllegalArgumentException if a composite value's text does not read as these types
     */
    public static @Nullable Object fromStored(@Nullable Object stored, List<DataType> types) {
        return stored == null || types.size() == 1 ? stored : decode((String) stored, types);
    }

    // ---- text -----------------------------------------------------------------------------------

    /**
     * @param sequence a sequence value: a {@code CompositeSequence}, or one column's value
     * @return its text: a composite value's JSON array, one value's plain text
     */
    public static String encode(Object sequence) {
        if (!(sequence instanceof CompositeSequence c)) {
            return plain(sequence);
        }
        StringBuilder sb = new StringBuilder("[");
        for (Object v : c.components) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            if (v instanceof String || v instanceof Instant || v instanceof LocalDate
                    || v instanceof Double d && (d.isNaN() || d.isInfinite())) {
                quote(plain(v), sb);
            } else {
                sb.append(plain(v));
            }
        }
        return sb.append(']').toString();
    }

    /**
     * Reads a text of {@link #encode} back. Whitespace between the array's elements is allowed, so a
     * value written by hand (a truncate watermark set in a table property) reads too.
     *
     * @param text the text
     * @param types the sequence columns' types, most significant first: one type for a plain value
     * @return the value: a {@code CompositeSequence} for several types, else a value of the
     *     type's class (as {@link io.streamlake.schema.Row#javaClass})
     * @throws IllegalArgumentException if the text is not a value of these types, saying why
     */
    public static Object decode(String text, List<DataType> types) {
        if (types.size() == 1) {
            return parse(text, types.get(0));
        }
        List<String> elements = new JsonArray(text).elements(types);
        List<Object> out = new ArrayList<>(types.size());
        for (int i = 0; i < types.size(); i++) {
            out.add(parse(elements.get(i), types.get(i)));
        }
        return of(out);
    }

    /** One value's text; a decimal without exponent, so it reads back with its scale. */
    private static String plain(Object value) {
        return value instanceof BigDecimal d ? d.toPlainString() : value.toString();
    }

    /** One value from its plain text. */
    private static Object parse(String text, DataType type) {
        return switch (type.kind()) {
            case STRING -> text;
            case INT -> Integer.parseInt(text);
            case LONG -> Long.parseLong(text);
            case DOUBLE -> Double.parseDouble(text);
            case DECIMAL -> new BigDecimal(text);
            case TIMESTAMP -> Instant.parse(text);
            case DATE -> LocalDate.parse(text);
            case BOOLEAN, BINARY, MAP -> throw new IllegalArgumentException(type + " cannot order events");
        };
    }

    /**
     * A JSON string: quotes, backslashes, control characters and unpaired surrogates escaped (so
     * the text is valid UTF-8 whatever the value), every other character as it is: one text per value.
     */
    private static void quote(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(ch).append(s.charAt(++i)); // a pair: one code point beyond U+FFFF
            } else if (ch == '"' || ch == '\\') {
                sb.append('\\').append(ch);
            } else if (ch < 0x20 || Character.isSurrogate(ch)) {
                sb.append(String.format("\\u%04x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        sb.append('"');
    }

    /** The few JSON rules a composite value's text needs: one flat array of strings and numbers. */
    private static final class JsonArray {
        private final String text;
        private int at;

        JsonArray(String text) {
            this.text = Objects.requireNonNull(text, "text");
        }

        /**
         * @return each element's plain text: a string element unquoted, a number as written
         * @throws IllegalArgumentException if the text is not an array of one element per type, a
         *     string where the type's text is quoted and a number where it is not
         */
        List<String> elements(List<DataType> types) {
            List<String> out = new ArrayList<>(types.size());
            expect('[');
            while (out.size() < types.size()) {
                if (!out.isEmpty()) {
                    expect(',');
                }
                space();
                DataType type = types.get(out.size());
                boolean quoted = at < text.length() && text.charAt(at) == '"';
                boolean number = switch (type.kind()) {
                    case INT, LONG, DECIMAL -> true;
                    case DOUBLE -> !quoted; // NaN and the infinities are quoted: JSON has no such number
                    default -> false;
                };
                if (number == quoted) {
                    throw fail("element " + out.size() + " (" + type + ") should be " + (number ? "a number"
                            : "a string"));
                }
                out.add(quoted ? string() : token());
            }
            expect(']');
            space();
            if (at != text.length()) {
                throw fail("text after the array; a value of " + types + " has " + types.size() + " elements");
            }
            return out;
        }

        private void space() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private void expect(char c) {
            space();
            if (at >= text.length() || text.charAt(at) != c) {
                throw fail("expected '" + c + "'");
            }
            at++;
        }

        private String token() {
            int start = at;
            while (at < text.length() && "+-.0123456789eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            if (start == at) {
                throw fail("expected a number");
            }
            return text.substring(start, at);
        }

        private String string() {
            StringBuilder sb = new StringBuilder();
            at++; // the opening quote
            while (at < text.length()) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (at >= text.length()) {
                    break;
                }
                char e = text.charAt(at++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw fail("a \\u escape needs four hex digits");
                        }
                        sb.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> throw fail("unknown escape \\" + e);
                }
            }
            throw fail("unterminated string");
        }

        private IllegalArgumentException fail(String why) {
            return new IllegalArgumentException("'" + text + "' is not a composite sequence value: " + why
                    + " at character " + at);
        }
    }
}
