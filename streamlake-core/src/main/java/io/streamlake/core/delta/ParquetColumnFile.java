package io.streamlake.core.delta;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import io.streamlake.core.util.MemoryBudget;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.factory.DefaultV1ValuesWriterFactory;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;
import org.jspecify.annotations.Nullable;

/**
 * One snappy Parquet file written row group by row group through column writers: what
 * parquet-hadoop's {@code ParquetWriter} does, with the one difference that matters when several
 * files are written at once. Every file builds its {@link ParquetProperties} with a values-writer
 * factory of its own.
 *
 * <p>Why: Parquet's default values-writer factory ({@code ParquetProperties.DEFAULT_VALUES_WRITER_FACTORY}
 * and the {@code DefaultV1ValuesWriterFactory} behind it) is one object per JVM, and every
 * {@code ParquetProperties.Builder.build()} re-initializes it with the properties just built. A file
 * that kept it created its value writers with the settings and the buffer allocator of whichever
 * writer, anywhere in the JVM, was built last: two bronze slices written at once then shared one
 * {@link RecyclingAllocator} and spliced each other's pages. {@code ParquetWriter.Builder} offers no
 * way to pass a factory, so no data file of the library goes through it; every one goes through
 * this class, which is the only place that builds writer properties.
 *
 * <p>What else the write path shares, and why each is safe:
 * <ul>
 *   <li>The {@link CodecFactory} is one per file, and so is the snappy compressor it leases from
 *       Hadoop's static {@code CodecPool} (synchronized, and kept as a set, so the repeated release
 *       of an abandoned file cannot hand one compressor to two files). Parquet's static codec cache
 *       ({@code CodecFactory.CODEC_BY_NAME}, a synchronized map) holds codec objects, which keep no
 *       per-stream state: each stream gets the file's own compressor.</li>
 *   <li>The allocator, page store, column store and value writers are the file's own, created
 *       here and released once ({@link #release()} is idempotent: a buffer returned twice to a
 *       recycling allocator would be handed to two pages).</li>
 *   <li>The Hadoop {@code Configuration} is the table's, shared by its files and only read here
 *       (Hadoop synchronizes its lazily loaded properties); the {@code FileSystem} comes from
 *       Hadoop's cache, whose instances are made for concurrent use.</li>
 * </ul>
 *
 * <p>Not thread-safe: one thread writes a file, as with any writer.
 */
final class ParquetColumnFile {
    /**
     * Where row groups and pages are cut: in use, row groups by the heap's {@link MemoryBudget} (not
     * Parquet's 128 MiB, which a 256 MiB heap cannot buffer beside a batch) and pages by Parquet's
     * row limit; small ones in tests (several row groups per file; many pages, so that page buffers
     * change hands often).
     *
     * @param rowGroupBytes the buffered size at which a row group is written out
     * @param pageRows the most rows a page holds
     */
    record Limits(long rowGroupBytes, int pageRows) {
        static final Limits DEFAULT = new Limits(MemoryBudget.JVM.rowGroupBytes(),
                ParquetProperties.DEFAULT_PAGE_ROW_COUNT_LIMIT);

        /** @return Parquet's limits but for the row group size */
        static Limits rowGroupBytes(long bytes) {
            return new Limits(bytes, DEFAULT.pageRows());
        }
    }

    /** Records between two looks at the buffered size, unless payload bytes call for one sooner. */
    private static final int SIZE_CHECK_INTERVAL = 1_000;

    private final MessageType schema;
    private final ParquetProperties properties;
    private final long rowGroupBytes;
    /** Payload bytes after which the buffered size is looked at, however few records they came in. */
    private final long checkBytes;
    private final Consumer<ColumnWriteStore> rowGroupStarted;
    private final Runnable rowGroupEnding;
    private final CodecFactory codecs;
    private final BytesInputCompressor compressor;
    private @Nullable ParquetFileWriter file;
    private @Nullable ColumnChunkPageWriteStore pages;
    private @Nullable ColumnWriteStore columns;
    private long rowsInGroup;
    private int recordsSinceCheck;
    private long bytesSinceCheck;

