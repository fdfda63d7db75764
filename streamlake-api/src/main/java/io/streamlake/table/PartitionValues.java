package io.streamlake.table;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Partition values as Delta Lake stores them: one text per partition column in each data file's
 * entry of the log ({@code partitionValues}), null for null. Strings are themselves, numbers their
 * decimal digits, dates {@code yyyy-MM-dd}, booleans {@code true} / {@code false}. Delta reads an
 * empty string partition value as null, so an empty string is stored as null.
 *
 * <pre>{@code
 * Map<String, String> values = PartitionValues.of(row, List.of("order_date")); // {order_date=2026-01-31}
 * LocalDate day = (LocalDate) PartitionValues.parse("2026-01-31", DataType.DATE);
 * }</pre>
 */
public final class PartitionValues {
    private PartitionValues() {
    }

    /**
     * @param type a column type
     * @return whether a column of this type can partition a table: string, int, long, date, boolean
     */
    public static boolean supports(DataType type) {
        return switch (type.kind()) {
            case STRING, INT, LONG, DATE, BOOLEAN -> true;
            default -> false;
        };
    }

    /**
     * Checks that the columns can partition a table of this schema.
     *
     * @param schema the table's schema
     * @param columns the partition columns
     * @param table the table, for messages
     * @throws ConfigurationException naming a column that is missing, repeated or of a type that
     *     cannot partition
     */
    public static void check(Schema schema, List<String> columns, String table) {
        Set<String> seen = new HashSet<>();
        for (String c : columns) {
            Field f = schema.field(c).orElseThrow(() -> new ConfigurationException("partition column '" + c
                    + "' of table " + table + " is not in its schema " + schema + "; partition by declared columns"));
            if (!seen.add(c)) {
                throw new ConfigurationException("partition column '" + c + "' of table " + table
                        + " is listed twice in " + columns);
            }
            if (!supports(f.type())) {
                throw new ConfigurationException("partition column '" + c + "' of table " + table + " has type "
                        + f.type() + ", which cannot partition a table; partition by a string, int, long, date or"
                        + " boolean column (derive one with withDerivedColumn, for example a date from a timestamp)");
            }
        }
    }

    /**
     * @param row a row
     * @param columns the partition columns
     * @return the row's partition values, in column order
     */
    public static Map<String, @Nullable String> of(Row row, List<String> columns) {
        Map<String, @Nullable String> out = new LinkedHashMap<>();
        for (String c : columns) {
            out.put(c, format(row.value(c)));
        }
        return out;
    }

    /**
     * @param value a value of a column type that can partition
     * @return its text in the Delta log; null for null and for the empty string
     */
    public static @Nullable String format(@Nullable Object value) {
        if (value == null) {
            return null;
        }
        String text = value.toString(); // String, Integer, Long, LocalDate (ISO), Boolean
        return text.isEmpty() ? null : text;
    }

    /**
     * @param text a partition value as the Delta log stores it
     * @param type the column's type
     * @return the value as {@link Row} holds it; null for null and for the empty string
     * @throws IllegalArgumentException if the text is not a value of the type
     */
    public static @Nullable Object parse(@Nullable String text, DataType type) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return switch (type.kind()) {
                case STRING -> text;
                case INT -> Integer.parseInt(text);
                case LONG -> Long.parseLong(text);
                case DATE -> LocalDate.parse(text);
                case BOOLEAN -> switch (text.toLowerCase(java.util.Locale.ROOT)) {
                    case "true" -> Boolean.TRUE;
                    case "false" -> Boolean.FALSE;
                    default -> throw new IllegalArgumentException("not a boolean");
                };
                default -> throw new IllegalArgumentException("type " + type + " cannot partition a table");
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("partition value '" + text + "' is not a " + type + ": "
                    + e.getMessage(), e);
        }
    }
}
