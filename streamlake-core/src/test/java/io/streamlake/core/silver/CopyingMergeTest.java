package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.delta.TableVerifier;
import io.streamlake.core.util.RowCursor;
import io.streamlake.core.util.Workers;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The one-pass merge copying untouched rows column value by column value ({@link RowCursor}) on a
 * Delta table, against the same merges on files in memory, which are read and written as rows: after
 * every generated batch (updates, inserts, deletes, stale events, keys touched again), both hold the
 * same rows. At the end the Delta table, committed, is read back by Delta Kernel value by value, its
 * files verified page by page, and each file's statistics recomputed from its rows.
 */
class CopyingMergeTest {

    private static final Schema LATEST = Schema.builder()
            .required("id", DataType.STRING)
            .optional("seq", DataType.LONG)
            .optional("name", DataType.STRING)
            .optional("amount", DataType.decimal(12, 2))
            .optional("at", DataType.TIMESTAMP)
            .optional("n", DataType.INT)
            .optional("ok", DataType.BOOLEAN)
            .optional("raw", DataType.BINARY)
            .optional("op", DataType.STRING) // left out of the table by dropColumns
            .build();

    private static final Schema SCD2 = Schema.builder()
            .required("id", DataType.STRING)
            .optional("seq", DataType.LONG)
            .optional("name", DataType.STRING)
            .optional("__START_AT", DataType.LONG)
            .optional("__END_AT", DataType.LONG)
            .build();

    private Workers workers;

    @BeforeEach
    void startWorkers() {
        workers = new Workers(2, "copying-merge-test");
    }

    @AfterEach
    void stopWorkers() {
        workers.close();
    }

    /** One silver table and its current files, merged into batch by batch. */
    private final class Lake {
        final SilverMerger merger;
        final List<DataFile> files = new ArrayList<>();

        Lake(io.streamlake.table.Table table, Schema schema, MergeStrategy strategy, long targetFileRows) {
            SilverColumns columns = SilverColumns.of(schema, strategy, null);
            this.merger = new SilverMerger(table, columns, List.of("id"), strategy, targetFileRows, List.of(),
                    workers, 2);
        }

        void merge(List<Row> batch, BitSet tombstones) {
            SilverMerger.Result result = merger.merge(List.copyOf(files), batch, tombstones);
            assertThat(result.failed()).isEmpty();
            files.removeAll(result.removed());
            files.addAll(result.added());
        }
    }

    @ParameterizedTest(name = "{0}, seed {1}, {2} rows a file")
    @CsvSource({"latest, 1, 40", "latest, 2, 7", "latest, 3, 1000", "latest, 4, 25", "latest, 7, 5000", "scd2, 5, 30",
            "scd2, 6, 9"})
    void copiedMergesHoldWhatRowMergesHold(String kind, long seed, long targetFileRows, @TempDir Path dir) {
        boolean scd2 = kind.equals("scd2");
        Schema schema = scd2 ? SCD2 : LATEST;
        MergeStrategy strategy = scd2 ? MergeStrategies.scd2("seq") : MergeStrategies.latestBy("seq").dropColumns("op");
        DeltaTable delta = DeltaTable.open(dir.resolve("silver").toString(), Map.of());
        SilverColumns columns = SilverColumns.of(schema, strategy, null);
        delta.create(columns.stored());
        MemoryFiles memory = new MemoryFiles();
        Lake copied = new Lake(delta, schema, strategy, targetFileRows);
        Lake asRows = new Lake(memory, schema, strategy, targetFileRows);

        Random r = new Random(seed);
        // files larger than what an output holds before a change (SilverFiles.HOLD_ROWS) in the
        // runs with large files: their merges copy rows before they know of a change
        int keys = 20 + r.nextInt(targetFileRows >= 1000 ? 3_000 : 300);
        long seq = 0;
        int cursors = 0;
        for (int b = 0; b < 25; b++) {
            List<Row> batch = new ArrayList<>();
            BitSet tombstones = new BitSet();
            // a batch touches a random run of keys, or keys all over
            int from = r.nextInt(keys);
            int span = r.nextBoolean() ? 1 + r.nextInt(10) : keys;
            for (int i = 0, n = r.nextInt(60); i < n; i++) {
                String id = String.format("k%05d", (from + r.nextInt(span)) % keys);
                if (r.nextInt(8) == 0) {
                    tombstones.set(batch.size());
                    batch.add(Row.builder(schema).set("id", id).build());
                } else {
                    long s = r.nextInt(10) == 0 ? Math.max(0, seq - 20) : ++seq; // some arrive stale
                    batch.add(row(schema, scd2, id, s, r));
                }
            }
            copied.merge(batch, tombstones);
            asRows.merge(batch, tombstones);
            assertThat(sorted(rows(delta, columns, copied.files))).as("batch %d", b)
                    .isEqualTo(sorted(rows(memory, columns, asRows.files)));
            for (DataFile f : copied.files) {
                try (RowCursor c = delta.cursor(f, columns.stored())) {
                    cursors += c == null ? 0 : 1; // every file of ours can be copied
                }
            }
        }
        assertThat(cursors).as("files the merges could copy").isPositive();

        var commit = delta.newCommit();
        copied.files.forEach(commit::add);
        commit.commit("WRITE");
        assertThat(TableVerifier.verify(delta.location()).ok()).isTrue();
        List<Row> expected = sorted(rows(memory, columns, asRows.files));
        List<Map<String, Object>> kernel = new ArrayList<>(KernelReader.rows(delta.location()));
        kernel.sort(Comparator.comparing((Map<String, Object> m) -> (String) m.get("id"))
                .thenComparing(m -> (Long) m.get("seq"), Comparator.nullsFirst(Comparator.naturalOrder())));
        assertThat(kernel).hasSize(expected.size());
        Schema stored = columns.stored();
        for (int i = 0; i < expected.size(); i++) {
            for (int c = 0; c < stored.size(); c++) {
                Object want = expected.get(i).value(stored.field(c).name());
                Object got = kernel.get(i).get(stored.field(c).name());
                if (want instanceof byte[] bytes) {
                    assertThat((byte[]) got).isEqualTo(bytes);
                } else if (want instanceof BigDecimal d) {
                    assertThat((BigDecimal) got).isEqualByComparingTo(d);
                } else {
                    assertThat(got).as("row %d, %s", i, stored.field(c).name()).isEqualTo(want);
                }
            }
        }
        for (DataFile f : copied.files) {
            checkStatistics(f, rows(delta, columns, List.of(f)), stored);
        }
    }

