package io.streamlake.core.delta;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.jspecify.annotations.Nullable;

/**
 * Reads Parquet records as {@link Row}s of a requested schema. Columns are matched by name; a
 * requested column the file lacks reads as null. Besides StreamLake's own layout it accepts what
 * other Delta writers commonly produce for the same types (INT32 or binary decimals, millisecond
 * or INT96 timestamps, float for double) so that rewriting a file written by Spark works too.
 */
final class RowReadSupport extends ReadSupport<Row> {

    /** A file column that cannot be read as the requested type; the caller adds the file's name. */
    static final class IncompatibleColumnException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        IncompatibleColumnException(String message) {
            super(message);
        }
    }

    private final Schema schema;
    /** Values of columns the file does not hold (a partitioned table's partition values), by position. */
    private final @Nullable Object @Nullable [] constants;
    private final Set<String> constantColumns;

    RowReadSupport(Schema schema) {
        this(schema, Map.of());
    }

    /**
     * @param constants values of columns every row has and the file does not store: partition values
     */
    RowReadSupport(Schema schema, Map<String, @Nullable Object> constants) {
        this.schema = schema;
        Object[] values = null;
        if (!constants.isEmpty()) {
            values = new Object[schema.size()];
            for (Map.Entry<String, @Nullable Object> e : constants.entrySet()) {
                values[schema.indexOf(e.getKey())] = e.getValue();
            }
        }
        this.constants = values;
        this.constantColumns = Set.copyOf(constants.keySet());
    }

    @Override
    public ReadContext init(InitContext context) {
        MessageType file = context.getFileSchema();
        List<Type> requested = new ArrayList<>();
        for (Field f : schema.fields()) {
            if (constantColumns.contains(f.name())) {
                continue;
            }
            if (file.containsField(f.name())) {
                Type t = file.getType(f.name());
                // Fail before reading any record, naming the column.
                converter(f.type(), t, f.name(), new Object[1], 0);
                requested.add(t);
            } else if (!f.nullable()) {
                throw new IncompatibleColumnException("required column '" + f.name()
                        + "' is missing from the file (it has " + columnNames(file) + ")");
            }
        }
        return new ReadContext(new MessageType(file.getName(), requested));
    }

    // Abstract (and deprecated) in Parquet's ReadSupport: it must be implemented all the same.
    @Override
    @SuppressWarnings("deprecation")
    public RecordMaterializer<Row> prepareForRead(Configuration configuration, Map<String, String> keyValueMetaData,
            MessageType fileSchema, ReadContext readContext) {
        return new Materializer(schema, readContext.getRequestedSchema(), constants);
    }

    @Override
    public RecordMaterializer<Row> prepareForRead(ParquetConfiguration configuration,
            Map<String, String> keyValueMetaData, MessageType fileSchema, ReadContext readContext) {
        return new Materializer(schema, readContext.getRequestedSchema(), constants);
    }

    private static String columnNames(GroupType group) {
        List<String> names = new ArrayList<>();
        for (Type t : group.getFields()) {
            names.add(t.getName());
        }
        return names.toString();
    }

    /** Fills one reused value array per record; Row.of copies it. */
    private static final class Materializer extends RecordMaterializer<Row> {
        private final Schema schema;
        private final Object[] values;
        private final GroupConverter root;

        Materializer(Schema schema, MessageType requested, @Nullable Object @Nullable [] constants) {
            this.schema = schema;
            this.values = new Object[schema.size()];
            Converter[] children = new Converter[requested.getFieldCount()];
            for (int i = 0; i < children.length; i++) {
                Type t = requested.getType(i);
                int index = schema.indexOf(t.getName());
                children[i] = converter(schema.field(index).type(), t, t.getName(), values, index);
            }
            this.root = new GroupConverter() {
                @Override
                public Converter getConverter(int fieldIndex) {
                    return children[fieldIndex];
                }

                @Override
                public void start() {
                    if (constants == null) {
                        Arrays.fill(values, null);
                    } else {
                        System.arraycopy(constants, 0, values, 0, values.length);
                    }
                }

                @Override
                public void end() {
                }
            };
        }

        @Override
        public Row getCurrentRecord() {
            return Row.of(schema, values);
        }

        @Override
        public GroupConverter getRootConverter() {
            return root;
        }
    }

    static Converter converter(DataType type, Type fileType, String column, Object[] target, int index) {
        if (type.kind() == DataType.Kind.MAP) {
            return mapConverter(type, fileType, column, target, index);
        }
        if (!fileType.isPrimitive() || fileType.isRepetition(Type.Repetition.REPEATED)) {
            throw incompatible(column, fileType, type);
        }
        PrimitiveType p = fileType.asPrimitiveType();
        PrimitiveTypeName physical = p.getPrimitiveTypeName();
        LogicalTypeAnnotation logical = p.getLogicalTypeAnnotation();
        switch (type.kind()) {
            case STRING -> {
                if (physical == PrimitiveTypeName.BINARY) {
                    return new StringConverter(target, index);
                }
            }
            case INT -> {
                if (physical == PrimitiveTypeName.INT32 && (logical == null
                        || logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i && i.isSigned())) {
                    return new Slot(target, index) {
                        @Override
                        public void addInt(int value) {
                            set(value);
                        }
                    };
                }
            }
            case LONG -> {
                if ((physical == PrimitiveTypeName.INT64 || physical == PrimitiveTypeName.INT32) && (logical == null
                        || logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i && i.isSigned())) {
                    return new Slot(target, index) {
                        @Override
                        public void addLong(long value) {
                            set(value);
                        }

                        @Override
                        public void addInt(int value) {
                            set((long) value);
                        }
                    };
                }
            }
            case DOUBLE -> {
                if (physical == PrimitiveTypeName.DOUBLE || physical == PrimitiveTypeName.FLOAT) {
                    return new Slot(target, index) {
                        @Override
                        public void addDouble(double value) {
                            set(value);
                        }

                        @Override
                        public void addFloat(float value) {
                            set((double) value);
                        }
                    };
                }
            }
            case BOOLEAN -> {
                if (physical == PrimitiveTypeName.BOOLEAN) {
                    return new Slot(target, index) {
                        @Override
                        public void addBoolean(boolean value) {
                            set(value);
                        }
                    };
                }
            }
            case BINARY -> {
                if (physical == PrimitiveTypeName.BINARY || physical == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
                    return new Slot(target, index) {
                        @Override
                        public void addBinary(Binary value) {
                            set(bytes(value));
                        }
                    };
                }
            }
            case DATE -> {
                if (physical == PrimitiveTypeName.INT32) {
                    return new Slot(target, index) {
                        @Override
                        public void addInt(int value) {
                            set(LocalDate.ofEpochDay(value));
                        }
                    };
                }
            }
            case TIMESTAMP -> {
                Slot s = timestampConverter(physical, logical, target, index);
                if (s != null) {
                    return s;
                }
            }
            case DECIMAL -> {
                if (logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation d
                        && physical != PrimitiveTypeName.BOOLEAN && physical != PrimitiveTypeName.FLOAT
                        && physical != PrimitiveTypeName.DOUBLE && physical != PrimitiveTypeName.INT96) {
                    return new DecimalConverter(target, index, d.getScale(), type.scale());
                }
            }
            case MAP -> throw new IllegalStateException("handled above");
        }
        throw incompatible(column, fileType, type);
    }

    private static @Nullable Slot timestampConverter(PrimitiveTypeName physical,
            @Nullable LogicalTypeAnnotation logical,
            Object[] target, int index) {
        if (physical == PrimitiveTypeName.INT96) {
            // Legacy Spark/Impala layout: nanoseconds of the day, then the Julian day, little-endian.
            return new Slot(target, index) {
                @Override
                public void addBinary(Binary value) {
                    ByteBuffer b = value.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                    long nanosOfDay = b.getLong();
                    long epochDay = b.getInt() - 2_440_588L;
                    set(Instant.ofEpochSecond(epochDay * 86_400L, nanosOfDay));
                }
            };
        }
        if (physical != PrimitiveTypeName.INT64) {
            return null;
        }
        LogicalTypeAnnotation.TimeUnit unit = logical instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation t
                ? t.getUnit() : logical == null ? LogicalTypeAnnotation.TimeUnit.MICROS : null;
        if (unit == null) {
            return null;
        }
        return switch (unit) {
            case MILLIS -> new Slot(target, index) {
                @Override
                public void addLong(long value) {
                    set(Instant.ofEpochMilli(value));
                }
            };
            case MICROS -> new Slot(target, index) {
                @Override
                public void addLong(long value) {
                    set(Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000L),
                            Math.floorMod(value, 1_000_000L) * 1_000L));
                }
            };
            case NANOS -> new Slot(target, index) {
                @Override
                public void addLong(long value) {
                    set(Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000_000L),
                            Math.floorMod(value, 1_000_000_000L)));
                }
            };
        };
    }

    private static Converter mapConverter(DataType type, Type fileType, String column, Object[] target, int index) {
        if (fileType.isPrimitive() || fileType.isRepetition(Type.Repetition.REPEATED)) {
            throw incompatible(column, fileType, type);
        }
        GroupType map = fileType.asGroupType();
        LogicalTypeAnnotation logical = map.getLogicalTypeAnnotation();
        boolean annotated = logical instanceof LogicalTypeAnnotation.MapLogicalTypeAnnotation
                || logical instanceof LogicalTypeAnnotation.MapKeyValueTypeAnnotation;
        if (!annotated || map.getFieldCount() != 1 || map.getType(0).isPrimitive()
                || !map.getType(0).isRepetition(Type.Repetition.REPEATED)) {
            throw incompatible(column, fileType, type);
        }
        GroupType keyValue = map.getType(0).asGroupType();
        if (!keyValue.containsField("key")) {
            throw incompatible(column, fileType, type);
        }
        return new MapConverter(target, index, keyValue, type.valueType(), column, fileType, type);
    }

    private static IncompatibleColumnException incompatible(String column, Type fileType, DataType type) {
        return new IncompatibleColumnException("column '" + column + "' is stored as '" + fileType
                + "' in the file, which cannot be read as " + type);
    }

    /** Copies: Parquet may hand out a slice of a page buffer or a dictionary entry shared by rows. */
    private static byte[] bytes(Binary value) {
        byte[] out = new byte[value.length()];
        value.toByteBuffer().get(out);
        return out;
    }

    /** A primitive converter that stores its value into one slot of a value array. */
    private static class Slot extends PrimitiveConverter {
        private final Object[] target;
        private final int index;

        Slot(Object[] target, int index) {
            this.target = target;
            this.index = index;
        }

        final void set(Object value) {
            target[index] = value;
        }
    }

    /** Decodes a dictionary page once, so repeated strings (keys, topics) are not decoded per row. */
    private static final class StringConverter extends Slot {
        private String[] dictionary = new String[0];

        StringConverter(Object[] target, int index) {
            super(target, index);
        }

        @Override
        public void addBinary(Binary value) {
            set(value.toStringUsingUTF8());
        }

        @Override
        public boolean hasDictionarySupport() {
            return true;
        }

        @Override
        public void setDictionary(Dictionary d) {
            String[] decoded = new String[d.getMaxId() + 1];
            for (int i = 0; i < decoded.length; i++) {
                decoded[i] = d.decodeToBinary(i).toStringUsingUTF8();
            }
            dictionary = decoded;
        }

        @Override
        public void addValueFromDictionary(int dictionaryId) {
            set(dictionary[dictionaryId]);
        }
    }

    private static final class DecimalConverter extends Slot {
        private final int fileScale;
        private final int scale;

        DecimalConverter(Object[] target, int index, int fileScale, int scale) {
            super(target, index);
            this.fileScale = fileScale;
            this.scale = scale;
        }

        @Override
        public void addInt(int value) {
            set(rescale(BigDecimal.valueOf(value, fileScale)));
        }

        @Override
        public void addLong(long value) {
            set(rescale(BigDecimal.valueOf(value, fileScale)));
        }

        @Override
        public void addBinary(Binary value) {
            set(rescale(new BigDecimal(new BigInteger(value.getBytes()), fileScale)));
        }

        private BigDecimal rescale(BigDecimal v) {
            // A file of another scale (another writer) reads exactly or not at all.
            return fileScale == scale ? v : v.setScale(scale);
        }
    }

    private static final class MapConverter extends GroupConverter {
        private final Object[] target;
        private final int index;
        private final Object[] entry = new Object[2];
        private final GroupConverter keyValue;
        private Map<String, Object> map = new LinkedHashMap<>();

        MapConverter(Object[] target, int index, GroupType keyValueType, DataType valueType, String column,
                Type fileType, DataType type) {
            this.target = target;
            this.index = index;
            Converter[] children = new Converter[keyValueType.getFieldCount()];
            for (int i = 0; i < children.length; i++) {
                Type t = keyValueType.getType(i);
                if (t.getName().equals("key")) {
                    children[i] = converter(DataType.STRING, t, column + ".key", entry, 0);
                } else if (t.getName().equals("value")) {
                    children[i] = converter(valueType, t, column + ".value", entry, 1);
                } else {
                    throw incompatible(column, fileType, type);
                }
            }
            this.keyValue = new GroupConverter() {
                @Override
                public Converter getConverter(int fieldIndex) {
                    return children[fieldIndex];
                }

                @Override
                public void start() {
                    entry[0] = null;
                    entry[1] = null;
                }

                @Override
                public void end() {
                    map.put((String) entry[0], entry[1]);
                }
            };
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return keyValue;
        }

        @Override
        public void start() {
            map = new LinkedHashMap<>();
        }

        @Override
        public void end() {
            target[index] = Collections.unmodifiableMap(map);
        }
    }
}
