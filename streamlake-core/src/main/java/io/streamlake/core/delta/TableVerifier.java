package io.streamlake.core.delta;

import io.streamlake.core.delta.VerificationReport.Kind;
import io.streamlake.core.delta.VerificationReport.PositionRange;
import io.streamlake.core.delta.VerificationReport.Problem;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Schema;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.TableSnapshot;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.VersionParser.ParsedVersion;
import org.apache.parquet.VersionParser;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.impl.ColumnReaderImpl;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.PageType;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ColumnPath;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that every live data file of a Delta table can be read, value by value, and reports what
 * is damaged instead of throwing: the tool to run after an incident, such as the one that let two
 * bronze writers of one JVM share Parquet buffers and splice each other's pages.
 *
 * <pre>{@code
 * VerificationReport report = TableVerifier.verify("abfss://lake@acct.dfs.core.windows.net/bronze/orders",
 *         AdlsGen2.entraId("acct"));
 * System.out.println(report.summary());
 * if (!report.ok()) {
 *     report.damagedFiles().forEach(f -> System.out.println("damaged: " + f));
 * }
 * }</pre>
 *
 * <p>For the latest version of the table it checks, file by file (sorted by path):
 * <ul>
 *   <li>that the file exists and has the size the log recorded;</li>
 *   <li>that its footer reads, and that its row count is the one in the log's statistics;</li>
 *   <li>every value of every column, decoded page by page with parquet-hadoop's own column reader
 *       (levels, dictionary ids, value lengths, checksums where the writer stored them), so that a
 *       damaged page is named by row group, column and page, and the pages after it are still
 *       checked; for files written by parquet-java (StreamLake's, Spark's), also that each
 *       plain-encoded page's values fill it exactly, which catches a spliced value stream whose
 *       lengths happen to decode;</li>
 *   <li>in a bronze table (the {@code source}, {@code partition} and {@code position} columns of the
 *       bronze layout), that each source partition's positions strictly increase within a file, and
 *       that no two files' position ranges of a source partition overlap: together, that every
 *       position is held once.</li>
 * </ul>
 *
 * <p>It streams: one column chunk is in memory at a time, plus, for a bronze table, one
 * {@code int} per row of the current row group and a position range per file and source
 * partition. It reads the whole table once, so it takes about as long as a full scan; it only
 * reads, and can run while a pipeline writes (files added after the version it lists are not checked).
 */
