package io.streamlake.core.delta;

import io.streamlake.core.util.SmallMap;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.DataType;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeFiles;
import io.streamlake.table.BronzeLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.jspecify.annotations.Nullable;

/**
 * Writes source records into one new bronze data file, straight into Parquet's column writers: no
 * {@code Row} per record and no record-assembly layer, which together cost bronze about a third of
 * its write time. The file is the same as {@link BronzeLayout#toRow}'s rows written through
 * {@link DeltaTable#newDataFile}, with the same Delta statistics; only its encodings are chosen for
 * the layout (no dictionary for payloads, offsets and header values, no Parquet min/max for keys and
 * payloads).
 * Not thread-safe.
 */
public final class BronzeFileWriter extends ParquetDataFile implements BronzeFiles.RecordFileWriter {
    /** The layout's leaf columns, in the Parquet schema's order; the constructor checks it. */
    private static final List<String> COLUMNS = List.of("key", "value", "source", "partition", "position",
            "source_timestamp", "headers.key_value.key", "headers.key_value.value", "ingestion_time",
            "metadata.key_value.key", "metadata.key_value.value");
    private static final MessageType SCHEMA = DeltaSchemas.toParquet(BronzeLayout.SCHEMA);
    /** Dictionary-encoded: few distinct values per file. Every other column is mostly distinct. */
    private static final List<String> DICTIONARY = List.of("source", "partition", "headers.key_value.key",
            "metadata.key_value.key");
    /**
     * Columns whose Parquet min/max prune nothing: payloads, and keys, which arrive in no order, so
     * every file spans the whole key range. Keeping them costs two byte comparisons per value.
     */
    private static final List<String> NO_PARQUET_STATS = List.of("key", "value", "headers.key_value.value",
            "metadata.key_value.value");
    // Column writers belong to one row group: they are taken anew from each row group's store.
    private ColumnWriteStore columns;
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

    private long keyNulls;
    private long valueNulls;
    private final ColumnStats sourceStats = new ColumnStats(DataType.STRING);
    private final ColumnStats partitionStats = new ColumnStats(DataType.INT);
    private final ColumnStats positionStats = new ColumnStats(DataType.LONG);
    private final ColumnStats sourceTimeStats = new ColumnStats(DataType.TIMESTAMP);

    /** Names and stream names repeat in every record: encoded once each. */
    private final Map<String, Binary> utf8Cache = new HashMap<>();
    /** The stream name of the last record and its UTF-8: records of a file come from few streams. */
    private @Nullable String lastStream;
    private Binary lastSource = Binary.EMPTY;
    private final Utf8Buffer utf8 = new Utf8Buffer();
    private final MapColumn headers = new MapColumn(BronzeLayout.HEADERS, false);
    private final MapColumn metadata = new MapColumn(BronzeLayout.METADATA, true);

    private @Nullable ParquetColumnFile file;

    /**
     * @param table the bronze table
     * @param ingestedAt the time every row of the file gets in {@code ingestion_time}
     */
    BronzeFileWriter(DeltaTable table, Instant ingestedAt) {
        this(table, ingestedAt, ParquetColumnFile.Limits.DEFAULT);
    }

    /** @param rowGroupBytes the buffered size at which a row group is written out (tests make it small) */
    BronzeFileWriter(DeltaTable table, Instant ingestedAt, long rowGroupBytes) {
        this(table, ingestedAt, ParquetColumnFile.Limits.rowGroupBytes(rowGroupBytes));
    }

    /** @param limits where row groups and pages are cut (tests make them small) */
    BronzeFileWriter(DeltaTable table, Instant ingestedAt, ParquetColumnFile.Limits limits) {
        super(table, Map.of());
        this.ingestionMicros = RowWriteSupport.micros(BronzeLayout.INGESTION_TIME, ingestedAt);
        List<ColumnDescriptor> descriptors = SCHEMA.getColumns();
        List<String> paths = descriptors.stream().map(d -> String.join(".", d.getPath())).toList();
        if (!paths.equals(COLUMNS)) {
            throw new IllegalStateException("the bronze layout " + paths + " is not the one this writer knows "
                    + COLUMNS + "; update BronzeFileWriter with BronzeLayout");
        }
        try {
            this.file = new ParquetColumnFile(path, table.conf(), SCHEMA, settings(), limits, this::bind,
                    () -> {});
        } catch (IOException | RuntimeException e) {
            throw table.failure("cannot create data file " + name, e, "check that the table location is writable");
        }
    }

