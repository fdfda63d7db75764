package io.streamlake.core.delta;

import static io.streamlake.core.delta.DeltaTableRoundTripTest.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.core.util.SmallMap;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.Row;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The direct bronze writer must produce what the row path produces: rows, maps, nulls and statistics. */
class BronzeFileWriterTest {
    private static final Instant INGESTED = Instant.parse("2026-11-25T03:00:00.123456Z");

    /** Every shape a source hands over: nulls, empty and null-valued maps, non-ASCII text, several streams. */
    static List<SourceRecord> records(int n) {
        List<SourceRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SourcePartition p = new SourcePartition(i % 5 == 0 ? "payments" : "orders", i % 4);
            byte[] key = i % 7 == 0 ? null : ("k-" + (i % 97)).getBytes(StandardCharsets.UTF_8);
            byte[] value = i % 11 == 0 ? null : ("{\"n\":" + i + ",\"s\":\"" + "x".repeat(i % 300) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            Map<String, byte[]> headers = new HashMap<>();
            if (i % 3 == 1) {
                headers.put("content-type", "application/json".getBytes(StandardCharsets.UTF_8));
                headers.put("trace", new byte[] {(byte) i, (byte) 0xFF, 0});
            } else if (i % 3 == 2) {
                headers.put("empty", null);
            }
            Map<String, String> metadata = new HashMap<>();
            if (i % 2 == 0) {
                metadata.put("offset", Long.toString(i * 1000L));
                metadata.put("partition_key", "ключ-" + i + " \uD83D\uDE00");
            }
            if (i % 13 == 0) {
                metadata.put("null-valued", null);
            }
            Instant t = Instant.ofEpochSecond(1_700_000_000L - 50_000L + i * 17L, (i * 7919L) % 1_000_000_000L);
            out.add(new SourceRecord(p, 1_000_000L + i, key, value, headers, t, metadata));
        }
        return out;
    }

    static DataFile writeDirect(DeltaTable table, List<SourceRecord> records, long rowGroupBytes) {
        try (BronzeFileWriter w = new BronzeFileWriter(table, INGESTED, rowGroupBytes)) {
            records.forEach(w::write);
            assertThat(w.rowCount()).isEqualTo(records.size());
            return w.finish();
        }
    }

    static DataFile writeRows(DeltaTable table, List<SourceRecord> records) {
        try (DataFileWriter w = table.newDataFile(BronzeLayout.SCHEMA)) {
            records.forEach(r -> w.write(BronzeLayout.toRow(r, INGESTED)));
            return w.finish();
        }
    }

