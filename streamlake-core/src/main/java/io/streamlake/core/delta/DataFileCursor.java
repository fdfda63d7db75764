package io.streamlake.core.delta;

import io.streamlake.core.util.RowCursor;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.jspecify.annotations.Nullable;

/**
 * The rows of one data file of a {@link DeltaTable}, one at a time, as Parquet's column readers hold
 * them: what a merge reads so that it can copy the rows it does not touch into a new file as they
 * are ({@link #copyTo}), without turning their values into Java objects and back, and turn into
 * {@link Row}s only the few it needs ({@link #row()}, {@link #value(int)}).
 *
 * <p>Why: a silver merge over uniformly spread keys rewrites every file of the table, and most of
 * each file's rows are copies. Read as rows and written back, each copied row cost a {@code Row}, a
 * string per text column, an {@code Instant} per timestamp and a {@code BigDecimal} per decimal, the
 * record assembly both ways and UTF-8 encoding again: more than half of silver's time, and most of
 * its garbage. A copy here moves each column's value from the reader to the writer as Parquet
 * decoded it.
 *
 * <p>Only for what the copy can take exactly: an unpartitioned file whose Parquet schema is the one
 * this library writes for the schema asked for, all of whose columns are flat (no maps). A file
 * written by another engine, under an older schema, or with a map column gets no cursor
 * ({@link #open} returns null), and the caller reads it as rows.
 *
 * <p>Not thread-safe: one thread reads a cursor. It holds one row group of the file at a time.
 */
final class DataFileCursor implements RowCursor {
    private final DeltaTable table;
    private final String file;
    private final Schema schema;
    private final MessageType parquetSchema;
    private final List<ColumnDescriptor> descriptors;
    private final PrimitiveTypeName[] physical;
    private final DataType.Kind[] kinds;
    private final int[] maxDefinition;
    private final String createdBy;
    /** Where the converters put the values of a row being turned into a {@link Row}. */
    private final @Nullable Object[] values;
    /** The values of {@link #row()}, which {@code Row.of} copies. */
    private final @Nullable Object[] rowValues;
    private final GroupConverter root;
    private @Nullable ParquetFileReader reader;
    private ColumnReader[] columns = new ColumnReader[0];
    private long rowsLeftInGroup;
    /** Whether the readers stand on a row that {@link #next} returned. */
    private boolean onRow;

    private DataFileCursor(DeltaTable table, String file, Schema schema, MessageType parquetSchema,
            ParquetFileReader reader, String createdBy) {
        this.table = table;
        this.file = file;
        this.schema = schema;
        this.parquetSchema = parquetSchema;
        this.reader = reader;
        this.createdBy = createdBy;
        this.descriptors = parquetSchema.getColumns();
        int n = descriptors.size();
        this.physical = new PrimitiveTypeName[n];
        this.kinds = new DataType.Kind[n];
        this.maxDefinition = new int[n];
        this.values = new Object[n];
        this.rowValues = new Object[n];
        Converter[] converters = new Converter[n];
        for (int i = 0; i < n; i++) {
            ColumnDescriptor d = descriptors.get(i);
            physical[i] = d.getPrimitiveType().getPrimitiveTypeName();
            kinds[i] = schema.field(i).type().kind();
            maxDefinition[i] = d.getMaxDefinitionLevel();
            Type t = parquetSchema.getType(i);
            converters[i] = RowReadSupport.converter(schema.field(i).type(), t, t.getName(), values, i);
        }
        this.root = new GroupConverter() {
            @Override
            public Converter getConverter(int fieldIndex) {
                return converters[fieldIndex];
            }

            @Override
            public void start() {
                // driven column by column, never as a record
            }

            @Override
            public void end() {
            }
        };
    }

    /**
     * Opens a cursor over a data file, if the file is one it can copy exactly.
     *
     * @param table the table
     * @param file one of its data files
     * @param schema the schema the caller reads and writes the table's rows with
     * @return the cursor, or null when the file must be read as rows: a partitioned
     *     or nested file, or a file whose Parquet schema is not exactly what this library writes for
     *     {@code schema}
     * @throws io.streamlake.exceptions.SinkException if the file cannot be opened or its footer read
     */
    static @Nullable DataFileCursor open(DeltaTable delta, DataFile file, Schema schema) {
        if (!file.partitionValues().isEmpty() || !flat(schema)) {
            return null;
        }
        MessageType expected = DeltaSchemas.toParquet(schema);
        ParquetFileReader reader = openWrittenFor(delta, file, expected);
        if (reader == null) {
            return null;
        }
        String createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
        return new DataFileCursor(delta, file.path(), schema, expected, reader, createdBy);
    }

