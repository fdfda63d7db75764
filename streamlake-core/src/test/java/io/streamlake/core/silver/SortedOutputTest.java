package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.util.Workers;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.ForwardingTable;
import io.streamlake.table.Table;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A merge of one file writes its output as it reads its input ({@link SilverFiles.SortedOutput}),
 * so that it holds row groups, not the file's rows; its files are still cut between keys, about
 * evenly, and a merge that changes nothing writes nothing.
 */
class SortedOutputTest {
    private static final Schema SCHEMA = Schema.builder().required("id", DataType.LONG)
            .optional("seq", DataType.LONG).optional("blob", DataType.STRING).build();
    private static final SilverKey KEY = SilverKey.of(SCHEMA, List.of("id"));

    private final Workers workers = new Workers(2, "sorted-output-test");

    @AfterEach
    void stopWorkers() {
        workers.close();
    }

    /**
     * A table that remembers, for each file writer, how many rows its thread had read when the writer
     * got its first row, and which writers were abandoned.
     */
    private static final class Recording extends ForwardingTable {
        final ThreadLocal<AtomicInteger> readOnThread = ThreadLocal.withInitial(AtomicInteger::new);
        final List<Integer> readAtFirstWrite = new CopyOnWriteArrayList<>();
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger abandoned = new AtomicInteger();

        Recording() {
            super(new MemoryFiles());
        }

