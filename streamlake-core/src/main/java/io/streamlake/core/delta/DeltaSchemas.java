package io.streamlake.core.delta;

import io.delta.standalone.types.BinaryType;
import io.delta.standalone.types.BooleanType;
import io.delta.standalone.types.DateType;
import io.delta.standalone.types.DecimalType;
import io.delta.standalone.types.DoubleType;
import io.delta.standalone.types.IntegerType;
import io.delta.standalone.types.LongType;
import io.delta.standalone.types.MapType;
import io.delta.standalone.types.StringType;
import io.delta.standalone.types.StructField;
import io.delta.standalone.types.StructType;
import io.delta.standalone.types.TimestampType;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;
import org.jspecify.annotations.Nullable;

/** Translates StreamLake schemas to Delta (Spark JSON) and Parquet schemas, and back from Delta. */
final class DeltaSchemas {

    /** Characters Delta (protocol 1, no column mapping) and Parquet refuse in column names. */
    private static final String INVALID_NAME_CHARS = " ,;{}()\n\t=";

    private DeltaSchemas() {
    }

    static StructType toDelta(Schema schema) {
        StructField[] fields = new StructField[schema.size()];
        for (int i = 0; i < fields.length; i++) {
            Field f = schema.field(i);
            fields[i] = new StructField(f.name(), toDelta(f.type()), f.nullable());
        }
        return new StructType(fields);
    }

    static io.delta.standalone.types.DataType toDelta(DataType type) {
        return switch (type.kind()) {
            case STRING -> new StringType();
            case INT -> new IntegerType();
            case LONG -> new LongType();
            case DOUBLE -> new DoubleType();
            case BOOLEAN -> new BooleanType();
            case BINARY -> new BinaryType();
            case TIMESTAMP -> new TimestampType();
            case DATE -> new DateType();
            case DECIMAL -> new DecimalType(type.precision(), type.scale());
            // Values may be null inside a map: Spark's default, and what our Parquet value field allows.
            case MAP -> new MapType(new StringType(), toDelta(type.valueType()), true);
        };
    }

    /**
     * @return the column's type, or null when StreamLake has no type for the Delta type
     */
    static @Nullable DataType fromDelta(io.delta.standalone.types.DataType type) {
        if (type instanceof StringType) {
            return DataType.STRING;
        } else if (type instanceof IntegerType) {
            return DataType.INT;
        } else if (type instanceof LongType) {
            return DataType.LONG;
        } else if (type instanceof DoubleType) {
            return DataType.DOUBLE;
        } else if (type instanceof BooleanType) {
            return DataType.BOOLEAN;
        } else if (type instanceof BinaryType) {
            return DataType.BINARY;
        } else if (type instanceof TimestampType) {
            return DataType.TIMESTAMP;
        } else if (type instanceof DateType) {
            return DataType.DATE;
        } else if (type instanceof DecimalType d) {
            return d.getPrecision() <= DataType.MAX_DECIMAL_PRECISION && d.getScale() >= 0
                    ? DataType.decimal(d.getPrecision(), d.getScale()) : null;
        } else if (type instanceof MapType m && m.getKeyType() instanceof StringType) {
            DataType value = fromDelta(m.getValueType());
            return value != null && value.isPrimitive() ? DataType.map(value) : null;
        }
        return null;
    }

    /**
     * @throws SchemaMismatchException if a column has a type StreamLake cannot represent
     */
    static Schema fromDelta(StructType struct, String location) {
        List<Field> fields = new ArrayList<>();
        for (StructField f : struct.getFields()) {
            DataType type = fromDelta(f.getDataType());
            if (type == null) {
                throw DeltaErrors.unsupportedColumnType(location, f.getName(), f.getDataType().getSimpleString());
            }
            fields.add(f.isNullable() ? Field.optional(f.getName(), type) : Field.required(f.getName(), type));
        }
        if (fields.isEmpty()) {
            throw DeltaErrors.noColumns(location);
        }
        return Schema.of(fields);
    }

