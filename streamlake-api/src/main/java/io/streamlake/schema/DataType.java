package io.streamlake.schema;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The type of a column. Primitive types are constants; decimals and maps are built with factories.
 * Each type maps to one Java value class in a {@link Row}, one Parquet type and one Delta type:
 *
 * <table>
 *   <caption>Type mapping</caption>
 *   <tr><th>DataType</th><th>Java value</th><th>Delta type</th></tr>
 *   <tr><td>STRING</td><td>String</td><td>string</td></tr>
 *   <tr><td>INT</td><td>Integer</td><td>integer</td></tr>
 *   <tr><td>LONG</td><td>Long</td><td>long</td></tr>
 *   <tr><td>DOUBLE</td><td>Double</td><td>double</td></tr>
 *   <tr><td>BOOLEAN</td><td>Boolean</td><td>boolean</td></tr>
 *   <tr><td>BINARY</td><td>byte[]</td><td>binary</td></tr>
 *   <tr><td>TIMESTAMP</td><td>java.time.Instant (microsecond precision, UTC)</td><td>timestamp</td></tr>
 *   <tr><td>DATE</td><td>java.time.LocalDate</td><td>date</td></tr>
 *   <tr><td>decimal(p, s), p &lt;= 18</td><td>java.math.BigDecimal</td><td>decimal(p,s)</td></tr>
 *   <tr><td>map(STRING, v)</td><td>java.util.Map&lt;String, v&gt;</td><td>map</td></tr>
 * </table>
 *
 * <pre>{@code
 * Schema schema = Schema.builder()
 *     .required("order_id", DataType.STRING)
 *     .optional("amount", DataType.decimal(12, 2))
 *     .build();
 * }</pre>
 */
public final class DataType {

    /** The family of a type. */
    public enum Kind {
        /** UTF-8 text. */
        STRING,
        /** 32-bit signed integer. */
        INT,
        /** 64-bit signed integer. */
        LONG,
        /** 64-bit IEEE 754 floating point. */
        DOUBLE,
        /** true or false. */
        BOOLEAN,
        /** Raw bytes. */
        BINARY,
        /** An instant in time, microsecond precision, UTC. */
        TIMESTAMP,
        /** A calendar date without time zone. */
        DATE,
        /** Fixed-point decimal with precision and scale. */
        DECIMAL,
        /** A map from string keys to values of one type. */
        MAP
    }

    /** UTF-8 text, a {@link String} value. */
    public static final DataType STRING = new DataType(Kind.STRING, 0, 0, null);
    /** 32-bit integer, an {@link Integer} value. */
    public static final DataType INT = new DataType(Kind.INT, 0, 0, null);
    /** 64-bit integer, a {@link Long} value. */
    public static final DataType LONG = new DataType(Kind.LONG, 0, 0, null);
    /** Double precision floating point, a {@link Double} value. */
    public static final DataType DOUBLE = new DataType(Kind.DOUBLE, 0, 0, null);
    /** A {@link Boolean} value. */
    public static final DataType BOOLEAN = new DataType(Kind.BOOLEAN, 0, 0, null);
    /** Raw bytes, a {@code byte[]} value. */
    public static final DataType BINARY = new DataType(Kind.BINARY, 0, 0, null);
    /** UTC instant with microsecond precision, a {@link java.time.Instant} value. */
    public static final DataType TIMESTAMP = new DataType(Kind.TIMESTAMP, 0, 0, null);
    /** Calendar date, a {@link java.time.LocalDate} value. */
    public static final DataType DATE = new DataType(Kind.DATE, 0, 0, null);

    /** Largest decimal precision supported: decimals are stored as 64-bit unscaled values. */
    public static final int MAX_DECIMAL_PRECISION = 18;

    private final Kind kind;
    private final int precision;
    private final int scale;
    private final @Nullable DataType valueType;

    private DataType(Kind kind, int precision, int scale, @Nullable DataType valueType) {
        this.kind = kind;
        this.precision = precision;
        this.scale = scale;
        this.valueType = valueType;
    }

    /**
     * A fixed-point decimal, held as {@link java.math.BigDecimal}.
     *
     * @param precision total digits, 1 to {@value #MAX_DECIMAL_PRECISION}
     * @param scale digits after the point, 0 to precision
     * @return the decimal type
     */
    public static DataType decimal(int precision, int scale) {
        if (precision < 1 || precision > MAX_DECIMAL_PRECISION) {
            throw new IllegalArgumentException("decimal precision must be between 1 and "
                    + MAX_DECIMAL_PRECISION + ", got " + precision
                    + "; use DOUBLE or STRING for wider numbers");
        }
        if (scale < 0 || scale > precision) {
            throw new IllegalArgumentException("decimal scale must be between 0 and the precision "
                    + precision + ", got " + scale);
        }
        return new DataType(Kind.DECIMAL, precision, scale, null);
    }

    /**
     * A map with string keys, held as {@code Map<String, V>}.
     *
     * @param valueType the type of the values, a primitive (non-map) type
     * @return the map type
     */
    public static DataType map(DataType valueType) {
        Objects.requireNonNull(valueType, "valueType");
        if (valueType.kind == Kind.MAP) {
            throw new IllegalArgumentException("nested maps are not supported");
        }
        return new DataType(Kind.MAP, 0, 0, valueType);
    }

    /** @return the family of this type */
    public Kind kind() {
        return kind;
    }

    /** @return the decimal precision, 0 for other types */
    public int precision() {
        return precision;
    }

    /** @return the decimal scale, 0 for other types */
    public int scale() {
        return scale;
    }

    /**
     * @return the value type of a map
     * @throws IllegalStateException if this is not a map type
     */
    public DataType valueType() {
        if (valueType == null) {
            throw new IllegalStateException(this + " is not a map type");
        }
        return valueType;
    }

    /** @return true for every type but maps */
    public boolean isPrimitive() {
        return kind != Kind.MAP;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataType other
                && kind == other.kind
                && precision == other.precision
                && scale == other.scale
                && Objects.equals(valueType, other.valueType);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, precision, scale, valueType);
    }

    /** @return the type as Delta and Spark SQL spell it, such as {@code decimal(12,2)} */
    @Override
    public String toString() {
        return switch (kind) {
            case DECIMAL -> "decimal(" + precision + "," + scale + ")";
            case MAP -> "map<string," + valueType + ">";
            case INT -> "integer";
            default -> kind.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
