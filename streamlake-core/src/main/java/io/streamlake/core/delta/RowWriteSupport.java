package io.streamlake.core.delta;

import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.jspecify.annotations.Nullable;

/**
 * Writes {@link Row}s to Parquet and gathers the Delta statistics of the file on the way.
 *
 * <p>Writing a row has two passes. {@link #prepare(Row)} converts every value that can be refused
 * (decimals that do not fit, timestamps and dates out of range, map entries of the wrong class)
 * before anything reaches Parquet, so a bad row leaves the file intact and the writer usable.
 * {@link #write(Row)} then cannot fail except on I/O.
 */
final class RowWriteSupport extends WriteSupport<Row> {

    /** Longer strings get no bounds, as a missing bound only means "unknown". */
    static final int MAX_STRING_BOUND_LENGTH = 256;

    private final Schema schema;
    private final MessageType parquetSchema;
    private final String[] names;
    private final DataType[] types;
    private final DataType.Kind[] kinds;
    private final boolean[] intDecimal;
    /** The row position of each file column. */
    private final int[] positions;
    /** Converted values of the row being written (micros, epoch days, unscaled decimals), by column. */
    private final long[] prepared;
    private final ColumnStats[] stats;
    private @Nullable RecordConsumer out;
    /** UTF-8 bytes of the string being written, reused across values (Parquet copies what it keeps). */
    private final Utf8Buffer utf8 = new Utf8Buffer();
    /**
     * Bytes of strings and binaries written since {@link #takeBinaryBytes()} last looked: the file
     * looks at its buffered size by them, so that rows of large values cut row groups by bytes.
     */
    private long binaryBytes;

    RowWriteSupport(Schema schema) {
        this(schema, Set.of());
    }

    /**
     * @param schema the rows' schema
     * @param omitted columns left out of the file: a partitioned table's partition columns, whose
     *     values the log holds
     */
    RowWriteSupport(Schema schema, Set<String> omitted) {
        this.schema = schema;
        List<Field> written = new ArrayList<>();
        for (Field f : schema.fields()) {
            if (!omitted.contains(f.name())) {
                written.add(f);
            }
        }
        Schema fileSchema = omitted.isEmpty() ? schema : Schema.of(written);
        this.parquetSchema = DeltaSchemas.toParquet(fileSchema);
        int n = fileSchema.size();
        this.positions = new int[n];
        this.names = new String[n];
        this.types = new DataType[n];
        this.kinds = new DataType.Kind[n];
        this.intDecimal = new boolean[n];
        this.prepared = new long[n];
        this.stats = new ColumnStats[n];
        for (int i = 0; i < n; i++) {
            Field f = fileSchema.field(i);
            positions[i] = schema.indexOf(f.name());
            names[i] = f.name();
            types[i] = f.type();
            kinds[i] = f.type().kind();
            intDecimal[i] = DeltaSchemas.isIntDecimal(f.type());
            stats[i] = new ColumnStats(f.type());
        }
    }

    // Abstract (and deprecated) in Parquet's WriteSupport: it must be implemented all the same.
    @Override
    @SuppressWarnings("deprecation")
    public WriteContext init(Configuration configuration) {
        return new WriteContext(parquetSchema, Map.of());
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
        return new WriteContext(parquetSchema, Map.of());
    }

    @Override
    public String getName() {
        return "streamlake";
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
        this.out = recordConsumer;
    }

    /**
     * Checks and converts the values of a row without writing anything.
     *
     * @throws IllegalArgumentException if the row has another schema
     * @throws SchemaMismatchException naming the column whose value does not fit its type
     */
    void prepare(Row row) {
        if (row.schema() != schema && !row.schema().equals(schema)) {
            throw DeltaErrors.rowOfAnotherSchema(row.schema(), schema);
        }
        for (int i = 0; i < kinds.length; i++) {
            Object v = row.value(positions[i]);
            if (v == null) {
                continue;
            }
            switch (kinds[i]) {
                case TIMESTAMP -> prepared[i] = micros(names[i], (Instant) v);
                case DATE -> prepared[i] = epochDay(names[i], (LocalDate) v);
                case DECIMAL -> prepared[i] = unscaled(names[i], (BigDecimal) v, types[i]);
                case MAP -> checkMap(names[i], (Map<?, ?>) v, types[i].valueType());
                default -> {
                    // Row already checked the class; nothing else can be refused.
                }
            }
        }
    }

    /** Writes a row that {@link #prepare(Row)} accepted just before. */
    @Override
    public void write(Row row) {
        RecordConsumer rc = out;
        rc.startMessage();
        for (int i = 0; i < kinds.length; i++) {
            Object v = row.value(positions[i]);
            ColumnStats s = stats[i];
            if (v == null) {
                s.nulls++;
                continue;
            }
            rc.startField(names[i], i);
            switch (kinds[i]) {
                case STRING -> {
                    String str = (String) v;
                    rc.addBinary(utf8(str));
                    s.string(str);
                }
                case INT -> {
                    int x = (Integer) v;
                    rc.addInteger(x);
                    s.integral(x);
                }
                case LONG -> {
                    long x = (Long) v;
                    rc.addLong(x);
                    s.integral(x);
                }
                case DOUBLE -> {
                    double x = (Double) v;
                    rc.addDouble(x);
                    s.floating(x);
                }
                case BOOLEAN -> rc.addBoolean((Boolean) v);
                case BINARY -> rc.addBinary(binary((byte[]) v));
                case DATE -> {
                    rc.addInteger((int) prepared[i]);
                    s.integral(prepared[i]);
                }
                case TIMESTAMP -> {
                    rc.addLong(prepared[i]);
                    s.integral(prepared[i]);
                }
                case DECIMAL -> {
                    if (intDecimal[i]) {
                        rc.addInteger((int) prepared[i]);
                    } else {
                        rc.addLong(prepared[i]);
                    }
                    s.integral(prepared[i]);
                }
                case MAP -> writeMap((Map<?, ?>) v, types[i].valueType());
            }
            rc.endField(names[i], i);
        }
        rc.endMessage();
    }