    /**
     * Opens a data file's footer if its Parquet schema is exactly {@code expected}: what this library
     * writes for the schema, which a cursor and a join ({@link JoinedFile}) can take as it is.
     *
     * @return the open reader, or null (nothing left open) for a file of any other schema
     * @throws io.streamlake.exceptions.SinkException if the file cannot be opened or its footer read
     */
    static @Nullable ParquetFileReader openWrittenFor(DeltaTable delta, DataFile file, MessageType expected) {
        Path path = delta.resolve(file.path());
        ParquetFileReader reader;
        try {
            reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, delta.conf()),
                    HadoopReadOptions.builder(delta.conf()).build());
        } catch (IOException | RuntimeException e) {
            throw delta.readFailure(file.path(), e);
        }
        if (!reader.getFooter().getFileMetaData().getSchema().getFields().equals(expected.getFields())) {
            closeQuietly(reader);
            return null;
        }
        return reader;
    }

    /** Whether every column is a plain value: one Parquet column each, one value per row. */
    private static boolean flat(Schema schema) {
        for (Field f : schema.fields()) {
            if (f.type().kind() == DataType.Kind.MAP) {
                return false;
            }
        }
        return true;
    }

    /**
     * Moves to the next row.
     *
     * @return false at the end of the file, which is then closed
     */
    @Override
    public boolean next() {
        try {
            if (onRow && rowsLeftInGroup > 0) {
                for (int i = 0; i < columns.length; i++) {
                    ColumnReader c = columns[i];
                    if (c.getCurrentDefinitionLevel() == maxDefinition[i]) {
                        c.skip(); // a value not read stays in the page's stream until skipped
                    }
                    c.consume();
                }
            }
            while (rowsLeftInGroup == 0) {
                ParquetFileReader r = reader;
                PageReadStore group = r == null ? null : r.readNextRowGroup();
                if (group == null) {
                    close();
                    onRow = false;
                    return false;
                }
                rowsLeftInGroup = group.getRowCount();
                ColumnReadStoreImpl store = new ColumnReadStoreImpl(group, root, parquetSchema, createdBy);
                ColumnReader[] c = new ColumnReader[descriptors.size()];
                for (int i = 0; i < c.length; i++) {
                    c[i] = store.getColumnReader(descriptors.get(i));
                }
                columns = c;
                onRow = false;
            }
            rowsLeftInGroup--;
            onRow = true;
            return true;
        } catch (IOException | RuntimeException e) {
            close();
            throw table.readFailure(file, e);
        }
    }

    /**
     * @param column a column's position in the schema
     * @return the current row's value of that column, as a {@link Row} holds it
     */
    @Override
    public @Nullable Object value(int column) {
        ColumnReader c = columns[column];
        if (c.getCurrentDefinitionLevel() != maxDefinition[column]) {
            return null;
        }
        try {
            c.writeCurrentValueToConverter();
        } catch (RuntimeException e) {
            throw table.readFailure(file, e);
        }
        Object v = values[column];
        values[column] = null;
        return v;
    }

    @Override
    public Row row() {
        for (int i = 0; i < rowValues.length; i++) {
            rowValues[i] = value(i);
        }
        return Row.of(schema, rowValues);
    }

    /** Copies into a new data file of a Delta table, unpartitioned, whose Parquet schema is this file's. */
    @Override
    public long copyTo(DataFileWriter writer) {
        return writer instanceof DeltaFileWriter w ? w.copy(this) : -1;
    }

    /** @return the Parquet schema of the file, for the writer's check that it writes the same */
    MessageType parquetSchema() {
        return parquetSchema;
    }

    /**
     * Writes the current row's values into one row group's column writers, as read, and counts them
     * into the file's statistics.
     *
     * @param out the writers, in the schema's order
     * @param stats the file's statistics, in the same order
     * @return the bytes of the row's strings and binaries
     */
    long writeTo(ColumnWriter[] out, ColumnStats[] stats) {
        long bytes = 0;
        try {
            for (int i = 0; i < columns.length; i++) {
                ColumnReader c = columns[i];
                int dl = c.getCurrentDefinitionLevel();
                ColumnStats s = stats[i];
                if (dl != maxDefinition[i]) {
                    out[i].writeNull(0, dl);
                    s.nulls++;
                    continue;
                }
                switch (physical[i]) {
                    case BINARY, FIXED_LEN_BYTE_ARRAY -> {
                        Binary b = c.getBinary();
                        out[i].write(b, 0, dl);
                        bytes += b.length();
                        if (kinds[i] == DataType.Kind.STRING) {
                            s.utf8(b);
                        }
                    }
                    case INT32 -> {
                        int x = c.getInteger();
                        out[i].write(x, 0, dl);
                        s.integral(x); // ints, dates and decimals: bounded as RowWriteSupport bounds them
                    }
                    case INT64 -> {
                        long x = c.getLong();
                        out[i].write(x, 0, dl);
                        s.integral(x);
                    }
                    case DOUBLE -> {
                        double x = c.getDouble();
                        out[i].write(x, 0, dl);
                        s.floating(x);
                    }
                    case BOOLEAN -> out[i].write(c.getBoolean(), 0, dl);
                    case FLOAT -> out[i].write(c.getFloat(), 0, dl);
                    case INT96 -> throw new IllegalStateException("INT96 is not a type this library writes");
                }
            }
        } catch (RuntimeException e) {
            throw table.readFailure(file, e);
        }
        return bytes;
    }

    @Override
    public void close() {
        ParquetFileReader r = reader;
        reader = null;
        columns = new ColumnReader[0];
        rowsLeftInGroup = 0;
        if (r != null) {
            closeQuietly(r);
        }
    }

    private static void closeQuietly(ParquetFileReader r) {
        try {
            r.close();
        } catch (IOException | RuntimeException e) {
            // Read to the end or given up on: nothing is lost with the stream.
        }
    }

    @Override
    public String toString() {
        return "DataFileCursor[" + file + ", columns " + Arrays.toString(kinds) + "]";
    }
}
