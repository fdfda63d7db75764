package io.streamlake.core.delta;

import io.streamlake.exceptions.SinkException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PartitionValues;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.OutputFile;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Streams rows into one new snappy Parquet file at the table root. Not thread-safe, like any writer. */
final class DeltaFileWriter implements DataFileWriter {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaFileWriter.class);

    private final DeltaTable table;
    private final String name;
    private final Path path;
    private final RowWriteSupport support;
    /** The path as the log stores it: relative and URI-encoded. */
    private final String logPath;
    private final Map<String, @Nullable String> partitionValues;
    private final int[] partitionPositions;
    private final @Nullable Object[] partitionTyped;
    private @Nullable ParquetWriter<Row> writer;
    private long rows;
    private boolean finished;
    /** Set when an I/O failure left the file in an unknown state: only close() remains. */
    private @Nullable RuntimeException broken;

    DeltaFileWriter(DeltaTable table, Schema schema) {
        this(table, schema, Map.of());
    }

    /**
     * @param partitionValues the file's partition values (empty for an unpartitioned table): the
     *     file goes to their folder, leaves their columns out, and accepts only rows that hold them
     */
    DeltaFileWriter(DeltaTable table, Schema schema, Map<String, @Nullable String> partitionValues) {
        this.table = table;
        String file = "part-00000-" + UUID.randomUUID() + ".snappy.parquet";
        String folder = PartitionPaths.folder(partitionValues);
        this.name = folder + file;
        this.logPath = PartitionPaths.logPath(name);
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
        this.path = new Path(table.root(), name);
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
    private static boolean mostlyDistinct(DataType type) {
        return switch (type.kind()) {
            case BINARY, LONG, TIMESTAMP, DOUBLE, DECIMAL -> true;
            default -> false;
        };
    }

    @Override
    public void write(Row row) {
        Objects.requireNonNull(row, "row");
        ParquetWriter<Row> w = open();
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
            broken = table.failure("cannot write to data file " + name, e,
                    "close this writer (the partial file is deleted) and retry the batch");
            throw broken;
        }
        rows++;
    }

    @Override
    public long rowCount() {
        return rows;
    }

    @Override
    public DataFile finish() {
        ParquetWriter<Row> w = open();
        long size;
        try {
            writer = null;
            w.close();
            size = fileSystem().getFileStatus(path).getLen();
        } catch (IOException | RuntimeException e) {
            broken = table.failure("cannot finish data file " + name, e, "retry the batch");
            delete();
            throw broken;
        }
        finished = true;
        return new DataFile(logPath, size, rows, support.minValues(), support.maxValues(), support.nullCounts(),
                partitionValues);
    }

    @Override
    public void close() {
        if (finished) {
            return;
        }
        finished = true;
        ParquetWriter<Row> w = writer;
        writer = null;
        if (w != null) {
            try {
                w.close();
            } catch (IOException | RuntimeException e) {
                // The file is being abandoned; failing to flush it is expected after an I/O error.
                LOG.debug("closing abandoned data file {} failed: {}", name, e.toString());
            }
        }
        delete();
    }

    private ParquetWriter<Row> open() {
        if (broken != null) {
            throw new IllegalStateException("data file " + name + " failed earlier and can only be closed", broken);
        }
        ParquetWriter<Row> w = writer;
        if (w == null) {
            throw new IllegalStateException("data file " + name + " is already "
                    + (finished ? "finished or closed" : "closed") + "; open a new one with table.newDataFile(schema)");
        }
        return w;
    }

    private void delete() {
        try {
            fileSystem().delete(path, false);
        } catch (IOException | RuntimeException e) {
            // An undeleted partial file is an orphan no commit references: vacuum removes it.
            LOG.warn("could not delete abandoned data file {} of table {}: {}", name, table.location(),
                    table.redact(e.toString()));
        }
    }

    private FileSystem fileSystem() throws IOException {
        return path.getFileSystem(table.conf());
    }

    @Override
    public String toString() {
        return "DeltaFileWriter[" + table.location() + "/" + name + ", " + rows + " rows]";
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