    /**
     * Creates the file and starts its first row group.
     *
     * @param settings the file's encoding settings; it is built here, as Parquet v1 pages (what Spark
     *     writes by default and every reader understands), with a values-writer factory of its own
     * @param limits where row groups and pages are cut
     * @param rowGroupStarted told of each row group's column store, the first one included, before
     *     any value goes in: column writers and record consumers must be taken from it anew
     * @param rowGroupEnding called before a row group is flushed, for writers that hold values back
     * @throws IOException if the file cannot be created
     */
    ParquetColumnFile(Path path, Configuration conf, MessageType schema, ParquetProperties.Builder settings,
            Limits limits, Consumer<ColumnWriteStore> rowGroupStarted, Runnable rowGroupEnding)
            throws IOException {
        this.schema = schema;
        // Parquet looks at a page's size every 100 records at the earliest, so 1 MB values made 100 MB
        // pages, each held whole in heap and then in the compressor's direct buffers (which keep the
        // largest size they saw). From the first record on, it estimates when to look next from the
        // values' sizes: small values are still looked at rarely, and large ones cut a page each.
        this.properties =
                isolated(settings.withPageRowCountLimit(limits.pageRows()).withMinRowCountForPageSizeCheck(1));
        this.rowGroupBytes = limits.rowGroupBytes();
        this.checkBytes = Math.max(1, rowGroupBytes / 16);
        this.rowGroupStarted = rowGroupStarted;
        this.rowGroupEnding = rowGroupEnding;
        this.codecs = new CodecFactory(conf, properties.getPageSizeThreshold());
        this.compressor = codecs.getCompressor(CompressionCodecName.SNAPPY);
        ParquetFileWriter f = null;
        try {
            f = new ParquetFileWriter(HadoopOutputFile.fromPath(path, conf), schema, ParquetFileWriter.Mode.CREATE,
                    ParquetWriter.DEFAULT_BLOCK_SIZE, ParquetWriter.MAX_PADDING_SIZE_DEFAULT, null, properties);
            f.start();
            this.file = f;
            startRowGroup();
        } catch (IOException | RuntimeException e) {
            this.file = null;
            try {
                if (f != null) {
                    f.close();
                }
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            release();
            throw e;
        }
    }

    /**
     * Builds writer properties that share nothing mutable with any other writer of the JVM: the
     * only way this library builds them (see the class comment).
     */
    static ParquetProperties isolated(ParquetProperties.Builder settings) {
        return settings.withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
                .withValuesWriterFactory(new DefaultV1ValuesWriterFactory())
                .build();
    }

    /** @return the file's own properties */
    ParquetProperties properties() {
        return properties;
    }

    /** @return the current row group's column store */
    ColumnWriteStore columns() {
        return Objects.requireNonNull(columns, "closed");
    }

    private void startRowGroup() {
        ColumnChunkPageWriteStore p = new ColumnChunkPageWriteStore(compressor, schema, properties.getAllocator(),
                properties.getColumnIndexTruncateLength(), properties.getPageWriteChecksumEnabled());
        pages = p;
        ColumnWriteStore c = properties.newColumnWriteStore(schema, p, p);
        columns = c;
        rowsInGroup = 0;
        recordsSinceCheck = 0;
        bytesSinceCheck = 0;
        rowGroupStarted.accept(c);
    }

    /**
     * Counts a record the caller has ended in the column store, and writes the row group out once it
     * has reached its size. The size is looked at every thousand records, or sooner when their
     * payloads add up to a sixteenth of a row group, so that large events cannot pile up unseen.
     *
     * @param payloadBytes about how many bytes the record held, 0 if unknown
     * @throws IOException if a full row group cannot be written
     */
    void recordWritten(long payloadBytes) throws IOException {
        rowsInGroup++;
        bytesSinceCheck += payloadBytes;
        if (++recordsSinceCheck < SIZE_CHECK_INTERVAL && bytesSinceCheck < checkBytes) {
            return;
        }
        recordsSinceCheck = 0;
        bytesSinceCheck = 0;
        if (columns().getBufferedSize() >= rowGroupBytes) {
            flushRowGroup();
            releaseRowGroup();
            startRowGroup();
        }
    }

    private void flushRowGroup() throws IOException {
        rowGroupEnding.run();
        ParquetFileWriter f = Objects.requireNonNull(file, "closed");
        f.startBlock(rowsInGroup);
        columns().flush();
        Objects.requireNonNull(pages).flushToFileWriter(f);
        f.endBlock();
        rowsInGroup = 0;
    }

    /**
     * Writes the last row group and the footer, then releases everything.
     *
     * @throws IOException if the file cannot be completed
     */
    void close() throws IOException {
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
            release();
        }
    }

    /**
     * Releases everything without completing the file, which is about to be deleted.
     *
     * @throws IOException if the underlying stream fails to close
     */
    void abandon() throws IOException {
        ParquetFileWriter f = file;
        file = null;
        try {
            if (f != null) {
                f.close();
            }
        } finally {
            release();
        }
    }

    private void releaseRowGroup() {
        ColumnWriteStore c = columns;
        ColumnChunkPageWriteStore p = pages;
        columns = null;
        pages = null;
        if (c != null) {
            c.close();
        }
        if (p != null) {
            p.close();
        }
    }

    /** Idempotent: the row group's buffers go back to the allocator once, and the compressor to its pool once. */
    private void release() {
        try {
            releaseRowGroup();
        } finally {
            codecs.release();
        }
    }
}