        @Override
        public Iterator<Row> read(DataFile file, Schema schema) {
            Iterator<Row> rows = super.read(file, schema);
            AtomicInteger read = readOnThread.get();
            read.set(0);
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    read.incrementAndGet();
                    return rows.next();
                }
            };
        }

        @Override
        public DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues,
                Set<String> distinctColumns) {
            opened.incrementAndGet();
            DataFileWriter w = super.newDataFile(schema, partitionValues, distinctColumns);
            return new DataFileWriter() {
                boolean first = true;
                boolean finished;

                @Override
                public void write(Row row) {
                    if (first) {
                        readAtFirstWrite.add(readOnThread.get().get());
                        first = false;
                    }
                    w.write(row);
                }

                @Override
                public long rowCount() {
                    return w.rowCount();
                }

                @Override
                public DataFile finish() {
                    finished = true;
                    return w.finish();
                }

                @Override
                public void close() {
                    if (!finished) {
                        abandoned.incrementAndGet();
                    }
                    w.close();
                }
            };
        }
    }

    private static Row row(long id, long seq) {
        return Row.of(SCHEMA, id, seq, "v" + id + "-" + seq);
    }

    private static List<Row> rows(long from, long to, long step, long seq) {
        List<Row> rows = new ArrayList<>();
        for (long id = from; id < to; id += step) {
            rows.add(row(id, seq));
        }
        return rows;
    }

    private SilverFiles io(Table table, long targetFileRows, long targetFileBytes) {
        return new SilverFiles(table, SilverColumns.all(SCHEMA), KEY, targetFileRows, targetFileBytes, workers);
    }

    private List<Row> read(SilverFiles io, List<DataFile> files) {
        List<Row> back = new ArrayList<>();
        long lastMax = Long.MIN_VALUE;
        for (DataFile f : files) {
            List<Row> in = new ArrayList<>();
            io.read(f).forEachRemaining(in::add);
            assertThat(in).isNotEmpty();
            assertThat(in.get(0).longValue("id")).as("key ranges stay disjoint").isGreaterThan(lastMax);
            lastMax = in.get(in.size() - 1).longValue("id");
            back.addAll(in);
        }
        return back;
    }

    private SilverMerger.Result merge(Table table, long targetFileRows, List<DataFile> files, List<Row> batch) {
        SilverMerger merger = new SilverMerger(table, SilverColumns.all(SCHEMA), List.of("id"),
                MergeStrategies.latestBy("seq"), targetFileRows, List.of(), workers, 1);
        SilverMerger.Result result = merger.merge(files, batch, new BitSet());
        assertThat(result.failed()).isEmpty();
        return result;
    }

    @Test
    void aMergeOfSeveralFilesWritesEachOutputWhileItStillReadsTheInput() {
        Recording table = new Recording();
        List<DataFile> files = new ArrayList<>(io(table, 1000, 1L << 40).write(rows(0, 2000, 1, 0), false));
        assertThat(files).hasSize(2);
        table.readAtFirstWrite.clear();

        // the first key of each file changes: each output starts as soon as that key is joined
        SilverMerger.Result result = merge(table, 1000, files, List.of(row(0, 1), row(1000, 1)));

        assertThat(result.removed()).containsExactlyInAnyOrderElementsOf(files);
        assertThat(table.readAtFirstWrite).hasSize(2).allSatisfy(read -> assertThat(read).isLessThan(10));
        List<Row> expected = rows(0, 2000, 1, 0);
        expected.set(0, row(0, 1));
        expected.set(1000, row(1000, 1));
        List<DataFile> added = new ArrayList<>(result.added());
        added.sort((a, b) -> Long.compare((Long) a.minValues().get("id"), (Long) b.minValues().get("id")));
        assertThat(read(io(table, 1000, 1L << 40), added)).containsExactlyElementsOf(expected);
    }

    @Test
    void aMergeThatChangesNothingKeepsNoFile() {
        Recording table = new Recording();
        List<DataFile> files = new ArrayList<>(io(table, 1000, 1L << 40).write(rows(0, 2000, 1, 5), false));
        int opened = table.opened.get();

        // older than what silver holds: latest-wins keeps the stored rows
        SilverMerger.Result result = merge(table, 1000, files, List.of(row(3, 1), row(1500, 2)));

        assertThat(result.added()).isEmpty();
        assertThat(result.removed()).isEmpty();
        assertThat(result.rowsChanged()).isZero();
        // Past the rows an output holds, each file's rows went into one file, never cut, abandoned.
        assertThat(table.opened.get() - opened).isEqualTo(2);
        assertThat(table.abandoned.get()).isEqualTo(2);

        // A file no larger than what an output holds is merged without writing anything.
        Recording small = new Recording();
        List<DataFile> few = new ArrayList<>(io(small, 1000, 1L << 40).write(
                rows(0, SilverFiles.HOLD_ROWS, 1, 5), false));
        int smallOpened = small.opened.get();
        assertThat(merge(small, 1000, few, List.of(row(3, 1))).rowsChanged()).isZero();
        assertThat(small.opened.get()).isEqualTo(smallOpened);
    }

    @Test
    void aMergedFileWithNewKeysIsSplitEvenlyByTheRowsExpected() {
        Recording table = new Recording();
        List<DataFile> files = new ArrayList<>();
        files.addAll(io(table, 1000, 1L << 40).write(rows(0, 2000, 2, 0), false)); // 1000 even ids
        files.addAll(io(table, 1000, 1L << 40).write(rows(100_000, 101_000, 1, 0), false));
        assertThat(files).hasSize(2);

        // 500 new odd ids into the first file (1,500 rows, 600 a file: three of 500), one update in the second
        List<Row> batch = rows(1, 1000, 2, 1);
        batch.add(row(100_500, 1));
        SilverMerger.Result result = merge(table, 600, files, batch);

        // and the second file's 1,000 rows two of 500, not one of 600 and one of 400
        assertThat(result.added()).extracting(DataFile::rowCount).containsExactlyInAnyOrder(500L, 500L, 500L, 500L,
                500L);
        List<DataFile> added = new ArrayList<>(result.added());
        added.sort((a, b) -> Long.compare((Long) a.minValues().get("id"), (Long) b.minValues().get("id")));
        List<Row> back = read(io(table, 600, 1L << 40), added);
        assertThat(back).hasSize(2500);
        List<Long> firstIds = new ArrayList<>();
        for (long id = 0; id < 2000; id++) {
            if (id % 2 == 0 || id < 1000) {
                firstIds.add(id);
            }
        }
        assertThat(back.subList(0, 1500)).extracting(r -> r.longValue("id")).containsExactlyElementsOf(firstIds);
        assertThat(back.get(1500 + 500)).isEqualTo(row(100_500, 1));
    }

    @Test
    void aFullFileWithOneUpdateStaysOneFile() {
        Recording table = new Recording();
        List<DataFile> files = new ArrayList<>(io(table, 1000, 1L << 40).write(rows(0, 2000, 1, 0), false));

        // the batch's keys are counted as inserts only as far as those joined so far were
        SilverMerger.Result result = merge(table, 1000, files, List.of(row(500, 1), row(1500, 1)));

        assertThat(result.added()).extracting(DataFile::rowCount).containsExactly(1000L, 1000L);
    }

    @Test
    void largeRowsAreCutByBytesBetweenKeysAsTheyCome() {
        Recording table = new Recording();
        SilverFiles io = io(table, 1_000_000, 450_000);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // two rows a key, as SCD type 2 versions: a file may only end between keys
            rows.add(Row.of(SCHEMA, (long) i / 2, (long) i, Character.toString('a' + i % 26).repeat(100_000)));
        }
        List<DataFile> files;
        try (SilverFiles.SortedOutput out = io.sortedOutput(rows.size(), false)) {
            out.add(rows.get(0));
            out.changed();
            rows.subList(1, rows.size()).forEach(out::add);
            files = out.finish();
        }
        // 4 MB in files of about 450 KB: each ends at the row that reaches 445 KB and its key's other version
        assertThat(files).hasSizeBetween(6, 10);
        long rowBytes = SilverFiles.bytes(rows.get(0));
        for (DataFile f : files) {
            long bytes = 0;
            for (Iterator<Row> it = io.read(f); it.hasNext();) {
                bytes += SilverFiles.bytes(it.next());
            }
            // past the target by at most the row that reached it and the key's other version
            assertThat(bytes).isLessThanOrEqualTo(450_000 + 2 * rowBytes);
        }
        assertThat(read(io, files)).containsExactlyElementsOf(rows);
        assertThat(table.abandoned.get()).isZero();
    }

    @Test
    void anOutputHoldsLargeRowsOnlyUpToItsBytesAndAParallelOneWritesThemAsTheyComePastAFile() {
        for (boolean parallel : new boolean[] {false, true}) {
            for (boolean change : new boolean[] {false, true}) {
                Recording table = new Recording();
                // 100 KB rows: a quarter of 450 KB is held before the first change, a whole 450 KB in parallel
                SilverFiles io = io(table, 1_000_000, 450_000);
                List<Row> rows = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    rows.add(Row.of(SCHEMA, (long) i, 0L, Character.toString('a' + i).repeat(100_000)));
                }
                String what = (parallel ? "parallel" : "sequential") + (change ? ", changed" : ", unchanged");
                List<DataFile> files = List.of();
                try (SilverFiles.SortedOutput out = io.sortedOutput(rows.size(), parallel)) {
                    for (int i = 0; i < rows.size(); i++) {
                        out.add(rows.get(i));
                        if (i == (parallel ? 4 : 1)) {
                            assertThat(table.opened.get()).as(what + ": nothing written yet at row %d", i).isZero();
                        }
                    }
                    assertThat(table.opened.get()).as(what + ": rows past the bytes held are written as they come")
                            .isEqualTo(1);
                    if (change) {
                        out.changed();
                        files = out.finish();
                    }
                }
                if (change) {
                    assertThat(read(io, files)).as(what).containsExactlyElementsOf(rows);
                    assertThat(table.abandoned.get()).as(what).isZero();
                } else {
                    assertThat(table.abandoned.get()).as(what + ": a merge that changes nothing keeps no file")
                            .isEqualTo(1);
                }
            }
        }
    }

    @Test
    void anOutputClosedBeforeItFinishesAbandonsItsFileAndHeldRowsAreNeverWritten() {
        Recording table = new Recording();
        SilverFiles io = io(table, 1000, 1L << 40);
        try (SilverFiles.SortedOutput out = io.sortedOutput(10, false)) {
            out.add(row(1, 0));
            out.add(row(2, 0));
        }
        assertThat(table.opened.get()).as("no change: nothing written").isZero();

        try (SilverFiles.SortedOutput out = io.sortedOutput(10_000, false)) {
            for (long id = 0; id < 3 * 1000; id++) {
                out.add(row(id, 0));
            }
            // past the rows held, one file, never cut however full, until a change
        }
        assertThat(table.opened.get()).isEqualTo(1);
        assertThat(table.abandoned.get()).isEqualTo(1);

        try (SilverFiles.SortedOutput out = io.sortedOutput(10, false)) {
            out.add(row(1, 0));
            out.changed();
            out.add(row(2, 0));
            // a merge that fails here (a strategy breaking its contract) never finishes
        }
        assertThat(table.opened.get()).isEqualTo(2);
        assertThat(table.abandoned.get()).isEqualTo(2);
    }
}