    @org.junit.jupiter.api.Test
    void aOneFileTableMergedAsOneUnitIsCutForTheWorkersAsItIsCopied(@TempDir Path dir) {
        MergeStrategy strategy = MergeStrategies.latestBy("seq").dropColumns("op");
        DeltaTable delta = DeltaTable.open(dir.toString(), Map.of());
        SilverColumns columns = SilverColumns.of(LATEST, strategy, null);
        delta.create(columns.stored());
        Random r = new Random(3);
        int n = 3 * SilverFiles.MIN_PARALLEL_FILE_ROWS;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(row(LATEST, false, String.format("k%06d", i), 1, r));
        }
        SilverFiles io = new SilverFiles(delta, columns, SilverKey.of(LATEST, List.of("id")), 1_000_000, workers, 2);
        Lake lake = new Lake(delta, LATEST, strategy, 1_000_000);
        lake.files.addAll(io.write(rows, false));
        assertThat(lake.files).hasSize(1);
        // new orders after the last: the file's rows are copied, none touched, and the table, smaller
        // than a file, comes out in one file per worker (a merge of one unit is not on the workers)
        List<Row> batch = List.of(row(LATEST, false, "k999998", 2, r), row(LATEST, false, "k999999", 2, r));
        lake.merge(batch, new BitSet());
        assertThat(lake.files).hasSize(2);
        List<Row> all = rows(delta, columns, lake.files);
        assertThat(all).hasSize(n + 2);
        assertThat(all.subList(0, n)).isEqualTo(columns.narrow(rows));
        assertThat(lake.files.get(0).maxValues().get("id").toString())
                .isLessThan(lake.files.get(1).minValues().get("id").toString());
        assertThat(lake.files).allSatisfy(f -> assertThat(f.rowCount()).isGreaterThanOrEqualTo(
                SilverFiles.MIN_PARALLEL_FILE_ROWS));
    }

    private static Row row(Schema schema, boolean scd2, String id, long seq, Random r) {
        Row.Builder b = Row.builder(schema).set("id", id).set("seq", seq)
                .set("name", r.nextInt(6) == 0 ? null : r.nextInt(5) == 0 ? "ñame " + seq + "\uD83D\uDE00" : "n" + seq);
        if (!scd2) {
            b.set("amount", r.nextInt(5) == 0 ? null : BigDecimal.valueOf(r.nextInt(1_000_000) - 500_000, 2))
                    .set("at", r.nextInt(5) == 0 ? null : Instant.ofEpochSecond(1_700_000_000L + r.nextInt(1_000_000),
                            r.nextInt(1_000_000) * 1_000L))
                    .set("n", r.nextInt(5) == 0 ? null : r.nextInt())
                    .set("ok", r.nextInt(5) == 0 ? null : r.nextBoolean())
                    .set("raw", r.nextInt(5) == 0 ? null : new byte[] {(byte) r.nextInt(), (byte) seq})
                    .set("op", "UPSERT");
        }
        return b.build();
    }

    /** Every row of the files, with the stored schema. */
    private static List<Row> rows(io.streamlake.table.Table table, SilverColumns columns, Collection<DataFile> files) {
        List<Row> rows = new ArrayList<>();
        for (DataFile f : files) {
            table.read(f, columns.stored()).forEachRemaining(rows::add);
        }
        return rows;
    }

    private static List<Row> sorted(List<Row> rows) {
        List<Row> out = new ArrayList<>(rows);
        out.sort(Comparator.comparing((Row x) -> x.string("id"))
                .thenComparing(x -> (Long) x.value("seq"), Comparator.nullsFirst(Comparator.naturalOrder())));
        return out;
    }

    /** A file's null counts and bounds are those of its rows (a string bound within its length limit). */
    private static void checkStatistics(DataFile f, List<Row> rows, Schema stored) {
        assertThat(f.rowCount()).isEqualTo(rows.size());
        for (int c = 0; c < stored.size(); c++) {
            String name = stored.field(c).name();
            DataType.Kind kind = stored.field(c).type().kind();
            long nulls = 0;
            @Nullable
            Object min = null;
            @Nullable
            Object max = null;
            for (Row row : rows) {
                Object v = row.value(c);
                if (v == null) {
                    nulls++;
                } else if (kind != DataType.Kind.BOOLEAN && kind != DataType.Kind.BINARY) {
                    min = min == null || ValueOrder.NATURAL.compare(v, min) < 0 ? v : min;
                    max = max == null || ValueOrder.NATURAL.compare(v, max) > 0 ? v : max;
                }
            }
            assertThat(f.nullCounts().get(name)).as("%s null count", name).isEqualTo(nulls);
            assertThat(f.minValues().get(name)).as("%s min", name).isEqualTo(min);
            assertThat(f.maxValues().get(name)).as("%s max", name).isEqualTo(max);
        }
        assertThat(Objects.requireNonNull(f.minValues().get("id"))).isEqualTo(rows.get(0).value("id"));
    }
}
