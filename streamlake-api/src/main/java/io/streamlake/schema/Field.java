package io.streamlake.schema;

import java.util.Objects;

/**
 * One named, typed column of a {@link Schema}.
 *
 * <pre>{@code
 * Field id = Field.required("order_id", DataType.STRING);
 * Field note = Field.optional("note", DataType.STRING);
 * }</pre>
 */
public final class Field {
    private final String name;
    private final DataType type;
    private final boolean nullable;

    private Field(String name, DataType type, boolean nullable) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a column name must not be blank");
        }
        this.name = name;
        this.type = type;
        this.nullable = nullable;
    }

    /**
     * @param name column name
     * @param type column type
     * @return a column that never holds null
     */
    public static Field required(String name, DataType type) {
        return new Field(name, type, false);
    }

    /**
     * @param name column name
     * @param type column type
     * @return a column that may hold null
     */
    public static Field optional(String name, DataType type) {
        return new Field(name, type, true);
    }

    /** @return the column name */
    public String name() {
        return name;
    }

    /** @return the column type */
    public DataType type() {
        return type;
    }

    /** @return whether the column may hold null */
    public boolean nullable() {
        return nullable;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Field f && name.equals(f.name) && type.equals(f.type) && nullable == f.nullable;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, nullable);
    }

    @Override
    public String toString() {
        return name + " " + type + (nullable ? "" : " not null");
    }
}
