package io.streamlake.schema;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One immutable row of a table: a {@link Schema} and one value per column, each of the Java class
 * its {@link DataType} names (or null where the column is optional).
 *
 * <pre>{@code
 * Row row = Row.of(schema, "o-1", "PAID", new BigDecimal("12.50"), Instant.parse("2026-01-01T00:00:00Z"));
 * String status = row.string("status");
 * Row shipped = row.with("status", "SHIPPED");
 * }</pre>
 */
public final class Row {
    private final Schema schema;
    private final @Nullable Object[] values;

    private Row(Schema schema, @Nullable Object[] values) {
        this.schema = schema;
        this.values = values;
    }

    /**
     * @param schema the row's schema
     * @param values one value per column, in schema order
     * @return the row
     * @throws IllegalArgumentException if a value has the wrong class, or is null in a required column
     */
    public static Row of(Schema schema, @Nullable Object... values) {
        Objects.requireNonNull(schema, "schema");
        if (values.length != schema.size()) {
            throw new IllegalArgumentException("schema " + schema + " has " + schema.size()
                    + " columns but " + values.length + " values were given");
        }
        for (int i = 0; i < values.length; i++) {
            if (!schema.accepts(i, values[i])) {
                check(schema.field(i), values[i]); // says why
            }
        }
        return new Row(schema, values.clone());
    }

    /**
     * Builds a row column by column; unset columns are null.
     *
     * @param schema the row's schema
     * @return a builder
     */
    public static Builder builder(Schema schema) {
        return new Builder(schema);
    }

    private static void check(Field field, @Nullable Object value) {
        if (value == null) {
            if (!field.nullable()) {
                throw new IllegalArgumentException("column '" + field.name() + "' is required but the value is null");
            }
            return;
        }
        Class<?> expected = javaClass(field.type());
        if (!expected.isInstance(value)) {
            throw new IllegalArgumentException("column '" + field.name() + "' of type " + field.type()
                    + " takes " + expected.getSimpleName() + " values, got " + value.getClass().getName());
        }
    }

    /**
     * @param type a column type
     * @return the Java class of that type's values
     */
    public static Class<?> javaClass(DataType type) {
        return switch (type.kind()) {
            case STRING -> String.class;
            case INT -> Integer.class;
            case LONG -> Long.class;
            case DOUBLE -> Double.class;
            case BOOLEAN -> Boolean.class;
            case BINARY -> byte[].class;
            case TIMESTAMP -> Instant.class;
            case DATE -> LocalDate.class;
            case DECIMAL -> BigDecimal.class;
            case MAP -> Map.class;
        };
    }

    /** @return the row's schema */
    public Schema schema() {
        return schema;
    }

    /**
     * @param position column position
     * @return the value, or null
     */
    public @Nullable Object value(int position) {
        return values[position];
    }

    /**
     * @param column column name
     * @return the value, or null
     * @throws IllegalArgumentException if the schema has no such column
     */
    public @Nullable Object value(String column) {
        return values[position(column)];
    }

    /**
     * @param column column name of a STRING column
     * @return the value, or null
     */
    public @Nullable String string(String column) {
        return (String) value(column);
    }

    /**
     * @param column column name of a LONG column
     * @return the value, or null
     */
    public @Nullable Long longValue(String column) {
        return (Long) value(column);
    }

    /**
     * @param column column name of an INT column
     * @return the value, or null
     */
    public @Nullable Integer intValue(String column) {
        return (Integer) value(column);
    }

    /**
     * @param column column name of a TIMESTAMP column
     * @return the value, or null
     */
    public @Nullable Instant timestamp(String column) {
        return (Instant) value(column);
    }

    /**
     * @param column column name of a BINARY column
     * @return the value (a copy), or null
     */
    public byte @Nullable [] bytes(String column) {
        byte[] b = (byte[]) value(column);
        return b == null ? null : b.clone();
    }

    /**
     * @param column column name
     * @param value new value of the column's Java class, or null
     * @return a copy of this row with one value changed
     */
    public Row with(String column, @Nullable Object value) {
        int p = position(column);
        check(schema.field(p), value);
        Object[] copy = values.clone();
        copy[p] = value;
        return new Row(schema, copy);
    }

    /** @return the values by column name, in schema order */
    public Map<String, @Nullable Object> toMap() {
        Map<String, @Nullable Object> map = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            map.put(schema.field(i).name(), values[i]);
        }
        return map;
    }

    private int position(String column) {
        int p = schema.indexOf(column);
        if (p < 0) {
            throw new IllegalArgumentException("no column '" + column + "' in schema " + schema);
        }
        return p;
    }

    /** Rows are equal when schemas and values are equal; byte arrays compare by content. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Row r && schema.equals(r.schema) && Arrays.deepEquals(values, r.values);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(values);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Object v = values[i];
            sb.append(schema.field(i).name()).append('=')
                    .append(v instanceof byte[] b ? "<" + b.length + " bytes>" : v);
        }
        return sb.append('}').toString();
    }

    /** Sets columns by name; unset columns stay null. */
    public static final class Builder {
        private final Schema schema;
        private final @Nullable Object[] values;

        private Builder(Schema schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
            this.values = new Object[schema.size()];
        }

        /**
         * @param column column name
         * @param value value of the column's Java class, or null
         * @return this builder
         */
        public Builder set(String column, @Nullable Object value) {
            int p = schema.indexOf(column);
            if (p < 0) {
                throw new IllegalArgumentException("no column '" + column + "' in schema " + schema);
            }
            values[p] = value;
            return this;
        }

        /**
         * @param position column position
         * @param value value of the column's Java class, or null
         * @return this builder
         */
        public Builder set(int position, @Nullable Object value) {
            values[position] = value;
            return this;
        }

        /** @return the row, checked against the schema */
        public Row build() {
            for (int i = 0; i < values.length; i++) {
                check(schema.field(i), values[i]);
            }
            return new Row(schema, values.clone());
        }
    }
}
