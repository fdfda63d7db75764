package io.streamlake.core.delta;

import io.streamlake.core.internal.BronzeRows;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.DataType;
import io.streamlake.source.SourceRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.impl.ColumnWriteStoreV1;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.jspecify.annotations.Nullable;

/**
 * Writes source records into one new bronze data file, straight into Parquet's column writers: no
 * {@code Row} per record and no record-assembly layer, which together cost bronze about a third of
 * its write time. The file is the same as {@link BronzeRows#toRow}'s rows written through
 * {@link DeltaTable#newDataFile}, with the same Delta statistics; only its encodings are chosen for
 * the layout (no dictionary for payloads, offsets and header values, no Parquet min/max for payloads).
 * Not thread-safe.
 */
public final class BronzeFileWriter extends ParquetDataFile {
    /** The layout's leaf columns, in the Parquet schema's order; the constructor checks it. */
    private static final List<String> COLUMNS = List.of("key", "value", "source", "partition", "position",
            "source_timestamp", "headers.key_value.key", "headers.key_value.value", "ingestion_time",
            "metadata.key_value.key", "metadata.key_value.value");
    private static final MessageType SCHEMA = DeltaSchemas.toParquet(BronzeRows.SCHEMA);
    /** Dictionary-encoded: few distinct values per file. Every other column is mostly distinct. */
    private static final List<String> DICTIONARY = List.of("source", "partition", "headers.key_value.key",
            "metadata.key_value.key");
    /** Payload-like columns whose Parquet min/max no reader filters on. */
    private static final List<String> NO_PARQUET_STATS = List.of("value", "headers.key_value.value",
            "metadata.key_value.value");
    private static final ParquetProperties PROPERTIES = properties();
    /** How many records between two checks of the buffered size against the row group size. */
    private static final int SIZE_CHECK_INTERVAL = 1_000;

    // Parquet's stores hold one row group: a new pair, and new column writers, for each.
    private ColumnChunkPageWriteStore pages;
    private ColumnWriteStoreV1 columns;
    private ColumnWriter key;
    private ColumnWriter value;
    private ColumnWriter source;
    private ColumnWriter partition;
    private ColumnWriter position;
    private ColumnWriter sourceTime;
    private ColumnWriter headerName;
    private ColumnWriter headerValue;
    private ColumnWriter ingestionTime;
    private ColumnWriter metadataName;
    private ColumnWriter metadataValue;
    private final long ingestionMicros;

    private final ColumnStats keyStats = new ColumnStats(DataType.BINARY);
    private final ColumnStats valueStats = new ColumnStats(DataType.BINARY);
    private final ColumnStats sourceStats = new ColumnStats(DataType.STRING);
    private final ColumnStats partitionStats = new ColumnStats(DataType.INT);
    private final ColumnStats positionStats = new ColumnStats(DataType.LONG);
    private final ColumnStats sourceTimeStats = new ColumnStats(DataType.TIMESTAMP);

    /** Names and stream names repeat in every record: encoded once each. */
    private final Map<String, Binary> utf8Cache = new HashMap<>();
    private final Utf8Buffer utf8 = new Utf8Buffer();

    private final CodecFactory codecs;
    private @Nullable ParquetFileWriter file;
    private long rowsInGroup;
    private final long rowGroupBytes;

    /**
     * @param table the bronze table
     * @param ingestedAt the time every row of the file gets in {@code ingestion_time}
     */
    BronzeFileWriter(DeltaTable table, Instant ingestedAt) {
        this(table, ingestedAt, ParquetWriter.DEFAULT_BLOCK_SIZE);
    }

    /** @param rowGroupBytes the buffered size at which a row group is written out (tests make it small) */
    BronzeFileWriter(DeltaTable table, Instant ingestedAt, long rowGroupBytes) {
        super(table, Map.of());
        this.rowGroupBytes = rowGroupBytes;
        this.ingestionMicros = RowWriteSupport.micros(BronzeRows.INGESTION_TIME, ingestedAt);
        List<ColumnDescriptor> descriptors = SCHEMA.getColumns();
        List<String> paths = descriptors.stream().map(d -> String.join(".", d.getPath())).toList();
        if (!paths.equals(COLUMNS)) {
            throw new IllegalStateException("the bronze layout " + paths + " is not the one this writer knows "
                    + COLUMNS + "; update BronzeFileWriter with BronzeRows");
        }
        CodecFactory codecFactory = new CodecFactory(table.conf(), PROPERTIES.getPageSizeThreshold());
        ParquetFileWriter f = null;
        try {
            f = new ParquetFileWriter(HadoopOutputFile.fromPath(path, table.conf()), SCHEMA,
                    ParquetFileWriter.Mode.CREATE, ParquetWriter.DEFAULT_BLOCK_SIZE, ParquetWriter.MAX_PADDING_SIZE_DEFAULT,
                    null, PROPERTIES);
            f.start();
        } catch (IOException | RuntimeException e) {
            codecFactory.release();
            throw table.failure("cannot create data file " + name, e, "check that the table location is writable");
        }
        this.file = f;
        this.codecs = codecFactory;
        newRowGroup();
    }

