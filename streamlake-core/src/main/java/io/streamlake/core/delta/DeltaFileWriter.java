package io.streamlake.core.delta;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PartitionValues;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.OutputFile;
import org.jspecify.annotations.Nullable;

/** Streams rows into one new snappy Parquet file at the table root. Not thread-safe, like any writer. */
final class DeltaFileWriter extends ParquetDataFile implements DataFileWriter {
    private final RowWriteSupport support;
    private final Map<String, @Nullable String> partitionValues;
    private final int[] partitionPositions;
    private final @Nullable Object[] partitionTyped;
    private @Nullable ParquetWriter<Row> writer;

    DeltaFileWriter(DeltaTable table, Schema schema) {
        this(table, schema, Map.of());
    }

    /**
     * @param partitionValues the file's partition values (empty for an unpartitioned table): the
     *     file goes to their folder, leaves their columns out, and accepts only rows that hold them
     */
    DeltaFileWriter(DeltaTable table, Schema schema, Map<String, @Nullable String> partitionValues) {
        super(table, partitionValues);
        this.partitionValues = partitionValues;
        this.partitionPositions = new int[partitionValues.size()];
        this.partitionTyped = new Object[partitionValues.size()];
        int i = 0;
        for (Map.Entry<String, @Nullable String> e : partitionValues.entrySet()) {
            int pos = schema.indexOf(e.getKey());
            if (pos < 0) {
                throw new IllegalArgumentException("partition column '" + e.getKey() + "' is not in the schema " + schema);
            }
            partitionPositions[i] = pos;
            partitionTyped[i++] = PartitionValues.parse(e.getValue(), schema.field(pos).type());
        }
        this.support = new RowWriteSupport(schema, partitionValues.keySet());
        try {
            Builder builder = new Builder(HadoopOutputFile.fromPath(path, table.conf()), support)
                    .withConf(table.conf())
                    .withWriteMode(ParquetFileWriter.Mode.CREATE)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    // v1 pages: what Spark writes by default and every Parquet reader understands.
                    .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0);
            for (Field f : schema.fields()) {
                if (!partitionValues.containsKey(f.name()) && mostlyDistinct(f.type())) {
                    builder.withDictionaryEncoding(f.name(), false);
                }
            }
            this.writer = builder.build();
        } catch (IOException | RuntimeException e) {
            throw table.failure("cannot create data file " + name, e,
                    "check that the table location is writable");
        }
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
        ParquetWriter<Row> w = writer;
        checkWritable(w != null);
        for (int i = 0; i < partitionPositions.length; i++) {
            Object v = row.value(partitionPositions[i]);
            // an empty string is a null partition value in Delta (PartitionValues.format)
            if (!Objects.equals(v, partitionTyped[i]) && !(partitionTyped[i] == null && "".equals(v))) {
                throw new IllegalArgumentException("row " + row + " does not belong to partition " + partitionValues
                        + " of data file " + name + "; write each partition's rows to a file of their own");
            }
        }
        support.prepare(row);
        try {
            w.write(row);
        } catch (IOException | RuntimeException e) {
            throw writeFailed(e);
        }
        rows++;
    }

    @Override
    void closeFile() throws IOException {
        ParquetWriter<Row> w = writer;
        writer = null;
        if (w != null) {
            w.close();
        }
    }

    @Override
    void abandonFile() throws IOException {
        closeFile();
    }

    @Override
    Map<String, Object> minValues() {
        return support.minValues();
    }

    @Override
    Map<String, Object> maxValues() {
        return support.maxValues();
    }

    @Override
    Map<String, Long> nullCounts() {
        return support.nullCounts();
    }

    private static final class Builder extends ParquetWriter.Builder<Row, Builder> {
        private final RowWriteSupport support;

        Builder(OutputFile file, RowWriteSupport support) {
            super(file);
            this.support = support;
        }

        @Override
        protected Builder self() {
            return this;
        }

        // Abstract (and deprecated) in Parquet's builder: it must be implemented all the same.
        @Override
        @SuppressWarnings("deprecation")
        protected WriteSupport<Row> getWriteSupport(Configuration conf) {
            return support;
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(ParquetConfiguration conf) {
            return support;
        }
    }
}