    private void writeMap(Map<?, ?> map, DataType valueType) {
        RecordConsumer rc = out;
        rc.startGroup();
        if (!map.isEmpty()) {
            rc.startField("key_value", 0);
            for (Map.Entry<?, ?> e : map.entrySet()) {
                rc.startGroup();
                rc.startField("key", 0);
                rc.addBinary(utf8((String) e.getKey()));
                rc.endField("key", 0);
                Object value = e.getValue();
                if (value != null) {
                    rc.startField("value", 1);
                    writeMapValue(value, valueType);
                    rc.endField("value", 1);
                }
                rc.endGroup();
            }
            rc.endField("key_value", 0);
        }
        rc.endGroup();
    }

    private void writeMapValue(Object v, DataType type) {
        RecordConsumer rc = out;
        switch (type.kind()) {
            case STRING -> rc.addBinary(utf8((String) v));
            case INT -> rc.addInteger((Integer) v);
            case LONG -> rc.addLong((Long) v);
            case DOUBLE -> rc.addDouble((Double) v);
            case BOOLEAN -> rc.addBoolean((Boolean) v);
            case BINARY -> rc.addBinary(binary((byte[]) v));
            case TIMESTAMP -> rc.addLong(micros("map value", (Instant) v));
            case DATE -> rc.addInteger((int) epochDay("map value", (LocalDate) v));
            case DECIMAL -> {
                long unscaled = unscaled("map value", (BigDecimal) v, type);
                if (DeltaSchemas.isIntDecimal(type)) {
                    rc.addInteger((int) unscaled);
                } else {
                    rc.addLong(unscaled);
                }
            }
            case MAP -> throw new IllegalStateException("nested maps are not supported");
        }
    }

    private static void checkMap(String column, Map<?, ?> map, DataType valueType) {
        Class<?> expected = Row.javaClass(valueType);
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String)) {
                throw DeltaErrors.mapKeyNotString(column, e.getKey());
            }
            Object value = e.getValue();
            if (value == null) {
                continue;
            }
            if (!expected.isInstance(value)) {
                throw DeltaErrors.mapValueType(column, expected.getSimpleName(), e.getKey(), value);
            }
            // Convert once here so that the write pass cannot fail half-way through a record.
            switch (valueType.kind()) {
                case TIMESTAMP -> micros(column, (Instant) value);
                case DATE -> epochDay(column, (LocalDate) value);
                case DECIMAL -> unscaled(column, (BigDecimal) value, valueType);
                default -> {
                }
            }
        }
    }

    static long micros(String column, Instant t) {
        try {
            return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
        } catch (ArithmeticException e) {
            throw DeltaErrors.timestampOutOfRange(column, t);
        }
    }

    private static long epochDay(String column, LocalDate d) {
        long day = d.toEpochDay();
        if (day != (int) day) {
            throw DeltaErrors.dateOutOfRange(column, d);
        }
        return day;
    }

    static long unscaled(String column, BigDecimal value, DataType type) {
        BigDecimal v = value;
        if (v.scale() != type.scale()) {
            try {
                v = v.setScale(type.scale());
            } catch (ArithmeticException e) {
                throw DeltaErrors.decimalScale(column, type, value.toPlainString());
            }
        }
        if (v.precision() > type.precision() && v.signum() != 0) {
            throw DeltaErrors.decimalPrecision(column, type, value.toPlainString());
        }
        return v.unscaledValue().longValueExact();
    }

    private Binary utf8(String s) {
        Binary b = utf8.encode(s);
        binaryBytes += b.length();
        return b;
    }

    private Binary binary(byte[] v) {
        binaryBytes += v.length;
        return Binary.fromConstantByteArray(v);
    }

    /** @return the Parquet schema of the file */
    MessageType parquetSchema() {
        return parquetSchema;
    }

    /** @return the statistics of the file's columns, in its order, for rows written without this class */
    ColumnStats[] stats() {
        return stats;
    }

    /** @return the bytes of strings and binaries written since the last call */
    long takeBinaryBytes() {
        long b = binaryBytes;
        binaryBytes = 0;
        return b;
    }

    /** @return minimum per column with known bounds, as Row values */
    Map<String, Object> minValues() {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < stats.length; i++) {
            Object v = stats[i].min();
            if (v != null) {
                m.put(names[i], v);
            }
        }
        return m;
    }

    /** @return maximum per column with known bounds, as Row values */
    Map<String, Object> maxValues() {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < stats.length; i++) {
            Object v = stats[i].max();
            if (v != null) {
                m.put(names[i], v);
            }
        }
        return m;
    }

    /** @return null count of every column but maps */
    Map<String, Long> nullCounts() {
        Map<String, Long> m = new HashMap<>();
        for (int i = 0; i < stats.length; i++) {
            if (kinds[i] != DataType.Kind.MAP) {
                m.put(names[i], stats[i].nulls);
            }
        }
        return m;
    }
}