    private void newRowGroup() {
        pages = new ColumnChunkPageWriteStore(codecs.getCompressor(CompressionCodecName.SNAPPY), SCHEMA,
                PROPERTIES.getAllocator(), PROPERTIES.getColumnIndexTruncateLength(),
                PROPERTIES.getPageWriteChecksumEnabled());
        columns = new ColumnWriteStoreV1(SCHEMA, pages, PROPERTIES);
        List<ColumnDescriptor> descriptors = SCHEMA.getColumns();
        ColumnWriter[] c = new ColumnWriter[descriptors.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = columns.getColumnWriter(descriptors.get(i));
        }
        key = c[0];
        value = c[1];
        source = c[2];
        partition = c[3];
        position = c[4];
        sourceTime = c[5];
        headerName = c[6];
        headerValue = c[7];
        ingestionTime = c[8];
        metadataName = c[9];
        metadataValue = c[10];
    }

    private static ParquetProperties properties() {
        ParquetProperties.Builder b = ParquetProperties.builder()
                // v1 pages: what Spark writes by default and every Parquet reader understands.
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
                .withDictionaryEncoding(false);
        DICTIONARY.forEach(c -> b.withDictionaryEncoding(c, true));
        NO_PARQUET_STATS.forEach(c -> b.withStatisticsEnabled(c, false));
        return b.build();
    }

    /**
     * Writes one record as one bronze row.
     *
     * @throws SchemaMismatchException for a header or metadata entry with a null name, or a
     *     timestamp outside the range of microsecond timestamps; nothing of the record is written then
     */
    public void write(SourceRecord r) {
        Objects.requireNonNull(r, "record");
        checkWritable(file != null);
        // Everything that can be refused is checked before the first column is touched, so that a
        // refused record leaves the file intact and the writer usable.
        long micros = RowWriteSupport.micros(BronzeRows.SOURCE_TIMESTAMP, r.timestamp());
        checkNames(BronzeRows.HEADERS, r.headers());
        checkNames(BronzeRows.METADATA, r.metadata());
        try {
            binary(key, keyStats, r.key());
            binary(value, valueStats, r.value());
            String stream = r.partition().stream();
            source.write(cached(stream), 0, 0);
            sourceStats.string(stream);
            partition.write(r.partition().id(), 0, 0);
            partitionStats.integral(r.partition().id());
            position.write(r.position(), 0, 0);
            positionStats.integral(r.position());
            sourceTime.write(micros, 0, 1);
            sourceTimeStats.integral(micros);
            headers(r.headers());
            ingestionTime.write(ingestionMicros, 0, 0);
            metadata(r.metadata());
            columns.endRecord();
        } catch (RuntimeException e) {
            throw writeFailed(e);
        }
        rows++;
        if (++rowsInGroup % SIZE_CHECK_INTERVAL == 0 && columns.getBufferedSize() >= rowGroupBytes) {
            try {
                flushRowGroup();
                release(false);
                newRowGroup();
            } catch (IOException | RuntimeException e) {
                throw writeFailed(e);
            }
        }
    }

    private static void binary(ColumnWriter column, ColumnStats stats, byte @Nullable [] v) {
        if (v == null) {
            column.writeNull(0, 0);
            stats.nulls++;
        } else {
            column.write(Binary.fromConstantByteArray(v), 0, 1);
        }
    }

    /*
     * An optional map is a repeated key_value group under an optional group. Definition levels: 0
     * the map is null, 1 it is empty (bronze writes null instead, as BronzeRows.toRow does), 2 an
     * entry with a null value, 3 an entry with a value. Repetition level 1 continues the row's map.
     */

