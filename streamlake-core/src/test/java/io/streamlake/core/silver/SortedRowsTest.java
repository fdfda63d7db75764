package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.ForwardingTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link SortedRows}: the rows of key-sorted files as one key-ordered stream, a key's rows together;
 * files opened only when the stream reaches their keys; files out of order found out.
 */
class SortedRowsTest {
    private static final Schema SCHEMA = Schema.builder().required("k", DataType.INT).optional("v", DataType.STRING)
            .build();
    private static final SilverKey KEY = SilverKey.of(SCHEMA, List.of("k"));

    /** Counts the files opened. */
    private static final class Opening extends ForwardingTable {
        final Set<String> opened = new HashSet<>();

        Opening(MemoryFiles files) {
            super(files);
        }

        @Override
        public Iterator<Row> read(DataFile file, Schema schema) {
            opened.add(file.path());
            return super.read(file, schema);
        }
    }

    private static Row row(int k, String v) {
        return Row.of(SCHEMA, k, v);
    }

    /** Takes every key, checking the order, and returns the rows in the order taken. */
    private static List<Row> drain(SortedRows rows) {
        List<Row> out = new ArrayList<>();
        Integer last = null;
        for (Object k = rows.peekKey(); k != null; k = rows.peekKey()) {
            int before = out.size();
            rows.take(k, out);
            if (last != null) {
                assertThat((Integer) k).isGreaterThan(last);
            }
            last = (Integer) k;
            Object key = k;
            assertThat(out.subList(before, out.size())).isNotEmpty().allMatch(r -> r.value("k").equals(key));
        }
        return out;
    }

    @Test
    void disjointFilesAreReadOneAfterAnotherOpeningEachOnlyWhenItsKeysCome() {
        MemoryFiles files = new MemoryFiles();
        List<DataFile> list = new ArrayList<>();
        for (int f = 0; f < 40; f++) {
            list.add(files.file(SCHEMA, row(f * 10, "a"), row(f * 10 + 1, "b"), row(f * 10 + 2, "c")));
        }
        Collections.shuffle(list, new Random(7));
        Opening table = new Opening(files);
        try (SortedRows rows = new SortedRows(table, list, SCHEMA, KEY)) {
            assertThat(rows.peekKey()).isEqualTo(0);
            assertThat(table.opened).hasSize(1);
            List<Row> out = new ArrayList<>();
            for (int k = 0; k < 30; k++) {
                Object next = rows.peekKey();
                rows.take(next, out);
            }
            // 30 keys are the first 10 files' (3 each): besides them, at most the next one is open
            assertThat(table.opened.size()).isBetween(10, 11);
            assertThat(out).hasSize(30);
            assertThat(drain(rows)).hasSize(90);
            assertThat(table.opened).hasSize(40);
        }
    }

    @Test
    void overlappingSortedFilesAreMergedAndAKeysRowsComeTogether() {
        MemoryFiles files = new MemoryFiles();
        Random random = new Random(11);
        List<Row> all = new ArrayList<>();
        List<DataFile> list = new ArrayList<>();
        // as a partitioned table's files: each sorted, the ranges overlapping, a key in several
        for (int f = 0; f < 6; f++) {
            List<Row> rows = new ArrayList<>();
            for (int k = random.nextInt(5); k < 300; k += 1 + random.nextInt(9)) {
                rows.add(row(k, "f" + f));
            }
            all.addAll(rows);
            list.add(files.file(SCHEMA, rows.toArray(Row[]::new)));
        }
        try (SortedRows rows = new SortedRows(new Opening(files), list, SCHEMA, KEY)) {
            assertThat(drain(rows)).containsExactlyInAnyOrderElementsOf(all);
        }
    }

    @Test
    void filesWithoutStatisticsAreOpenedAtOnceAndStillMerged() {
        MemoryFiles files = new MemoryFiles().withoutStatistics();
        List<DataFile> list = List.of(files.file(SCHEMA, row(5, "x"), row(9, "y")),
                files.file(SCHEMA, row(1, "p"), row(5, "q")));
        Opening table = new Opening(files);
        try (SortedRows rows = new SortedRows(table, list, SCHEMA, KEY)) {
            assertThat(table.opened).hasSize(2);
            assertThat(drain(rows)).extracting(r -> r.value("v")).containsExactlyInAnyOrder("p", "x", "q", "y");
        }
    }

    @Test
    void aFileOutOfKeyOrderIsFoundOut() {
        MemoryFiles files = new MemoryFiles();
        List<DataFile> list = List.of(files.file(SCHEMA, row(1, "a"), row(3, "b"), row(2, "c")));
        try (SortedRows rows = new SortedRows(new Opening(files), list, SCHEMA, KEY)) {
            assertThatThrownBy(() -> drain(rows)).isInstanceOf(SortedRows.NotSorted.class)
                    .hasMessageContaining(list.get(0).path());
        }
    }

    @Test
    void statisticsThatDoNotBoundAFilesKeysAreFoundOut() {
        MemoryFiles files = new MemoryFiles();
        DataFile low = files.file(SCHEMA, row(1, "a"), row(2, "b"));
        DataFile high = files.file(SCHEMA, row(10, "c"), row(11, "d"));
        // another writer's statistics, claiming the file starts at 10 while it holds key 1
        DataFile lying = new DataFile(files.file(SCHEMA, row(1, "e"), row(12, "f")).path(), 10, 2,
                Map.of("k", 10), Map.of("k", 12), Map.of());
        try (SortedRows rows = new SortedRows(new Opening(files), List.of(low, high, lying), SCHEMA, KEY)) {
            assertThatThrownBy(() -> drain(rows)).isInstanceOf(SortedRows.NotSorted.class);
        }
    }
}