public final class TableVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(TableVerifier.class);

    /** Occurrences quoted in one positions problem; the others are counted. */
    private static final int EXAMPLES = 5;
    /** Overlapping files listed per source partition; the others are counted in one more problem. */
    private static final int OVERLAPS_LISTED = 10;
    /**
     * Increasing runs of positions kept per source partition and file, to find repeats in a file whose
     * positions go backwards; past this many, the file counts as one range from its lowest to its
     * highest position.
     */
    private static final int RUNS_KEPT = 10_000;
    /** Causes quoted from an exception's chain. */
    private static final int CAUSES = 4;

    private static final PrimitiveConverter NO_CONVERTER = new PrimitiveConverter() {
    };

    private TableVerifier() {
    }

    /**
     * Verifies a table on a local folder, or on a cloud store that needs no storage options.
     *
     * @param tablePath the table's folder or URI
     * @return the report; damaged files are in it, never thrown
     * @throws ConfigurationException if there is no Delta table at the path
     * @throws SinkException if the table's log cannot be read or its files cannot be listed
     */
    public static VerificationReport verify(String tablePath) {
        return verify(tablePath, Map.of());
    }

    /**
     * Verifies a table.
     *
     * @param tablePath the table's folder or URI, as given to {@link DeltaTable#open}
     * @param storageOptions Hadoop settings for the file system, credentials included (never printed)
     * @return the report; damaged files are in it, never thrown
     * @throws ConfigurationException if the path is not valid or there is no Delta table there
     * @throws SinkException if the table's log cannot be read or its files cannot be listed, or the
     *     calling thread is interrupted
     */
    public static VerificationReport verify(String tablePath, Map<String, String> storageOptions) {
        DeltaTable table = DeltaTable.open(tablePath, storageOptions);
        TableSnapshot snapshot = table.snapshot();
        if (snapshot.version() < 0) {
            throw DeltaErrors.nothingToVerify(table.location());
        }
        List<DataFile> files = new ArrayList<>(snapshot.files());
        // The log's order is undefined (replay, checkpoints): sorted, the report reads the same every time.
        files.sort(Comparator.comparing(DataFile::path));
        Verification v = new Verification(table, snapshot.version(), isBronze(snapshot));
        LOG.info("verifying {} version {}: {} data files{}", table.location(), snapshot.version(), files.size(),
                v.bronze ? " (bronze layout: positions checked too)" : "");
        for (int i = 0; i < files.size(); i++) {
            if (Thread.currentThread().isInterrupted()) {
                throw DeltaErrors.verificationInterrupted(table.location(), i, files.size());
            }
            v.check(files.get(i));
        }
        v.checkOverlaps();
        VerificationReport report = new VerificationReport(table.location(), snapshot.version(), files.size(),
                v.rows, v.values, v.problems, v.damagedPositions);
        LOG.info("{}", report.summary().lines().reduce((a, b) -> b).orElse(""));
        return report;
    }

    /** The bronze layout, as {@link BronzeLayout} defines it, in an unpartitioned table. */
    private static boolean isBronze(TableSnapshot snapshot) {
        Optional<Schema> schema = snapshot.schema();
        if (schema.isEmpty() || !snapshot.partitionColumns().isEmpty()) {
            return false;
        }
        Schema s = schema.get();
        return hasColumn(s, BronzeLayout.SOURCE, DataType.Kind.STRING)
                && hasColumn(s, BronzeLayout.PARTITION, DataType.Kind.INT)
                && hasColumn(s, BronzeLayout.POSITION, DataType.Kind.LONG);
    }

    private static boolean hasColumn(Schema schema, String name, DataType.Kind kind) {
        return schema.field(name).map(Field::type).map(DataType::kind).filter(kind::equals).isPresent();
    }

    /** What a column is to the bronze position check. */
    private enum Role { NONE, SOURCE, PARTITION, POSITION }

    /** A source partition of a bronze table. */
    private record PartitionKey(String source, int partition) {
        @Override
        public String toString() {
            return "source " + source + " partition " + partition;
        }
    }

    /** The positions one file holds of one source partition. */
    private record Range(String file, long first, long last) {
    }

    /** Where in a column chunk its pages stop parsing, found by walking their headers. */
    private record Located(int page, String detail) {
        static final Located UNKNOWN = new Located(-1, "");
    }

    /** One run over one table version. */
    private static final class Verification {
        final DeltaTable table;
        final Configuration conf;
        final long version;
        final boolean bronze;
        final List<Problem> problems = new ArrayList<>();
        final List<PositionRange> damagedPositions = new ArrayList<>();
        final Map<PartitionKey, List<Range>> ranges = new HashMap<>();
        long rows;
        long values;
        /** Per row of the current row group: its source id, then its source partition's id; -1 unknown. */
        int[] rowPartitions = new int[0];

        Verification(DeltaTable table, long version, boolean bronze) {
            this.table = table;
            this.conf = table.conf();
            this.version = version;
            this.bronze = bronze;
        }

        void problem(String file, Kind kind, int rowGroup, @Nullable String column, int page, String message) {
            problems.add(new Problem(file, kind, rowGroup, column, page, table.redact(message)));
        }

        void check(DataFile file) {
            FileStatus status;
            try {
                Path path = table.resolve(file.path());
                status = path.getFileSystem(conf).getFileStatus(path);
            } catch (FileNotFoundException e) {
                problem(file.path(), Kind.MISSING, -1, null, -1, "the Delta log lists it at version " + version
                        + " but storage has no such file (deleted by hand, or vacuumed with too short a retention);"
                        + " its " + rowsOf(file) + " are lost from this table" + bounds(file));
                return;
            } catch (IOException | RuntimeException e) {
                problem(file.path(), Kind.UNREADABLE, -1, null, -1, "cannot look the file up: " + describe(e));
                return;
            }
            boolean resized = status.getLen() != file.sizeBytes();
            if (resized) {
                problem(file.path(), Kind.SIZE_MISMATCH, -1, null, -1, String.format(Locale.ROOT,
                        "the file has %,d bytes, the Delta log recorded %,d when it was added: it was %s after it"
                                + " was committed",
                        status.getLen(), file.sizeBytes(),
                        status.getLen() < file.sizeBytes() ? "cut short" : "replaced or appended to"));
            }
            FileCheck check = new FileCheck(this, file, status);
            check.damaged = resized;
            check.run();
        }

        /**
         * @return for a bronze file, the bounds its Delta statistics give its rows (all its source
         *     partitions together), as a sentence to append; empty otherwise
         */
        String bounds(DataFile file) {
            if (!bronze) {
                return "";
            }
            Optional<Object> minPosition = file.min(BronzeLayout.POSITION);
            Optional<Object> maxPosition = file.max(BronzeLayout.POSITION);
            if (minPosition.isEmpty() || maxPosition.isEmpty()) {
                return "";
            }
            return ". The Delta log's statistics bound its rows to " + between(file, BronzeLayout.SOURCE, "source")
                    + ", " + between(file, BronzeLayout.PARTITION, "partition") + ", positions " + minPosition.get()
                    + ".." + maxPosition.get() + " (all its source partitions together)";
        }

        private static String between(DataFile file, String column, String noun) {
            Object min = file.min(column).orElse("?");
            Object max = file.max(column).orElse("?");
            return min.equals(max) ? noun + " " + min : noun + "s " + min + ".." + max;
        }

        private static String rowsOf(DataFile file) {
            return file.rowCount() < 0 ? "rows" : String.format(Locale.ROOT, "%,d rows", file.rowCount());
        }

        /** Lists, per bronze source partition, files whose position ranges overlap an earlier one's. */
        void checkOverlaps() {
            Map<PartitionKey, List<Range>> sorted = new TreeMap<>(
                    Comparator.comparing(PartitionKey::source).thenComparingInt(PartitionKey::partition));
            sorted.putAll(ranges);
            for (Map.Entry<PartitionKey, List<Range>> e : sorted.entrySet()) {
                List<Range> list = new ArrayList<>(e.getValue());
                list.sort(Comparator.comparingLong(Range::first).thenComparingLong(Range::last)
                        .thenComparing(Range::file));
                Range reach = null;
                int listed = 0;
                int more = 0;
                @Nullable
                String lastOverlapping = null;
                for (Range r : list) {
                    if (reach != null && r.first() <= reach.last()) {
                        if (listed < OVERLAPS_LISTED) {
                            listed++;
                            boolean sameFile = r.file().equals(reach.file());
                            problem(r.file(), Kind.POSITIONS_DUPLICATED, -1, BronzeLayout.POSITION, -1, String.format(
                                    Locale.ROOT, "%s: positions %d..%d of this file overlap positions %d..%d %s:"
                                            + " every position from %d to %d that both hold is held twice",
                                    e.getKey(), r.first(), r.last(), reach.first(), reach.last(),
                                    sameFile ? "earlier in the same file" : "of " + reach.file(), r.first(),
                                    Math.min(r.last(), reach.last())));
                        } else {
                            more++;
                            lastOverlapping = r.file();
                        }
                    }
                    if (reach == null || r.last() > reach.last()) {
                        reach = r;
                    }
                }
                if (more > 0 && lastOverlapping != null) {
                    problem(lastOverlapping, Kind.POSITIONS_DUPLICATED, -1, BronzeLayout.POSITION, -1,
                            e.getKey() + ": " + more + " more overlaps of positions held earlier (not listed)");
                }
            }
        }

        int[] rowPartitions(int rowCount) {
            if (rowPartitions.length < rowCount) {
                rowPartitions = new int[rowCount];
            }
            Arrays.fill(rowPartitions, 0, rowCount, -1);
            return rowPartitions;
        }
    }

    /** One source partition's positions within one file. */
    private static final class Positions {
        final PartitionKey key;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        long previous;
        boolean any;
        long rows;
        long backwards;
        long repeats;
        final List<String> backwardsSeen = new ArrayList<>();
        final List<String> repeatsSeen = new ArrayList<>();
        /** Where the current increasing run started. */
        long runStart;
        /** The runs before the current one, as first and last position pairs; null past RUNS_KEPT. */
        long @Nullable [] runs = new long[0];
        int runCount;

        Positions(PartitionKey key) {
            this.key = key;
        }

        void add(long position, long row) {
            if (!any) {
                runStart = position;
            } else if (position < previous) {
                if (backwards++ < EXAMPLES) {
                    backwardsSeen.add("row " + row + ": " + position + " after " + previous);
                }
                endRun();
                runStart = position;
            } else if (position == previous) {
                if (repeats++ < EXAMPLES) {
                    repeatsSeen.add("row " + row + ": " + position + " again");
                }
            }
            any = true;
            rows++;
            previous = position;
            if (position < min) {
                min = position;
            }
            if (position > max) {
                max = position;
            }
        }

        private void endRun() {
            long[] r = runs;
            if (r == null) {
                return;
            }
            if (runCount == RUNS_KEPT) {
                runs = null;
                return;
            }
            if (2 * runCount == r.length) {
                r = Arrays.copyOf(r, Math.max(8, r.length * 2));
                runs = r;
            }
            r[2 * runCount] = runStart;
            r[2 * runCount + 1] = previous;
            runCount++;
        }

        /** @return the file's increasing runs of positions, or its whole range when they were too many */
        List<Range> ranges(String file) {
            endRun();
            long[] r = runs;
            if (r == null) {
                return List.of(new Range(file, min, max));
            }
            List<Range> out = new ArrayList<>(runCount);
            for (int i = 0; i < runCount; i++) {
                out.add(new Range(file, r[2 * i], r[2 * i + 1]));
            }
            return out;
        }

        static String occurrences(long count, List<String> seen) {
            return count + (count == 1 ? " time (" : " times (") + String.join("; ", seen)
                    + (count > seen.size() ? "; and " + (count - seen.size()) + " more)" : ")");
        }
    }

    /** A dictionary page decoded once per column chunk, not once per data page. */
    private static final class DecodedDictionary extends DictionaryPage {
        private @Nullable Dictionary decoded;

        DecodedDictionary(BytesInput bytes, int dictionarySize, Encoding encoding) {
            super(bytes, dictionarySize, encoding);
        }

        @Override
        public Dictionary decode(ColumnDescriptor path) {
            Dictionary d = decoded;
            if (d == null) {
                d = super.decode(path);
                decoded = d;
            }
            return d;
        }
    }

    /**
     * One data page as a column chunk of its own: a column reader over it decodes that page alone, so
     * a failure is the page's, and the next page can still be checked.
     */
    private static final class OnePage implements PageReader {
        private final @Nullable DictionaryPage dictionary;
        private @Nullable DataPage page;
        private final long values;

        OnePage(@Nullable DictionaryPage dictionary, DataPage page) {
            this.dictionary = dictionary;
            this.page = page;
            this.values = page.getValueCount();
        }

        @Override
        public @Nullable DictionaryPage readDictionaryPage() {
            return dictionary;
        }

        @Override
        public long getTotalValueCount() {
            return values;
        }

        @Override
        public @Nullable DataPage readPage() {
            DataPage p = page;
            page = null;
            return p;
        }
    }

    /** A decompressed data page on the heap, with where its values start when that can be told. */
    private record HeapPage(DataPage page, byte[] values, int valuesStart, Encoding encoding) {
    }

    /** The checks of one data file. */
    private static final class FileCheck {
        final Verification run;
        final DataFile file;
        final FileStatus status;
        @Nullable InputFile input;
        // Bronze positions: sources and source partitions get small ids, so rows carry ints.
        final List<Positions> partitions = new ArrayList<>();
        final Map<Long, Integer> partitionIds = new HashMap<>();
        final Map<Binary, Integer> sourceIds = new HashMap<>();
        final List<String> sources = new ArrayList<>();
        @Nullable Binary lastSource;
        int lastSourceId = -1;
        long lastPartitionKey = Long.MIN_VALUE;
        int lastPartitionId = -1;
        /** Rows of the row groups before the current one. */
        long rowsBefore;
        @Nullable ParsedVersion writer;
        /** Whether the writer is known to end plain value streams exactly at their page's end. */
        boolean exactPlainPages;
        /** Whether the file is unreadable in part, or changed since it was committed. */
        boolean damaged;
        /** Whether the source, partition and position of every row were read. */
        boolean layoutRead;

        FileCheck(Verification run, DataFile file, FileStatus status) {
            this.run = run;
            this.file = file;
            this.status = status;
        }

        void problem(Kind kind, int rowGroup, @Nullable String column, int page, String message) {
            run.problem(file.path(), kind, rowGroup, column, page, message);
            if (kind == Kind.UNREADABLE) {
                damaged = true;
            }
        }

        void run() {
            ParquetFileReader reader;
            try {
                InputFile in = HadoopInputFile.fromStatus(status, run.conf);
                input = in;
                ParquetReadOptions options = HadoopReadOptions.builder(run.conf)
                        // StreamLake writes no page checksums, but other writers do: use them where present
                        .usePageChecksumVerification(true)
                        .build();
                reader = ParquetFileReader.open(in, options);
            } catch (Exception | OutOfMemoryError | AssertionError e) {
                problem(Kind.UNREADABLE, -1, null, -1, "cannot read the Parquet footer, so none of its "
                        + Verification.rowsOf(file) + " can be read: " + describe(e) + run.bounds(file));
                return;
            }
            try {
                read(reader);
            } catch (Exception | OutOfMemoryError | AssertionError e) {
                // Every page's failure is caught where it is located; this is only the net under that.
                problem(Kind.UNREADABLE, -1, null, -1, "reading the file failed: " + describe(e));
            } finally {
                try {
                    reader.close();
                } catch (IOException | RuntimeException e) {
                    // Everything was read: a failure to release the stream loses nothing.
                    LOG.debug("closing {} failed: {}", file.path(), e.toString());
                }
            }
            finishPositions();
        }

        private void read(ParquetFileReader reader) {
            ParquetMetadata footer = reader.getFooter();
            String createdBy = footer.getFileMetaData().getCreatedBy();
            writer = parseVersion(createdBy);
            exactPlainPages = createdBy != null
                    && (createdBy.startsWith("parquet-mr") || createdBy.startsWith("parquet-java"));
            List<BlockMetaData> blocks = footer.getBlocks();
            long footerRows = blocks.stream().mapToLong(BlockMetaData::getRowCount).sum();
            if (file.rowCount() >= 0 && file.rowCount() != footerRows) {
                problem(Kind.ROW_COUNT_MISMATCH, -1, null, -1, String.format(Locale.ROOT, "the Delta log's statistics"
                        + " say %,d rows (numRecords), the Parquet footer %,d: readers that trust the statistics"
                        + " (counts, data skipping) get wrong answers", file.rowCount(), footerRows));
            }
            List<ColumnDescriptor> columns = footer.getFileMetaData().getSchema().getColumns();
            Role[] roles = roles(columns);
            layoutRead = roles != null;
            for (int g = 0; g < blocks.size(); g++) {
                BlockMetaData block = blocks.get(g);
                if (block.getRowCount() == 0) {
                    continue; // nothing to decode, and parquet-hadoop refuses to read it
                }
                boolean positions = roles != null && block.getRowCount() < Integer.MAX_VALUE - 8;
                if (roles != null && !positions) {
                    layoutRead = false;
                }
                int[] rowPartitions = positions ? run.rowPartitions((int) block.getRowCount()) : null;
                boolean complete = true;
                for (int c = 0; c < columns.size(); c++) {
                    ColumnDescriptor column = columns.get(c);
                    ColumnChunkMetaData meta = chunk(block, column);
                    if (meta == null) {
                        problem(Kind.UNREADABLE, g, name(column), -1, "the footer has no column chunk for this"
                                + " column in this row group");
                        complete = false;
                        continue;
                    }
                    Role role = positions ? roles[c] : Role.NONE;
                    complete &= new ChunkCheck(this, reader, g, block, column, meta, role, rowPartitions).run();
                }
                if (complete) {
                    run.rows += block.getRowCount();
                }
                rowsBefore += block.getRowCount();
            }
        }

        /** @return the role of each column, or null when the file lacks the bronze layout's columns */
        private Role @Nullable [] roles(List<ColumnDescriptor> columns) {
            if (!run.bronze) {
                return null;
            }
            Role[] roles = new Role[columns.size()];
            Arrays.fill(roles, Role.NONE);
            int found = 0;
            for (int i = 0; i < columns.size(); i++) {
                ColumnDescriptor c = columns.get(i);
                if (c.getPath().length != 1 || c.getMaxRepetitionLevel() != 0) {
                    continue;
                }
                PrimitiveTypeName type = c.getPrimitiveType().getPrimitiveTypeName();
                String name = c.getPath()[0];
                Role role = name.equals(BronzeLayout.SOURCE) && type == PrimitiveTypeName.BINARY ? Role.SOURCE
                        : name.equals(BronzeLayout.PARTITION) && type == PrimitiveTypeName.INT32 ? Role.PARTITION
                                : name.equals(BronzeLayout.POSITION) && type == PrimitiveTypeName.INT64 ? Role.POSITION
                                        : Role.NONE;
                if (role != Role.NONE) {
                    // Source ids are replaced by source partition ids, which positions then use: that order.
                    if (role.ordinal() != ++found) {
                        return null;
                    }
                    roles[i] = role;
                }
            }
            return found == 3 ? roles : null;
        }

        private static @Nullable ColumnChunkMetaData chunk(BlockMetaData block, ColumnDescriptor column) {
            ColumnPath path = ColumnPath.get(column.getPath());
            for (ColumnChunkMetaData c : block.getColumns()) {
                if (c.getPath().equals(path)) {
                    return c;
                }
            }
            return null;
        }

        int sourceId(Binary source) {
            if (source == lastSource) {
                return lastSourceId; // a dictionary hands out the same instance for the same value
            }
            Integer id = sourceIds.get(source);
            if (id == null) {
                id = sources.size();
                sources.add(source.toStringUsingUTF8());
                sourceIds.put(Binary.fromConstantByteArray(source.getBytes()), id);
            }
            lastSource = source;
            lastSourceId = id;
            return id;
        }

        int partitionId(int sourceId, int partition) {
            long key = (long) sourceId << 32 | (partition & 0xFFFF_FFFFL);
            if (key == lastPartitionKey) {
                return lastPartitionId;
            }
            Integer id = partitionIds.get(key);
            if (id == null) {
                id = partitions.size();
                partitions.add(new Positions(new PartitionKey(sources.get(sourceId), partition)));
                partitionIds.put(key, id);
            }
            lastPartitionKey = key;
            lastPartitionId = id;
            return id;
        }

        private void finishPositions() {
            for (Positions p : partitions) {
                if (!p.any) {
                    continue;
                }
                if (p.backwards > 0) {
                    problem(Kind.POSITIONS_OUT_OF_ORDER, -1, BronzeLayout.POSITION, -1, p.key + ": positions go"
                            + " backwards " + Positions.occurrences(p.backwards, p.backwardsSeen) + ": the rows are"
                            + " not in the source's order. Bronze compaction in earlier versions combined files out of"
                            + " order, which loses nothing: unless POSITIONS_DUPLICATED names this file and partition"
                            + " too, each position is still held once");
                }
                if (p.repeats > 0) {
                    problem(Kind.POSITIONS_DUPLICATED, -1, BronzeLayout.POSITION, -1, p.key + ": a position"
                            + " repeats " + Positions.occurrences(p.repeats, p.repeatsSeen) + "; each event is held"
                            + " once");
                }
                run.ranges.computeIfAbsent(p.key, k -> new ArrayList<>()).addAll(p.ranges(file.path()));
                if (damaged && layoutRead) {
                    run.damagedPositions.add(new PositionRange(file.path(), p.key.source(), p.key.partition(), p.min,
                            p.max, p.rows));
                }
            }
        }
    }

    /** The checks of one column chunk: its pages one by one. */
    private static final class ChunkCheck {
        final FileCheck fileCheck;
        final ParquetFileReader reader;
        final int group;
        final BlockMetaData block;
        final ColumnDescriptor column;
        final ColumnChunkMetaData meta;
        final String name;
        final int maxDefinition;
        final PrimitiveTypeName type;
        /** The bronze role; NONE once the rows of the pages can no longer be told. */
        Role role;
        final int @Nullable [] rowPartitions;
        /** The row group's row of the next page's first value (roles are top-level required columns). */
        int row;

        ChunkCheck(FileCheck fileCheck, ParquetFileReader reader, int group, BlockMetaData block,
                ColumnDescriptor column, ColumnChunkMetaData meta, Role role, int @Nullable [] rowPartitions) {
            this.fileCheck = fileCheck;
            this.reader = reader;
            this.group = group;
            this.block = block;
            this.column = column;
            this.meta = meta;
            this.name = name(column);
            this.maxDefinition = column.getMaxDefinitionLevel();
            this.type = column.getPrimitiveType().getPrimitiveTypeName();
            this.role = role;
            this.rowPartitions = rowPartitions;
        }

        void problem(int page, String message) {
            fileCheck.problem(Kind.UNREADABLE, group, name, page, message);
        }

        /** @return true when every page decoded */
        boolean run() {
            PageReadStore store;
            try {
                // One column at a time: a page header that does not parse is then located to its column,
                // and only one column chunk is in memory.
                reader.setRequestedSchema(List.of(column));
                store = reader.readRowGroup(group);
            } catch (Exception | OutOfMemoryError | AssertionError e) {
                Located where = locate();
                problem(where.page(), "cannot read the column chunk" + where.detail() + ": " + describe(e));
                layoutLost();
                loseRowsFrom(0);
                return false;
            }
            try {
                return pages(store.getPageReader(column));
            } finally {
                store.close();
            }
        }

        /** A failure in a column of the bronze layout leaves some rows without their position. */
        private void layoutLost() {
            if (role != Role.NONE) {
                fileCheck.layoutRead = false;
            }
        }

        private boolean pages(PageReader pages) {
            DecodedDictionary dictionary = null;
            try {
                DictionaryPage raw = pages.readDictionaryPage();
                if (raw != null) {
                    byte[] bytes = toArray(raw.getBytes()); // decompresses
                    if (bytes.length != raw.getUncompressedSize()) {
                        throw new IOException("it decompresses to " + bytes.length + " bytes, its header says "
                                + raw.getUncompressedSize());
                    }
                    dictionary = new DecodedDictionary(BytesInput.from(bytes), raw.getDictionarySize(),
                            raw.getEncoding());
                    dictionary.decode(column);
                }
            } catch (Exception | OutOfMemoryError | AssertionError e) {
                problem(-1, "cannot decode the dictionary page, so no page that uses it can be read: " + describe(e));
                layoutLost();
                loseRowsFrom(0);
                return false;
            }
            boolean complete = true;
            long rowsInChunk = 0;
            for (int index = 0;; index++) {
                DataPage page;
                try {
                    page = pages.readPage();
                } catch (Exception | OutOfMemoryError | AssertionError e) {
                    problem(index, "cannot read the page: " + describe(e));
                    layoutLost();
                    loseRowsFrom(row);
                    complete = false;
                    continue; // the page was taken off the chunk: the next call reads the next one
                }
                if (page == null) {
                    break;
                }
                long pageRows = page(page, index, dictionary);
                if (pageRows < 0) {
                    complete = false;
                } else {
                    rowsInChunk += pageRows;
                }
            }
            if (complete && rowsInChunk != block.getRowCount()) {
                layoutLost();
                problem(-1, String.format(Locale.ROOT, "the column chunk holds %,d rows, the footer says %,d for"
                        + " this row group", rowsInChunk, block.getRowCount()));
                return false;
            }
            return complete;
        }

        /** @return the rows the page holds, or -1 when it is damaged (and reported) */
        private long page(DataPage compressed, int index, @Nullable DictionaryPage dictionary) {
            int count = compressed.getValueCount();
            HeapPage heap;
            try {
                heap = onHeap(compressed);
            } catch (Exception | OutOfMemoryError | AssertionError e) {
                problem(index, "cannot decompress the page: " + describe(e));
                layoutLost();
                skipRows(count);
                return -1;
            }
            if (count == 0) {
                return 0;
            }
            boolean dictionaryIds = heap.encoding().usesDictionary();
            // Plain byte arrays are skipped, not read: the reader checks each length all the same, without
            // allocating a Binary per value; the page's lengths are then walked to check they fill it.
            boolean skipBytes = !dictionaryIds && role == Role.NONE && isBytes(type);
            int firstRow = row;
            long rows = 0;
            long present = 0;
            int i = 0;
            try {
                ColumnReaderImpl values = new ColumnReaderImpl(column, new OnePage(dictionary, heap.page()),
                        NO_CONVERTER, fileCheck.writer);
                for (; i < count; i++) {
                    if (values.getCurrentRepetitionLevel() == 0) {
                        rows++;
                    }
                    if (values.getCurrentDefinitionLevel() == maxDefinition) {
                        present++;
                        switch (role) {
                            case NONE -> decode(values, skipBytes);
                            case SOURCE -> rowPartitions()[firstRow + i] = fileCheck.sourceId(values.getBinary());
                            case PARTITION -> {
                                int[] ids = rowPartitions();
                                int source = ids[firstRow + i];
                                ids[firstRow + i] =
                                        source < 0 ? -1 : fileCheck.partitionId(source, values.getInteger());
                            }
                            case POSITION -> {
                                int id = rowPartitions()[firstRow + i];
                                long position = values.getLong();
                                if (id >= 0) {
                                    fileCheck.partitions.get(id).add(position, fileCheck.rowsBefore + firstRow + i);
                                }
                            }
                        }
                    }
                    values.consume();
                }
            } catch (OutOfMemoryError e) {
                problem(index, "ran out of memory decoding value " + i + " of " + count + " of the page: a damaged"
                        + " length asks for an impossible buffer, or the heap is too small; if many pages report"
                        + " this, give the verifier more heap (-Xmx) and run it again");
                layoutLost();
                loseRows(firstRow + i, firstRow + count);
                row = firstRow + count;
                fileCheck.run.values += i;
                return -1;
            } catch (Exception | AssertionError e) {
                // Damaged bytes reach the decoders in ways they do not expect: any failure is the page's damage.
                problem(index, "cannot decode value " + i + " of " + count + " of the page: " + describe(e));
                layoutLost();
                loseRows(firstRow + i, firstRow + count);
                row = firstRow + count;
                fileCheck.run.values += i;
                return -1;
            }
            fileCheck.run.values += count;
            row = firstRow + count;
            String misfit = fileCheck.exactPlainPages ? misfit(heap, present) : null;
            if (misfit != null) {
                problem(index, misfit);
                layoutLost();
                return -1;
            }
            return rows;
        }

        private int[] rowPartitions() {
            int[] ids = rowPartitions;
            if (ids == null) {
                throw new IllegalStateException("no bronze rows for column " + name); // roles come with rows
            }
            return ids;
        }

        private void decode(ColumnReaderImpl values, boolean skipBytes) {
            switch (type) {
                case BOOLEAN -> values.getBoolean();
                case INT32 -> values.getInteger();
                case INT64 -> values.getLong();
                case FLOAT -> values.getFloat();
                case DOUBLE -> values.getDouble();
                case BINARY, FIXED_LEN_BYTE_ARRAY, INT96 -> {
                    if (skipBytes) {
                        values.skip();
                    } else {
                        values.getBinary();
                    }
                }
            }
        }

        private static boolean isBytes(PrimitiveTypeName type) {
            return type == PrimitiveTypeName.BINARY || type == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY
                    || type == PrimitiveTypeName.INT96;
        }

        /**
         * The page whose reading failed holds rows this column can no longer attribute: the rows it
         * covers lose their source partition (their positions are not checked), and when its size is
         * unknown, so do all later rows of the row group.
         */
        private void skipRows(int count) {
            loseRows(row, row + count);
            row += count;
        }

        private void loseRowsFrom(int from) {
            if (rowPartitions != null && role != Role.NONE) {
                loseRows(from, (int) block.getRowCount());
            }
            role = Role.NONE;
        }

        private void loseRows(int from, int to) {
            int[] ids = rowPartitions;
            if (ids == null || role == Role.NONE || role == Role.POSITION) {
                return; // positions lost are simply not checked
            }
            int end = Math.min(to, (int) block.getRowCount());
            if (from < end) {
                Arrays.fill(ids, Math.max(0, from), end, -1);
            }
        }

        /** Copies the page's bytes to the heap, which decompresses them, and checks their size. */
        private HeapPage onHeap(DataPage page) throws IOException {
            if (page instanceof DataPageV1 v1) {
                byte[] bytes = toArray(v1.getBytes());
                if (bytes.length != v1.getUncompressedSize()) {
                    throw new IOException("it decompresses to " + bytes.length + " bytes, its header says "
                            + v1.getUncompressedSize());
                }
                DataPageV1 copy = new DataPageV1(BytesInput.from(bytes), v1.getValueCount(), bytes.length,
                        v1.getStatistics(), v1.getRlEncoding(), v1.getDlEncoding(), v1.getValueEncoding());
                return new HeapPage(copy, bytes, valuesStart(v1, bytes), v1.getValueEncoding());
            }
            if (page instanceof DataPageV2 v2) {
                byte[] data = toArray(v2.getData());
                DataPageV2 copy = DataPageV2.uncompressed(v2.getRowCount(), v2.getNullCount(), v2.getValueCount(),
                        BytesInput.from(toArray(v2.getRepetitionLevels())),
                        BytesInput.from(toArray(v2.getDefinitionLevels())),
                        v2.getDataEncoding(), BytesInput.from(data), v2.getStatistics());
                return new HeapPage(copy, data, 0, v2.getDataEncoding());
            }
            throw new IOException("unknown kind of data page " + page.getClass().getName());
        }

        /**
         * @return where a v1 page's values start, after its levels (each an RLE run prefixed with its
         *     length), or -1 when the levels are encoded another way
         */
        private int valuesStart(DataPageV1 page, byte[] bytes) {
            int at = 0;
            if (column.getMaxRepetitionLevel() > 0) {
                if (page.getRlEncoding() != Encoding.RLE || at + 4 > bytes.length) {
                    return -1;
                }
                at += 4 + readInt(bytes, at);
            }
            if (column.getMaxDefinitionLevel() > 0) {
                if (page.getDlEncoding() != Encoding.RLE || at < 0 || at + 4 > bytes.length) {
                    return -1;
                }
                at += 4 + readInt(bytes, at);
            }
            return at < 0 || at > bytes.length ? -1 : at;
        }

        /**
         * A plain value stream whose lengths decode but do not end at the end of the page was not
         * written as one: bytes of another page were spliced in. parquet-java ends every plain stream
         * exactly at its page's end (booleans excepted: bit-packed, they may end in padding).
         *
         * @param present the page's values that are not null
         * @return what does not fit, or null
         */
        private @Nullable String misfit(HeapPage heap, long present) {
            if (heap.encoding() != Encoding.PLAIN || heap.valuesStart() < 0 || type == PrimitiveTypeName.BOOLEAN) {
                return null;
            }
            byte[] bytes = heap.values();
            long start = heap.valuesStart();
            long end;
            if (type == PrimitiveTypeName.BINARY) {
                long at = start;
                for (long v = 0; v < present; v++) {
                    if (at + 4 > bytes.length) {
                        return "value " + v + " of the page's " + present + " values starts past its end";
                    }
                    int length = readInt(bytes, (int) at);
                    if (length < 0) {
                        return "value " + v + " of the page's " + present + " values has a negative length";
                    }
                    at += 4L + length;
                }
                end = at;
            } else {
                end = start + present * width();
            }
            if (end == bytes.length) {
                return null;
            }
            return String.format(Locale.ROOT, "the page's %,d values decode but %s: its value stream is not the one"
                    + " written for it (bytes of another page spliced in?)", present,
                    end < bytes.length
                            ? "end " + (bytes.length - end) + " bytes before the end of the page"
                            : "run " + (end - bytes.length) + " bytes past the end of the page");
        }

        private int width() {
            return switch (type) {
                case INT32, FLOAT -> 4;
                case INT64, DOUBLE -> 8;
                case INT96 -> 12;
                case FIXED_LEN_BYTE_ARRAY -> column.getPrimitiveType().getTypeLength();
                case BINARY, BOOLEAN -> throw new IllegalArgumentException(type + " has no fixed width");
            };
        }

        /** Walks the chunk's page headers to find the first one that does not parse or check out. */
        private Located locate() {
            long start = meta.getStartingPos();
            long end = start + meta.getTotalSize();
            InputFile file = fileCheck.input;
            if (file == null) {
                return Located.UNKNOWN;
            }
            try (SeekableInputStream in = file.newStream()) {
                in.seek(start);
                int dataPages = 0;
                CRC32 crc = new CRC32();
                byte[] buffer = new byte[8192];
                while (in.getPos() < end) {
                    long at = in.getPos();
                    PageHeader header;
                    try {
                        header = Util.readPageHeader(in);
                    } catch (IOException | RuntimeException e) {
                        return new Located(dataPages, " (the page header at byte " + at + ", data page " + dataPages
                                + ", does not parse)");
                    }
                    boolean data = header.getType() == PageType.DATA_PAGE || header.getType() == PageType.DATA_PAGE_V2;
                    String what = data ? "data page " + dataPages : "the " + header.getType() + " page";
                    int size = header.getCompressed_page_size();
                    if (size < 0 || in.getPos() + size > end) {
                        return new Located(data ? dataPages : -1, " (" + what + " at byte " + at + " claims " + size
                                + " bytes, past the end of the column chunk)");
                    }
                    if (header.isSetCrc()) {
                        crc.reset();
                        for (int left = size; left > 0;) {
                            int n = in.read(buffer, 0, Math.min(buffer.length, left));
                            if (n < 0) {
                                return Located.UNKNOWN;
                            }
                            crc.update(buffer, 0, n);
                            left -= n;
                        }
                        if ((int) crc.getValue() != header.getCrc()) {
                            return new Located(data ? dataPages : -1, " (" + what + " at byte " + at
                                    + " does not match its checksum)");
                        }
                    } else {
                        in.seek(in.getPos() + size);
                    }
                    if (data) {
                        dataPages++;
                    }
                }
                return Located.UNKNOWN;
            } catch (IOException | RuntimeException e) {
                return Located.UNKNOWN; // the failure itself is reported; where it lies stays unknown
            }
        }
    }

    /** The bytes, decompressed if they are a decompressing stream, in an array of their own size. */
    private static byte[] toArray(BytesInput in) throws IOException {
        ArrayOutput out = new ArrayOutput(Math.toIntExact(in.size()));
        in.writeAllTo(out);
        return out.full();
    }

    /** Writes into an array of a size known in advance: no growing, no copy. */
    private static final class ArrayOutput extends OutputStream {
        private final byte[] bytes;
        private int size;

        ArrayOutput(int capacity) {
            bytes = new byte[capacity];
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > bytes.length - size) {
                throw new IOException("the bytes run past the " + bytes.length + " announced");
            }
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        byte[] full() throws IOException {
            if (size != bytes.length) {
                throw new IOException("the bytes end after " + size + " of the " + bytes.length + " announced");
            }
            return bytes;
        }
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    private static String name(ColumnDescriptor column) {
        return String.join(".", column.getPath());
    }

    private static @Nullable ParsedVersion parseVersion(@Nullable String createdBy) {
        if (createdBy == null) {
            return null;
        }
        try {
            return VersionParser.parse(createdBy);
        } catch (VersionParser.VersionParseException | RuntimeException e) {
            return null; // only needed to work around old writers' bugs, which a foreign writer does not have
        }
    }

    /** @return the exception and its causes, class and message each, for a report line */
    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (Throwable c = t; c != null && n < CAUSES; c = c.getCause() == c ? null : c.getCause(), n++) {
            if (n > 0) {
                sb.append("; caused by ");
            }
            sb.append(c.getClass().getSimpleName());
            String message = c.getMessage();
            if (message != null && !message.isBlank()) {
                sb.append(": ").append(message.strip().replace('\n', ' '));
            }
        }
        return sb.toString();
    }
}