    private void headers(Map<String, byte[]> headers) {
        if (headers.isEmpty()) {
            headerName.writeNull(0, 0);
            headerValue.writeNull(0, 0);
            return;
        }
        int repetition = 0;
        for (Map.Entry<String, byte[]> e : headers.entrySet()) {
            headerName.write(cached(e.getKey()), repetition, 2);
            byte[] v = e.getValue();
            if (v == null) {
                headerValue.writeNull(repetition, 2);
            } else {
                headerValue.write(Binary.fromConstantByteArray(v), repetition, 3);
            }
            repetition = 1;
        }
    }

    private void metadata(Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            metadataName.writeNull(0, 0);
            metadataValue.writeNull(0, 0);
            return;
        }
        int repetition = 0;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            metadataName.write(cached(e.getKey()), repetition, 2);
            String v = e.getValue();
            if (v == null) {
                metadataValue.writeNull(repetition, 2);
            } else {
                metadataValue.write(utf8.encode(v), repetition, 3);
            }
            repetition = 1;
        }
    }

    private static void checkNames(String column, Map<String, ?> map) {
        if (map.isEmpty()) {
            return;
        }
        for (String k : map.keySet()) {
            if (k == null) {
                throw new SchemaMismatchException("column '" + column + "' is a map with string keys, but a key is"
                        + " null; use non-null String keys");
            }
        }
    }

    /** UTF-8 of a string that repeats from record to record; a bounded cache, as names are few. */
    private Binary cached(String s) {
        Binary b = utf8Cache.get(s);
        if (b == null) {
            b = Binary.fromConstantByteArray(s.getBytes(StandardCharsets.UTF_8));
            if (utf8Cache.size() < 4_096) {
                utf8Cache.put(s, b);
            }
        }
        return b;
    }

    private void flushRowGroup() throws IOException {
        ParquetFileWriter f = Objects.requireNonNull(file);
        f.startBlock(rowsInGroup);
        columns.flush();
        pages.flushToFileWriter(f);
        f.endBlock();
        rowsInGroup = 0;
    }

    @Override
    void closeFile() throws IOException {
        ParquetFileWriter f = file;
        if (f == null) {
            return;
        }
        try {
            if (rowsInGroup > 0) {
                flushRowGroup();
            }
            f.end(Map.of(ParquetWriter.OBJECT_MODEL_NAME_PROP, "streamlake"));
        } finally {
            file = null;
            release(true);
        }
    }

    @Override
    void abandonFile() throws IOException {
        ParquetFileWriter f = file;
        file = null;
        try {
            if (f != null) {
                f.close();
            }
        } finally {
            release(true);
        }
    }

    /** Frees the row group's buffers, and with {@code codecs} the compressors too. */
    private void release(boolean codecs) {
        columns.close();
        pages.close();
        if (codecs) {
            this.codecs.release();
        }
    }

    @Override
    Map<String, Object> minValues() {
        return bounds(true);
    }

    @Override
    Map<String, Object> maxValues() {
        return bounds(false);
    }

    private Map<String, Object> bounds(boolean min) {
        Map<String, Object> m = new HashMap<>();
        bound(m, BronzeRows.SOURCE, sourceStats, min);
        bound(m, BronzeRows.PARTITION, partitionStats, min);
        bound(m, BronzeRows.POSITION, positionStats, min);
        bound(m, BronzeRows.SOURCE_TIMESTAMP, sourceTimeStats, min);
        ColumnStats ingestion = new ColumnStats(DataType.TIMESTAMP);
        if (rows > 0) {
            ingestion.integral(ingestionMicros); // one value for the whole file
        }
        bound(m, BronzeRows.INGESTION_TIME, ingestion, min);
        return m;
    }

    private static void bound(Map<String, Object> m, String column, ColumnStats stats, boolean min) {
        Object v = min ? stats.min() : stats.max();
        if (v != null) {
            m.put(column, v);
        }
    }

    @Override
    Map<String, Long> nullCounts() {
        Map<String, Long> m = new HashMap<>();
        m.put(BronzeRows.KEY, keyStats.nulls);
        m.put(BronzeRows.VALUE, valueStats.nulls);
        m.put(BronzeRows.SOURCE, 0L);
        m.put(BronzeRows.PARTITION, 0L);
        m.put(BronzeRows.POSITION, 0L);
        m.put(BronzeRows.SOURCE_TIMESTAMP, 0L);
        m.put(BronzeRows.INGESTION_TIME, 0L);
        return m;
    }
}
