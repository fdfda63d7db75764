package io.streamlake.core.delta;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PartitionValues;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.jspecify.annotations.Nullable;

/**
 * Streams rows into one new snappy Parquet file at the table root, through {@link ParquetColumnFile}
 * (not parquet-hadoop's {@code ParquetWriter}, whose builder cannot be given writer properties of the
 * file's own). Not thread-safe, like any writer.
 */
final class DeltaFileWriter extends ParquetDataFile implements DataFileWriter {
    private final RowWriteSupport support;
    private final Map<String, @Nullable String> partitionValues;
    private final int[] partitionPositions;
    private final @Nullable Object[] partitionTyped;
    private final MessageColumnIO columnIO;
    private @Nullable ParquetColumnFile file;
    /** The current row group's record assembler, which the write support writes through. */
    private @Nullable RecordConsumer consumer;
    /** The current row group's columns and their writers, which copies write straight into. */
    private @Nullable ColumnWriteStore columns;
    private ColumnWriter[] writers = new ColumnWriter[0];
    /** The cursor last found to read files of this file's Parquet schema, so each is checked once. */
    private @Nullable DataFileCursor compatible;

    DeltaFileWriter(DeltaTable table, Schema schema) {
        this(table, schema, Map.of());
    }

    /**
     * @param partitionValues the file's partition values (empty for an unpartitioned table): the
     *     file goes to their folder, leaves their columns out, and accepts only rows that hold them
     */
    DeltaFileWriter(DeltaTable table, Schema schema, Map<String, @Nullable String> partitionValues) {
        this(table, schema, partitionValues, ParquetColumnFile.Limits.DEFAULT);
    }

    /** @param limits where row groups and pages are cut (tests make them small) */
    DeltaFileWriter(DeltaTable table, Schema schema, Map<String, @Nullable String> partitionValues,
            ParquetColumnFile.Limits limits) {
        this(table, schema, partitionValues, Set.of(), limits);
    }

    /**
     * @param distinctColumns columns the caller knows to be mostly distinct in this file (a key), which
     *     skip the dictionary whatever their type
     */
    DeltaFileWriter(DeltaTable table, Schema schema, Map<String, @Nullable String> partitionValues,
            Set<String> distinctColumns, ParquetColumnFile.Limits limits) {
        super(table, partitionValues);
        this.partitionValues = partitionValues;
        this.partitionPositions = new int[partitionValues.size()];
        this.partitionTyped = new Object[partitionValues.size()];
        int i = 0;
        for (Map.Entry<String, @Nullable String> e : partitionValues.entrySet()) {
            int pos = schema.indexOf(e.getKey());
            if (pos < 0) {
                throw DeltaErrors.partitionColumnNotInSchema(e.getKey(), schema);
            }
            partitionPositions[i] = pos;
            partitionTyped[i++] = PartitionValues.parse(e.getValue(), schema.field(pos).type());
        }
        this.support = new RowWriteSupport(schema, partitionValues.keySet());
        ParquetProperties.Builder settings = ParquetProperties.builder();
        for (Field f : schema.fields()) {
            if (!partitionValues.containsKey(f.name())
                    && (mostlyDistinct(f.type()) || distinctColumns.contains(f.name()))) {
                settings.withDictionaryEncoding(f.name(), false);
            }
        }
        MessageType parquetSchema = support.init(table.conf()).getSchema();
        this.columnIO = new ColumnIOFactory(false).getColumnIO(parquetSchema);
        try {
            this.file = new ParquetColumnFile(path, table.conf(), parquetSchema, settings, limits, this::bind,
                    this::flushPending);
        } catch (IOException | RuntimeException e) {
            throw table.failure("cannot create data file " + name, e,
                    "check that the table location is writable");
        }
    }

    /** Assembles records into a new row group's columns. */
    private void bind(ColumnWriteStore store) {
        RecordConsumer c = columnIO.getRecordWriter(store);
        consumer = c;
        support.prepareForWrite(c);
        columns = store;
        List<ColumnDescriptor> descriptors = support.parquetSchema().getColumns();
        ColumnWriter[] w = new ColumnWriter[descriptors.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = store.getColumnWriter(descriptors.get(i));
        }
        writers = w;
    }

    /** The record assembler may hold back nulls of absent fields: they go into the row group before it is written. */
    private void flushPending() {
        Objects.requireNonNull(consumer).flush();
    }

    /**
     * Columns whose values are mostly distinct (payloads, offsets, times, measures) skip Parquet's
     * dictionary: it would hash every value only to give up once the dictionary outgrows its page, which
     * costs bronze about a tenth of its write time. Strings, ints, dates and booleans, which are
     * often categories, keep it, as do maps.
     */
    static boolean mostlyDistinct(DataType type) {
        return switch (type.kind()) {
            case BINARY, LONG, TIMESTAMP, DOUBLE, DECIMAL -> true;
            default -> false;
        };
    }

    @Override
    public void write(Row row) {
        Objects.requireNonNull(row, "row");
        ParquetColumnFile f = file;
        checkWritable(f != null);
        for (int i = 0; i < partitionPositions.length; i++) {
            Object v = row.value(partitionPositions[i]);
            // an empty string is a null partition value in Delta (PartitionValues.format)
            if (!Objects.equals(v, partitionTyped[i]) && !(partitionTyped[i] == null && "".equals(v))) {
                throw DeltaErrors.rowOfAnotherPartition(row, partitionValues, name);
            }
        }
        support.prepare(row);
        try {
            support.write(row);
            rows++;
            f.recordWritten(support.takeBinaryBytes());
        } catch (IOException | RuntimeException e) {
            throw writeFailed(e);
        }
    }

    /**
     * Writes a cursor's current row as it was read, straight into the column writers, beside rows
     * written through {@link #write}: the record assembler holds nothing back between records of a
     * flat schema (it caches nulls of absent groups only), so the two interleave safely.
     *
     * @return the bytes of the row's strings and binaries; -1, writing nothing, when this file cannot
     *     take the cursor's rows as they are: it is partitioned, or its Parquet schema is not the cursor's
     */
    long copy(DataFileCursor from) {
        ParquetColumnFile f = file;
        checkWritable(f != null);
        if (from != compatible) {
            if (partitionPositions.length > 0 || !from.parquetSchema().equals(support.parquetSchema())) {
                return -1;
            }
            compatible = from;
        }
        try {
            long bytes = from.writeTo(writers, support.stats());
            Objects.requireNonNull(columns).endRecord();
            rows++;
            f.recordWritten(bytes);
            return bytes;
        } catch (IOException e) {
            throw writeFailed(e);
        } catch (RuntimeException e) {
            // a read that failed half-way through the row left its columns uneven: the file is lost
            writeFailed(e);
            throw e;
        }
    }

    @Override
    void closeFile() throws IOException {
        ParquetColumnFile f = file;
        file = null;
        if (f != null) {
            f.close();
        }
    }

    @Override
    void abandonFile() throws IOException {
        ParquetColumnFile f = file;
        file = null;
        if (f != null) {
            f.abandon();
        }
    }

    @Override
    Map<String, Object> bounds(boolean min) {
        return min ? support.minValues() : support.maxValues();
    }

    @Override
    Map<String, Long> nullCounts() {
        return support.nullCounts();
    }
}