    /** Takes the column writers of a new row group. */
    private void bind(ColumnWriteStore store) {
        columns = store;
        List<ColumnDescriptor> descriptors = SCHEMA.getColumns();
        ColumnWriter[] c = new ColumnWriter[descriptors.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = store.getColumnWriter(descriptors.get(i));
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

    /** The file's settings; {@link ParquetColumnFile} builds them with a values-writer factory of their own. */
    private static ParquetProperties.Builder settings() {
        ParquetProperties.Builder b = ParquetProperties.builder()
                // the writing thread's: Parquet hands a page's buffers back to the allocator that gave
                // them, and the thread's next file takes them again
                .withAllocator(RecyclingAllocator.ofThisThread())
                // Page checksums cost a copy and a CRC of every page, and readers do not verify them
                // unless asked to (Spark and Delta Kernel do not).
                .withPageWriteChecksumEnabled(false)
                .withDictionaryEncoding(false);
        DICTIONARY.forEach(c -> b.withDictionaryEncoding(c, true));
        NO_PARQUET_STATS.forEach(c -> b.withStatisticsEnabled(c, false));
        return b;
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
        long micros = RowWriteSupport.micros(BronzeLayout.SOURCE_TIMESTAMP, r.timestamp());
        headers.gather(r.headers());
        metadata.gather(r.metadata());
        ParquetColumnFile f = file;
        try {
            keyNulls += binary(key, r.key());
            valueNulls += binary(value, r.value());
            String stream = r.partition().stream();
            if (stream != lastStream) {
                lastStream = stream;
                lastSource = cached(stream);
            }
            source.write(lastSource, 0, 0);
            sourceStats.string(stream);
            partition.write(r.partition().id(), 0, 0);
            partitionStats.integral(r.partition().id());
            position.write(r.position(), 0, 0);
            positionStats.integral(r.position());
            sourceTime.write(micros, 0, 1);
            sourceTimeStats.integral(micros);
            headers.write(headerName, headerValue);
            ingestionTime.write(ingestionMicros, 0, 0);
            metadata.write(metadataName, metadataValue);
            columns.endRecord();
            rows++;
            Objects.requireNonNull(f)
                    .recordWritten(length(r.key()) + length(r.value()) + headers.bytes + metadata.bytes);
        } catch (IOException | RuntimeException e) {
            throw writeFailed(e);
        }
    }

    private static int length(byte @Nullable [] b) {
        return b == null ? 0 : b.length;
    }

    /** @return 1 for a null value, else 0: the null count to add */
    private static int binary(ColumnWriter column, byte @Nullable [] v) {
        if (v == null) {
            column.writeNull(0, 0);
            return 1;
        }
        column.write(Binary.fromConstantByteArray(v), 0, 1);
        return 0;
    }

    /**
     * One map column. Its entries are gathered, and checked, before anything of the record is
     * written, then written from the arrays: a {@link SmallMap} (what the Capture reader builds) by
     * index, any other map through its entries.
     *
     * <p>An optional map is a repeated key_value group under an optional group. Definition levels: 0
     * the map is null, 1 it is empty (bronze writes null instead, as {@code BronzeLayout.toRow} does), 2
     * an entry with a null value, 3 an entry with a value. Repetition level 1 continues the row's map.
     */
    private final class MapColumn {
        private final String column;
        private final boolean text;
        private String[] names = new String[8];
        private @Nullable Object[] values = new Object[8];
        private int size;
        /** About how many bytes the gathered entries hold: for the row group's size checks. */
        long bytes;
        /** The names last written at each position and their UTF-8, hit when records share names. */
        private String[] lastNames = new String[8];
        private Binary[] lastBinaries = new Binary[8];

        MapColumn(String column, boolean text) {
            this.column = column;
            this.text = text;
        }

        void gather(Map<String, ?> map) {
            size = 0;
            bytes = 0;
            if (map.isEmpty()) {
                return; // most records: no entry iterator to allocate
            }
            if (map instanceof SmallMap<?> small) {
                for (int i = 0; i < small.size(); i++) {
                    add(small.name(i), small.valueAt(i));
                }
                return;
            }
            for (Map.Entry<String, ?> e : map.entrySet()) {
                if (e.getKey() == null) {
                    throw DeltaErrors.mapKeyNotString(column, null);
                }
                add(e.getKey(), e.getValue());
            }
        }

        private void add(String name, @Nullable Object value) {
            if (value != null && !(text ? value instanceof String : value instanceof byte[])) {
                throw DeltaErrors.mapValueType(column, text ? "String" : "byte[]", name, value);
            }
            if (size == names.length) {
                names = Arrays.copyOf(names, size * 2);
                values = Arrays.copyOf(values, size * 2);
                lastNames = Arrays.copyOf(lastNames, size * 2);
                lastBinaries = Arrays.copyOf(lastBinaries, size * 2);
            }
            names[size] = name;
            values[size++] = value;
            bytes += name.length()
                    + (value instanceof byte[] b ? b.length : value instanceof String t ? t.length() : 0);
        }

        void write(ColumnWriter nameColumn, ColumnWriter valueColumn) {
            if (size == 0) {
                nameColumn.writeNull(0, 0);
                valueColumn.writeNull(0, 0);
                return;
            }
            for (int i = 0; i < size; i++) {
                int repetition = i == 0 ? 0 : 1;
                String name = names[i];
                Binary b;
                if (lastNames[i] == name) {
                    b = lastBinaries[i];
                } else {
                    b = cached(name);
                    lastNames[i] = name;
                    lastBinaries[i] = b;
                }
                nameColumn.write(b, repetition, 2);
                Object v = values[i];
                values[i] = null; // not kept past the record
                if (v == null) {
                    valueColumn.writeNull(repetition, 2);
                } else {
                    valueColumn.write(text ? utf8.encode((String) v) : Binary.fromConstantByteArray((byte[]) v),
                            repetition, 3);
                }
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
        Map<String, Object> m = new HashMap<>();
        bound(m, BronzeLayout.SOURCE, sourceStats, min);
        bound(m, BronzeLayout.PARTITION, partitionStats, min);
        bound(m, BronzeLayout.POSITION, positionStats, min);
        bound(m, BronzeLayout.SOURCE_TIMESTAMP, sourceTimeStats, min);
        ColumnStats ingestion = new ColumnStats(DataType.TIMESTAMP);
        if (rows > 0) {
            ingestion.integral(ingestionMicros); // one value for the whole file
        }
        bound(m, BronzeLayout.INGESTION_TIME, ingestion, min);
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
        m.put(BronzeLayout.KEY, keyNulls);
        m.put(BronzeLayout.VALUE, valueNulls);
        m.put(BronzeLayout.SOURCE, 0L);
        m.put(BronzeLayout.PARTITION, 0L);
        m.put(BronzeLayout.POSITION, 0L);
        m.put(BronzeLayout.SOURCE_TIMESTAMP, 0L);
        m.put(BronzeLayout.INGESTION_TIME, 0L);
        return m;
    }
}
