package io.streamlake.core.delta;

import static io.streamlake.core.delta.DeltaTableRoundTripTest.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.SinkException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rows copied through {@link DataFileCursor} into a {@link DeltaFileWriter}, mixed with rows written
 * as rows: every value read back by Delta Kernel, and the file's statistics equal to those of the
 * same rows written as rows.
 */
class DataFileCursorTest {

    static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.STRING)
            .optional("n", DataType.INT)
            .optional("big", DataType.LONG)
            .optional("x", DataType.DOUBLE)
            .optional("flag", DataType.BOOLEAN)
            .optional("raw", DataType.BINARY)
            .optional("ts", DataType.TIMESTAMP)
            .optional("day", DataType.DATE)
            .optional("small", DataType.decimal(9, 2))
            .optional("amount", DataType.decimal(18, 4))
            .optional("note", DataType.STRING)
            .build();

    /** Edges: non-ASCII, surrogate pairs, strings just under and over the bound, NaN, extremes. */
    private static Row row(Random r, int i) {
        return Row.of(SCHEMA,
                String.format("k-%06d", i),
                r.nextInt(5) == 0 ? null : r.nextInt(),
                r.nextInt(5) == 0 ? null
                        : r.nextBoolean() ? r.nextLong() : (r.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE),
                r.nextInt(5) == 0 ? null : r.nextInt(40) == 0 ? Double.NaN : r.nextGaussian() * 1e6,
                r.nextInt(5) == 0 ? null : r.nextBoolean(),
                r.nextInt(5) == 0 ? null : bytes(r),
                r.nextInt(5) == 0 ? null : Instant.ofEpochSecond(r.nextInt(), r.nextInt(1_000_000) * 1_000L),
                r.nextInt(5) == 0 ? null : LocalDate.ofEpochDay(r.nextInt(2_000_000) - 1_000_000),
                r.nextInt(5) == 0 ? null : BigDecimal.valueOf(r.nextInt(2_000_000_000) - 1_000_000_000, 2),
                r.nextInt(5) == 0 ? null : BigDecimal.valueOf(r.nextLong() % 100_000_000_000_000_000L, 4),
                r.nextInt(4) == 0 ? null : note(r));
    }

    private static byte[] bytes(Random r) {
        byte[] b = new byte[r.nextInt(40)];
        r.nextBytes(b);
        return b;
    }

    private static String note(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> "é".repeat(r.nextInt(200)); // 2 bytes a character: long in bytes, short in characters
            case 1 -> "\uD83D\uDE00".repeat(1 + r.nextInt(3)) + r.nextInt(100); // outside the BMP
            case 2 -> "z".repeat(RowWriteSupport.MAX_STRING_BOUND_LENGTH + r.nextInt(3) - 1); // about the bound
            case 3 -> "";
            default -> "note " + r.nextInt(1_000);
        };
    }

    private static DeltaFileWriter writer(DeltaTable table, Schema schema) {
        // small row groups and pages: reads and writes both cross many of them
        return new DeltaFileWriter(table, schema, Map.of(), Set.of("id"), new ParquetColumnFile.Limits(8 * 1024, 50));
    }

    private static DataFile write(DeltaTable table, List<Row> rows) {
        try (DeltaFileWriter w = writer(table, SCHEMA)) {
            rows.forEach(w::write);
            return w.finish();
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void copiedRowsReadBackValueByValueWithTheStatisticsOfRowsWrittenAsRows(long seed, @TempDir Path dir) {
        Random r = new Random(seed);
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        List<Row> rows = new ArrayList<>();
        int count = 1 + r.nextInt(3_000);
        for (int i = 0; i < count; i++) {
            rows.add(row(r, i));
        }
        DataFile source = write(table, rows);

        // Keep about two rows in three, copied or rewritten as rows at random, and insert new ones.
        List<Row> expected = new ArrayList<>();
        DataFile copied;
        int copies = 0;
        try (DataFileCursor cursor = DataFileCursor.open(table, source, SCHEMA);
                DeltaFileWriter w = writer(table, SCHEMA)) {
            assertThat(cursor).isNotNull();
            int i = 0;
            while (cursor.next()) {
                Row original = rows.get(i++);
                if (r.nextInt(3) == 0) {
                    continue; // a row the merge drops, never looked at
                }
                if (r.nextInt(10) == 0) {
                    // looked at, then copied: the values read for the key must not upset the copy
                    assertThat(cursor.value(0)).isEqualTo(original.value(0));
                    assertThat(cursor.row()).isEqualTo(original);
                }
                if (r.nextInt(4) == 0) {
                    w.write(cursor.row());
                } else {
                    assertThat(cursor.copyTo(w)).isGreaterThanOrEqualTo(0);
                    copies++;
                }
                expected.add(original);
                if (r.nextInt(20) == 0) {
                    Row inserted = row(r, 1_000_000 + i);
                    w.write(inserted);
                    expected.add(inserted);
                }
            }
            assertThat(i).isEqualTo(rows.size());
            copied = w.finish();
        }
        assertThat(copies).isPositive();
        DataFile asRows = write(table, expected);

        assertThat(copied.rowCount()).isEqualTo(expected.size());
        assertThat(copied.minValues()).isEqualTo(asRows.minValues());
        assertThat(copied.maxValues()).isEqualTo(asRows.maxValues());
        assertThat(copied.nullCounts()).isEqualTo(asRows.nullCounts());
        assertThat(readAll(table, copied, SCHEMA)).isEqualTo(expected);

        table.newCommit().add(copied).commit("WRITE");
        List<Map<String, Object>> kernel = KernelReader.rows(table.location());
        assertThat(kernel).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            Row want = expected.get(i);
            Map<String, Object> got = kernel.get(i);
            for (int c = 0; c < SCHEMA.size(); c++) {
                Object v = got.get(SCHEMA.field(c).name());
                Object w = want.value(c);
                if (w instanceof byte[] b) {
                    assertThat((byte[]) v).as("row %d column %d", i, c).isEqualTo(b);
                } else if (w instanceof BigDecimal d) {
                    assertThat((BigDecimal) v).as("row %d column %d", i, c).isEqualByComparingTo(d);
                } else {
                    assertThat(v).as("row %d column %d", i, c).isEqualTo(w);
                }
            }
        }
    }

    @Test
    void eightThreadsCopyingAtOnceEachWriteTheirRowsExactly(@TempDir Path dir) throws Exception {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        Random r = new Random(21);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            rows.add(row(r, i));
        }
        DataFile source = write(table, rows);
        // more threads than the machine's cores, each with a cursor over the same file and an output
        // of its own, keeping every n-th row: nothing of one copy may reach another
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<DataFile>> copies = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int every = t + 1;
                copies.add(pool.submit(() -> {
                    try (DataFileCursor cursor = DataFileCursor.open(table, source, SCHEMA);
                            DeltaFileWriter w = writer(table, SCHEMA)) {
                        for (int i = 0; cursor.next(); i++) {
                            if (i % every == 0) {
                                assertThat(cursor.copyTo(w)).isGreaterThanOrEqualTo(0);
                            }
                        }
                        return w.finish();
                    }
                }));
            }
            for (int t = 0; t < 8; t++) {
                List<Row> expected = new ArrayList<>();
                for (int i = 0; i < rows.size(); i += t + 1) {
                    expected.add(rows.get(i));
                }
                DataFile copied = copies.get(t).get();
                assertThat(readAll(table, copied, SCHEMA)).as("copy %d", t).isEqualTo(expected);
                assertThat(copied.minValues()).isEqualTo(write(table, expected).minValues());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void stringBoundsCountedAsBytesAgreeWithThoseCountedAsStrings() {
        Random r = new Random(7);
        for (int round = 0; round < 200; round++) {
            ColumnStats asStrings = new ColumnStats(DataType.STRING);
            ColumnStats mixed = new ColumnStats(DataType.STRING);
            for (int i = 0, n = 1 + r.nextInt(20); i < n; i++) {
                String s = note(r);
                asStrings.string(s);
                if (r.nextBoolean()) {
                    mixed.utf8(org.apache.parquet.io.api.Binary.fromString(s));
                } else {
                    mixed.string(s);
                }
            }
            assertThat(mixed.min()).isEqualTo(asStrings.min());
            assertThat(mixed.max()).isEqualTo(asStrings.max());
        }
    }

    @Test
    void filesItCannotCopyExactlyGetNoCursor(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        DataFile file = write(table, List.of(row(new Random(1), 1)));
        // read with another schema (a column fewer, as after a schema change): its Parquet schema differs
        Schema narrower = Schema.builder().required("id", DataType.STRING).optional("n", DataType.INT).build();
        assertThat(DataFileCursor.open(table, file, narrower)).isNull();
        // a map column: not flat
        Schema withMap = Schema.builder().required("id", DataType.STRING)
                .optional("attrs", DataType.map(DataType.STRING)).build();
        DeltaTable maps = DeltaTable.open(dir.resolve("maps").toString(), Map.of());
        maps.create(withMap);
        DataFile mapFile;
        try (DataFileWriter w = maps.newDataFile(withMap)) {
            w.write(Row.of(withMap, "a", Map.of("k", "v")));
            mapFile = w.finish();
        }
        assertThat(DataFileCursor.open(maps, mapFile, withMap)).isNull();
        // a partitioned file
        Schema partitioned = Schema.builder().required("id", DataType.STRING).optional("p", DataType.STRING).build();
        DeltaTable parts = DeltaTable.open(dir.resolve("parts").toString(), Map.of());
        parts.create(partitioned, List.of("p"));
        DataFile partFile;
        try (DataFileWriter w = parts.newDataFile(partitioned, Map.of("p", "x"))) {
            w.write(Row.of(partitioned, "a", "x"));
            partFile = w.finish();
        }
        assertThat(DataFileCursor.open(parts, partFile, partitioned)).isNull();
    }

    @Test
    void aWriterOfAnotherSchemaTakesNoCopyAndStaysUsable(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        Row original = row(new Random(3), 1);
        DataFile file = write(table, List.of(original));
        Schema other = Schema.builder().required("id", DataType.STRING).build();
        try (DataFileCursor cursor = DataFileCursor.open(table, file, SCHEMA);
                DeltaFileWriter w = writer(table, other)) {
            assertThat(cursor.next()).isTrue();
            assertThat(cursor.copyTo(w)).isEqualTo(-1);
            assertThat(w.rowCount()).isZero();
            w.write(Row.of(other, "b"));
            assertThat(readAll(table, w.finish(), other)).containsExactly(Row.of(other, "b"));
            assertThat(cursor.next()).isFalse();
            assertThat(cursor.next()).isFalse();
        }
    }

    @Test
    void aFileThatIsGoneFailsNamingIt(@TempDir Path dir) throws IOException {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        DataFile file = write(table, List.of(row(new Random(5), 1)));
        Files.delete(dir.resolve(file.path()));
        assertThatThrownBy(() -> DataFileCursor.open(table, file, SCHEMA)).isInstanceOf(SinkException.class)
                .hasMessageContaining(file.path());
    }
}
