package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.util.Workers;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.Nullable;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.ForwardingTable;
import io.streamlake.table.Table;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Silver files are cut by bytes as well as rows: a merge reads a file it rewrites whole, so a file
 * of a million 1 MB rows could never be merged.
 */
class SilverFilesBytesTest {
    private static final Schema SCHEMA = Schema.builder().required("id", DataType.LONG)
            .optional("blob", DataType.STRING).build();

    @Test
    void largeRowsMakeFilesOfAboutTheTargetBytesCutBetweenKeys() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // two versions of each key: a file may only end between keys
            rows.add(Row.of(SCHEMA, (long) i / 2, Character.toString('a' + i % 26).repeat(100_000)));
        }
        long targetBytes = 450_000;
        try (Workers workers = new Workers(2, "bytes-test")) {
            SilverFiles io = new SilverFiles(new MemoryFiles(), SilverColumns.all(SCHEMA),
                    SilverKey.of(SCHEMA, List.of("id")), 1_000_000, targetBytes, workers);
            List<DataFile> files = io.write(rows, true);
            assertThat(files).hasSizeBetween(6, 10); // 4 MB in files of about 450 KB
            List<Row> back = new ArrayList<>();
            long lastMax = -1;
            for (DataFile f : files) {
                long bytes = 0;
                long min = Long.MAX_VALUE;
                for (Iterator<Row> it = io.read(f); it.hasNext();) {
                    Row r = it.next();
                    back.add(r);
                    bytes += SilverFiles.bytes(r);
                    min = Math.min(min, r.longValue("id"));
                }
                // past the target by at most the row that reached it and the key's other version
                assertThat(bytes).isLessThanOrEqualTo(targetBytes + 2 * SilverFiles.bytes(rows.get(0)));
                assertThat(min).as("key ranges stay disjoint").isGreaterThan(lastMax);
                lastMax = back.get(back.size() - 1).longValue("id");
            }
            assertThat(back).containsExactlyElementsOf(rows);
        }
    }

    @Test
    void smallRowsStillFollowTheRowTarget() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            rows.add(Row.of(SCHEMA, (long) i, "x"));
        }
        try (Workers workers = new Workers(1, "bytes-test")) {
            SilverFiles io = new SilverFiles(new MemoryFiles(), SilverColumns.all(SCHEMA),
                    SilverKey.of(SCHEMA, List.of("id")), 30, 1L << 30, workers);
            assertThat(io.write(rows, false)).extracting(DataFile::rowCount).containsExactly(25L, 25L, 25L, 25L);
        }
    }

    @Test
    void filesAreWrittenWithTheKeyHintedAsDistinct() {
        List<Set<String>> hints = new ArrayList<>();
        Table recording = new ForwardingTable(new MemoryFiles()) {
            @Override
            public DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues,
                    Set<String> distinctColumns) {
                hints.add(distinctColumns);
                return super.newDataFile(schema, partitionValues, distinctColumns);
            }
        };
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            rows.add(Row.of(SCHEMA, (long) i, "x"));
        }
        try (Workers workers = new Workers(1, "bytes-test")) {
            SilverFiles io = new SilverFiles(recording, SilverColumns.all(SCHEMA), SilverKey.of(SCHEMA, List.of("id")),
                    50, 1L << 30, workers);
            assertThat(io.write(rows, false)).hasSize(2);
        }
        assertThat(hints).containsExactly(Set.of("id"), Set.of("id"));
    }

    @Test
    void aTableSmallerThanAFileIsWrittenInOneFilePerWorkerWhenWrittenOnThem() {
        List<Row> rows = new ArrayList<>();
        int n = 3 * SilverFiles.MIN_PARALLEL_FILE_ROWS + 7;
        for (int i = 0; i < n; i++) {
            rows.add(Row.of(SCHEMA, (long) i / 2, "v" + i)); // two rows a key: cuts fall between keys
        }
        try (Workers workers = new Workers(2, "bytes-test")) {
            SilverFiles io = new SilverFiles(new MemoryFiles(), SilverColumns.all(SCHEMA),
                    SilverKey.of(SCHEMA, List.of("id")), 1_000_000, workers,
                    SilverFiles.parallelFiles(workers, 10));
            List<DataFile> split = io.write(rows, true);
            assertThat(split).hasSize(2);
            List<Row> back = new ArrayList<>();
            long lastMax = -1;
            for (DataFile f : split) {
                List<Row> in = new ArrayList<>();
                io.read(f).forEachRemaining(in::add);
                assertThat(in.get(0).longValue("id")).as("key ranges stay disjoint").isGreaterThan(lastMax);
                lastMax = in.get(in.size() - 1).longValue("id");
                back.addAll(in);
            }
            assertThat(back).containsExactlyElementsOf(rows);
            // a write already on the workers (one of several files' merges) keeps one file
            assertThat(io.write(rows, false)).hasSize(1);
            // too few rows for two files worth splitting
            assertThat(io.write(rows.subList(0, 2 * SilverFiles.MIN_PARALLEL_FILE_ROWS - 2), true)).hasSize(1);
        }
    }

    @Test
    void splitFilesStayFewerThanCompactionJoins() {
        try (Workers eight = new Workers(8, "bytes-test"); Workers one = new Workers(1, "bytes-test")) {
            assertThat(SilverFiles.parallelFiles(eight, 10)).isEqualTo(8);
            assertThat(SilverFiles.parallelFiles(eight, 4)).isEqualTo(3);
            assertThat(SilverFiles.parallelFiles(eight, 1)).isEqualTo(1);
            assertThat(SilverFiles.parallelFiles(one, 10)).isEqualTo(1);
        }
    }

    @Test
    void smallValuesAreCountedAsTheHeapHoldsThemRowsAndHeadersIncluded() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            rows.add(Row.of(SCHEMA, (long) i, "x"));
        }
        // a long and a one-character string: a few bytes of values, but a row, its array, a boxed long
        // and a string on the heap, about a hundred bytes, which is what merging the file holds
        assertThat(SilverFiles.bytes(rows.get(0))).isBetween(90L, 160L);
        try (Workers workers = new Workers(1, "bytes-test")) {
            SilverFiles io = new SilverFiles(new MemoryFiles(), SilverColumns.all(SCHEMA),
                    SilverKey.of(SCHEMA, List.of("id")), 1_000_000, 1L << 20, workers);
            assertThat(io.write(rows, false)).hasSizeBetween(4, 8);
        }
    }
}