    /** The representable columns only: enough to parse file statistics of any table. */
    static Map<String, DataType> statsTypes(StructType struct) {
        Map<String, DataType> types = new LinkedHashMap<>();
        for (StructField f : struct.getFields()) {
            DataType type = fromDelta(f.getDataType());
            if (type != null) {
                types.put(f.getName(), type);
            }
        }
        return Collections.unmodifiableMap(types);
    }

    static Map<String, DataType> statsTypes(Schema schema) {
        Map<String, DataType> types = new LinkedHashMap<>();
        for (Field f : schema.fields()) {
            types.put(f.name(), f.type());
        }
        return Collections.unmodifiableMap(types);
    }

    /**
     * @throws SchemaMismatchException naming the first column whose name Delta would refuse
     */
    static void checkColumnNames(Schema schema) {
        for (Field f : schema.fields()) {
            for (int i = 0; i < f.name().length(); i++) {
                char c = f.name().charAt(i);
                if (INVALID_NAME_CHARS.indexOf(c) >= 0) {
                    throw DeltaErrors.invalidColumnName(f.name(), c);
                }
            }
        }
    }

    /** @return whether a decimal's unscaled values are stored as INT32 rather than INT64 */
    static boolean isIntDecimal(DataType type) {
        return type.kind() == DataType.Kind.DECIMAL && type.precision() <= 9;
    }

    static MessageType toParquet(Schema schema) {
        List<Type> columns = new ArrayList<>(schema.size());
        for (Field f : schema.fields()) {
            Repetition repetition = f.nullable() ? Repetition.OPTIONAL : Repetition.REQUIRED;
            columns.add(toParquet(f.type(), repetition, f.name()));
        }
        // Spark's name for the root; some tools print it.
        return new MessageType("spark_schema", columns);
    }

    private static Type toParquet(DataType type, Repetition repetition, String name) {
        return switch (type.kind()) {
            case STRING -> Types.primitive(PrimitiveTypeName.BINARY, repetition)
                    .as(LogicalTypeAnnotation.stringType()).named(name);
            case INT -> Types.primitive(PrimitiveTypeName.INT32, repetition).named(name);
            case LONG -> Types.primitive(PrimitiveTypeName.INT64, repetition).named(name);
            case DOUBLE -> Types.primitive(PrimitiveTypeName.DOUBLE, repetition).named(name);
            case BOOLEAN -> Types.primitive(PrimitiveTypeName.BOOLEAN, repetition).named(name);
            case BINARY -> Types.primitive(PrimitiveTypeName.BINARY, repetition).named(name);
            case TIMESTAMP -> Types.primitive(PrimitiveTypeName.INT64, repetition)
                    .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS))
                    .named(name);
            case DATE -> Types.primitive(PrimitiveTypeName.INT32, repetition)
                    .as(LogicalTypeAnnotation.dateType()).named(name);
            // INT32 up to 9 digits, as Spark writes and the Parquet spec asks (parquet-mr warns on every
            // schema it builds otherwise, readers included); INT64 up to 18.
            case DECIMAL -> Types.primitive(isIntDecimal(type) ? PrimitiveTypeName.INT32 : PrimitiveTypeName.INT64,
                    repetition)
                    .as(LogicalTypeAnnotation.decimalType(type.scale(), type.precision())).named(name);
            case MAP -> {
                // The standard three-level layout that Spark, Kernel and the Parquet spec agree on.
                GroupType keyValue = new GroupType(Repetition.REPEATED, "key_value",
                        toParquet(DataType.STRING, Repetition.REQUIRED, "key"),
                        toParquet(type.valueType(), Repetition.OPTIONAL, "value"));
                yield Types.buildGroup(repetition).as(LogicalTypeAnnotation.mapType()).addField(keyValue).named(name);
            }
        };
    }
}