    /** A row as comparable values: arrays as hex, maps sorted. */
    static List<Object> comparable(Row row) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < row.schema().size(); i++) {
            out.add(comparable(row.value(i)));
        }
        return out;
    }

    private static Object comparable(Object v) {
        if (v instanceof byte[] b) {
            return HexFormat.of().formatHex(b);
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> sorted = new TreeMap<>();
            m.forEach((k, x) -> sorted.put(k, comparable(x)));
            return sorted;
        }
        return v;
    }

    @Test
    void writesWhatTheRowPathWritesWithTheSameStatistics(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("bronze").toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        List<SourceRecord> records = records(2_000);
        DataFile direct = writeDirect(table, records, 128L << 20);
        DataFile rows = writeRows(table, records);

        List<List<Object>> expected = readAll(table, rows, BronzeLayout.SCHEMA).stream()
                .map(BronzeFileWriterTest::comparable).toList();
        List<List<Object>> actual = readAll(table, direct, BronzeLayout.SCHEMA).stream()
                .map(BronzeFileWriterTest::comparable).toList();
        assertThat(actual).hasSize(2_000).isEqualTo(expected);
        // a spot check against the source, so that two equally wrong paths cannot pass
        assertThat(actual.get(1)).containsExactly("6b2d31",
                HexFormat.of().formatHex(records.get(1).value()), "orders", 1, 1_000_001L,
                records.get(1).timestamp().truncatedTo(ChronoUnit.MICROS),
                Map.of("content-type", HexFormat.of().formatHex("application/json".getBytes(StandardCharsets.UTF_8)),
                        "trace", "01ff00"),
                INGESTED, null);
        assertThat(actual.get(2).get(8)).isEqualTo(Map.of("offset", "2000", "partition_key", "ключ-2 \uD83D\uDE00"));

        assertThat(direct.rowCount()).isEqualTo(rows.rowCount());
        assertThat(direct.minValues()).isEqualTo(rows.minValues());
        assertThat(direct.maxValues()).isEqualTo(rows.maxValues());
        assertThat(direct.nullCounts()).isEqualTo(rows.nullCounts());
        assertThat(direct.nullCounts()).containsEntry(BronzeLayout.KEY, 2_000L / 7 + 1);
        assertThat(direct.min(BronzeLayout.SOURCE)).contains("orders");
        assertThat(direct.max(BronzeLayout.SOURCE)).contains("payments");
    }

    @Test
    void deltaKernelReadsTheFileInRowGroups(@TempDir Path dir) throws IOException {
        String location = dir.resolve("bronze").toString();
        DeltaTable table = DeltaTable.open(location, Map.of());
        table.create(BronzeLayout.SCHEMA);
        List<SourceRecord> records = records(5_000);
        DataFile file = writeDirect(table, records, 64 * 1024);
        table.newCommit().add(file).commit("WRITE");

        try (ParquetFileReader footer = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(location, file.path()), new Configuration()))) {
            assertThat(footer.getRowGroups()).hasSizeGreaterThan(2);
            assertThat(footer.getRecordCount()).isEqualTo(5_000);
        }
        List<Map<String, Object>> kernel = KernelReader.rows(location);
        assertThat(kernel).hasSize(5_000);
        Map<String, Object> row = kernel.stream().filter(r -> r.get("position").equals(1_000_004L)).findFirst()
                .orElseThrow();
        SourceRecord r = records.get(4);
        assertThat((byte[]) row.get("key")).isEqualTo(r.key());
        assertThat((byte[]) row.get("value")).isEqualTo(r.value());
        assertThat(row.get("source_timestamp")).isEqualTo(r.timestamp().truncatedTo(ChronoUnit.MICROS));
        assertThat(row.get("ingestion_time")).isEqualTo(INGESTED);
        @SuppressWarnings("unchecked")
        Map<String, Object> headers = (Map<String, Object>) row.get("headers");
        assertThat(headers).containsOnlyKeys("content-type", "trace");
        assertThat((byte[]) headers.get("trace")).isEqualTo(new byte[] {4, (byte) 0xFF, 0});
        assertThat(row.get("metadata")).isEqualTo(Map.of("offset", "4000", "partition_key", "ключ-4 \uD83D\uDE00"));
        assertThat(kernel.stream().filter(x -> x.get("metadata") != null
                && ((Map<?, ?>) x.get("metadata")).containsKey("null-valued")).count()).isEqualTo(5_000 / 13 + 1);
    }

    @Test
    void aRefusedRecordLeavesTheFileUsable(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("bronze").toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        SourcePartition p = new SourcePartition("orders", 0);
        Map<String, byte[]> nullName = new HashMap<>();
        nullName.put(null, new byte[] {1});
        DataFile file;
        try (BronzeFileWriter w = table.newBronzeFile(INGESTED)) {
            w.write(new SourceRecord(p, 1, null, new byte[] {1}, Map.of(), Instant.EPOCH));
            assertThatThrownBy(() -> w.write(new SourceRecord(p, 2, null, null, nullName, Instant.EPOCH)))
                    .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("'headers'");
            assertThatThrownBy(() -> w.write(new SourceRecord(p, 3, null, null, Map.of(), Instant.MAX)))
                    .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("source_timestamp");
            @SuppressWarnings({"unchecked", "rawtypes"})
            Map<String, String> polluted = (Map) Map.of("offset", 42L);
            assertThatThrownBy(() -> w.write(new SourceRecord(p, 5, null, null, Map.of("h", new byte[] {1}),
                    Instant.EPOCH, polluted))).isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining("'metadata'").hasMessageContaining("java.lang.Long");
            w.write(new SourceRecord(p, 4, null, new byte[] {4}, SmallMap.of(new String[] {"a", "b", "a"},
                    new byte[][] {{1}, null, {3}}, 3), Instant.EPOCH,
                    SmallMap.of(new String[] {"m"},
                            new String[] {"ü"}, 1)));
            file = w.finish();
        }
        List<Row> rows = readAll(table, file, BronzeLayout.SCHEMA);
        assertThat(rows).extracting(r -> r.value(BronzeLayout.POSITION)).containsExactly(1L, 4L);
        @SuppressWarnings("unchecked") // a SmallMap: a repeated name keeps its last value
        Map<String, Object> headers = (Map<String, Object>) comparable(rows.get(1)).get(6);
        assertThat(headers).containsOnlyKeys("a", "b").containsEntry("a", "03");
        assertThat(headers.get("b")).isNull();
        assertThat(comparable(rows.get(1)).get(8)).isEqualTo(Map.of("m", "ü"));
    }

    @Test
    void closingWithoutFinishingDeletesThePartialFileAndAFinishedWriterRefusesMore(@TempDir Path dir)
            throws IOException {
        Path location = dir.resolve("bronze");
        DeltaTable table = DeltaTable.open(location.toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        try (BronzeFileWriter w = table.newBronzeFile(INGESTED)) {
            records(100).forEach(w::write);
        }
        try (Stream<Path> files = Files.list(location)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("_delta_log");
        }
        BronzeFileWriter w = table.newBronzeFile(INGESTED);
        w.write(records(1).get(0));
        DataFile file = w.finish();
        w.close(); // after finish: keeps the file
        assertThat(Files.exists(location.resolve(file.path()))).isTrue();
        assertThatThrownBy(() -> w.write(records(1).get(0))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already finished");
        assertThat(Arrays.asList(file.path().split("/"))).hasSize(1);
    }
}
