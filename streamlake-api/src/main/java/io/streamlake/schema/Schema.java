package io.streamlake.schema;

import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * An ordered list of columns, declared by hand or derived from a Java record.
 *
 * <pre>{@code
 * Schema orders = Schema.builder()
 *     .required("order_id", DataType.STRING)
 *     .optional("status", DataType.STRING)
 *     .optional("amount", DataType.decimal(12, 2))
 *     .optional("updated_at", DataType.TIMESTAMP)
 *     .build();
 *
 * record Order(String order_id, String status, Instant updated_at) {}
 * Schema same = Schema.fromRecord(Order.class);
 * }</pre>
 */
public final class Schema {
    private final List<Field> fields;
    private final Map<String, Integer> indexByName;
    /** Each column's value class and whether it takes null, so that checking a row is a tight loop. */
    private final Class<?>[] valueClasses;
    private final boolean[] nullable;

    private Schema(List<Field> fields) {
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("a schema needs at least one column");
        }
        this.fields = List.copyOf(fields);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < this.fields.size(); i++) {
            Field f = this.fields.get(i);
            if (index.put(f.name(), i) != null) {
                throw new IllegalArgumentException("column '" + f.name() + "' is declared twice");
            }
        }
        this.indexByName = Collections.unmodifiableMap(index);
        this.valueClasses = new Class<?>[this.fields.size()];
        this.nullable = new boolean[this.fields.size()];
        for (int i = 0; i < this.fields.size(); i++) {
            valueClasses[i] = Row.javaClass(this.fields.get(i).type());
            nullable[i] = this.fields.get(i).nullable();
        }
    }

    /** @return whether the value fits column {@code position}: null where nullable, else of its class */
    boolean accepts(int position, @Nullable Object value) {
        return value == null ? nullable[position] : valueClasses[position].isInstance(value);
    }

    /**
     * @param fields the columns, in order
     * @return the schema
     */
    public static Schema of(Field... fields) {
        return new Schema(List.of(fields));
    }

    /**
     * @param fields the columns, in order
     * @return the schema
     */
    public static Schema of(List<Field> fields) {
        return new Schema(fields);
    }

    /** @return a builder that adds columns in order */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Derives a schema from a record's components, in declaration order. Primitive components
     * ({@code int}, {@code long}, {@code double}, {@code boolean}) are required; reference types are
     * optional. Supported component types: String, int/Integer, long/Long, double/Double,
     * boolean/Boolean, byte[], Instant, LocalDate.
     *
     * @param recordClass the record type
     * @return the schema
     * @throws IllegalArgumentException for an unsupported component type, naming it
     */
    public static Schema fromRecord(Class<? extends Record> recordClass) {
        List<Field> fields = new ArrayList<>();
        for (RecordComponent c : recordClass.getRecordComponents()) {
            Class<?> t = c.getType();
            DataType type = typeOf(t);
            if (type == null) {
                throw new IllegalArgumentException("record " + recordClass.getSimpleName() + " component '"
                        + c.getName() + "' has type " + t.getName() + ", which has no column type"
                        + (t == BigDecimal.class
                                ? "; declare decimals with Schema.builder() and DataType.decimal(p, s)"
                                : "; supported: String, int, long, double, boolean (and boxed), byte[], Instant, LocalDate"));
            }
            fields.add(t.isPrimitive() ? Field.required(c.getName(), type) : Field.optional(c.getName(), type));
        }
        return new Schema(fields);
    }

    private static DataType typeOf(Class<?> t) {
        if (t == String.class) {
            return DataType.STRING;
        } else if (t == int.class || t == Integer.class) {
            return DataType.INT;
        } else if (t == long.class || t == Long.class) {
            return DataType.LONG;
        } else if (t == double.class || t == Double.class) {
            return DataType.DOUBLE;
        } else if (t == boolean.class || t == Boolean.class) {
            return DataType.BOOLEAN;
        } else if (t == byte[].class) {
            return DataType.BINARY;
        } else if (t == Instant.class) {
            return DataType.TIMESTAMP;
        } else if (t == LocalDate.class) {
            return DataType.DATE;
        }
        return null;
    }

    /** @return the columns in order */
    public List<Field> fields() {
        return fields;
    }

    /** @return the number of columns */
    public int size() {
        return fields.size();
    }

    /**
     * @param name a column name
     * @return the column's position, or -1 when there is no such column
     */
    public int indexOf(String name) {
        Integer i = indexByName.get(name);
        return i == null ? -1 : i;
    }

    /**
     * @param name a column name
     * @return the column, if present
     */
    public Optional<Field> field(String name) {
        int i = indexOf(name);
        return i < 0 ? Optional.empty() : Optional.of(fields.get(i));
    }

    /**
     * @param name a column name
     * @return the column
     * @throws IllegalArgumentException naming the column and the columns that exist
     */
    public Field require(String name) {
        return field(name).orElseThrow(() -> new IllegalArgumentException(
                "no column '" + name + "' in schema " + this));
    }

    /**
     * @param position column position
     * @return the column at that position
     */
    public Field field(int position) {
        return fields.get(position);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schema s && fields.equals(s.fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    /** @return the columns as in {@code (order_id string not null, amount decimal(12,2))} */
    @Override
    public String toString() {
        return fields.stream().map(Field::toString).collect(Collectors.joining(", ", "(", ")"));
    }

    /** Adds columns in order; {@link #build()} checks that names are unique. */
    public static final class Builder {
        private final List<Field> fields = new ArrayList<>();

        private Builder() {
        }

        /**
         * @param name column name
         * @param type column type
         * @return this builder
         */
        public Builder required(String name, DataType type) {
            fields.add(Field.required(name, type));
            return this;
        }

        /**
         * @param name column name
         * @param type column type
         * @return this builder
         */
        public Builder optional(String name, DataType type) {
            fields.add(Field.optional(name, type));
            return this;
        }

        /**
         * @param field a column
         * @return this builder
         */
        public Builder add(Field field) {
            fields.add(Objects.requireNonNull(field, "field"));
            return this;
        }

        /** @return the schema */
        public Schema build() {
            return new Schema(fields);
        }
    }
}
