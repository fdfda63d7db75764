package io.streamlake.core.delta;

import static io.streamlake.core.delta.DeltaTableRoundTripTest.writeFile;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.expressions.Predicate;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaStatsTest {

    static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.LONG)
            .optional("n", DataType.INT)
            .optional("name", DataType.STRING)
            .optional("score", DataType.DOUBLE)
            .optional("flag", DataType.BOOLEAN)
            .optional("raw", DataType.BINARY)
            .optional("ts", DataType.TIMESTAMP)
            .optional("day", DataType.DATE)
            .optional("amount", DataType.decimal(10, 2))
            .optional("tags", DataType.map(DataType.STRING))
            .build();

    static Row row(long id, Integer n, String name, Double score, Instant ts, LocalDate day, String amount) {
        return Row.of(SCHEMA, id, n, name, score, id % 2 == 0, new byte[] {1}, ts, day,
                amount == null ? null : new BigDecimal(amount), Map.of("k", "v"));
    }

    @Test
    void statsInTheLogAreAJsonStringInSparksFormats(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        List<Row> rows = List.of(
                row(7, 3, "b", 2.5, Instant.parse("2026-01-01T10:00:00.123456Z"), LocalDate.of(2026, 3, 1), "10.50"),
                row(3, null, "a", -1.0, Instant.parse("2026-01-01T09:00:00.000999Z"), LocalDate.of(2025, 12, 31),
                        "-0.05"),
                row(9, -4, null, null, null, null, null),
                row(5, 8, "ć", 0.0, Instant.parse("2026-01-01T11:00:00.999001Z"), null, "99999999.99"));
        DataFile file = writeFile(table, SCHEMA, rows);
        table.newCommit().add(file).commit("WRITE");

        JsonNode add = DeltaLogFiles.actions(dir, 1, "add").get(0);
        assertThat(add.get("stats").isTextual()).as("stats must be a JSON string").isTrue();
        assertThat(add.get("dataChange").booleanValue()).isTrue();
        assertThat(add.get("partitionValues").size()).isZero();
        JsonNode stats = DeltaLogFiles.stats(add);
        assertThat(stats.get("numRecords").longValue()).isEqualTo(4);

        JsonNode min = stats.get("minValues");
        JsonNode max = stats.get("maxValues");
        assertThat(min.get("id").longValue()).isEqualTo(3);
        assertThat(max.get("id").longValue()).isEqualTo(9);
        assertThat(min.get("n").intValue()).isEqualTo(-4);
        assertThat(max.get("n").intValue()).isEqualTo(8);
        assertThat(min.get("name").textValue()).isEqualTo("a");
        assertThat(max.get("name").textValue()).isEqualTo("ć");
        assertThat(min.get("score").doubleValue()).isEqualTo(-1.0);
        assertThat(max.get("score").doubleValue()).isEqualTo(2.5);
        // Milliseconds; the minimum truncated, the maximum rounded up so that both stay bounds.
        assertThat(min.get("ts").textValue()).isEqualTo("2026-01-01T09:00:00.000Z");
        assertThat(max.get("ts").textValue()).isEqualTo("2026-01-01T11:00:01.000Z");
        assertThat(min.get("day").textValue()).isEqualTo("2025-12-31");
        assertThat(max.get("day").textValue()).isEqualTo("2026-03-01");
        assertThat(min.get("amount").isNumber()).isTrue();
        assertThat(min.get("amount").decimalValue()).isEqualByComparingTo("-0.05");
        assertThat(max.get("amount").decimalValue()).isEqualByComparingTo("99999999.99");
        assertThat(min.has("flag")).as("booleans have no bounds").isFalse();
        assertThat(min.has("raw")).as("binaries have no bounds").isFalse();
        assertThat(min.has("tags")).isFalse();

        JsonNode nulls = stats.get("nullCount");
        assertThat(nulls.get("id").longValue()).isZero();
        assertThat(nulls.get("n").longValue()).isEqualTo(1);
        assertThat(nulls.get("name").longValue()).isEqualTo(1);
        assertThat(nulls.get("ts").longValue()).isEqualTo(1);
        assertThat(nulls.get("day").longValue()).isEqualTo(2);
        assertThat(nulls.get("amount").longValue()).isEqualTo(1);
        assertThat(nulls.get("flag").longValue()).isZero();
        assertThat(nulls.get("raw").longValue()).isZero();
        assertThat(nulls.has("tags")).as("no null count for maps").isFalse();

        // Kernel sees the same stats string on its scan files.
        List<KernelReader.ScanFile> scanFiles = KernelReader.scanFiles(table.location(), null);
        assertThat(scanFiles).singleElement().satisfies(f -> {
            assertThat(f.path()).endsWith(file.path());
            assertThat(f.size()).isEqualTo(file.sizeBytes());
            assertThat(f.stats()).isEqualTo(add.get("stats").textValue());
        });
    }

    @Test
    void theWritersDataFileHasExactBoundsAndTheSnapshotTypedOnes(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        Instant early = Instant.parse("2026-01-01T09:00:00.000999Z");
        Instant late = Instant.parse("2026-01-01T11:00:00.999001Z");
        DataFile written = writeFile(table, SCHEMA, List.of(
                row(1, 1, "x", 1.5, early, LocalDate.of(2026, 1, 1), "1.5"),
                row(2, 2, "y", 2.5, late, LocalDate.of(2026, 1, 2), "2.25")));
        assertThat(written.min("ts")).contains(early);
        assertThat(written.max("ts")).contains(late);
        table.newCommit().add(written).commit("WRITE");

        DataFile listed = table.snapshot().files().get(0);
        assertThat(listed.path()).isEqualTo(written.path());
        assertThat(listed.sizeBytes()).isEqualTo(written.sizeBytes());
        assertThat(listed.rowCount()).isEqualTo(2);
        assertThat(listed.minValues()).containsEntry("id", 1L).containsEntry("n", 1).containsEntry("name", "x")
                .containsEntry("score", 1.5).containsEntry("day", LocalDate.of(2026, 1, 1))
                .containsEntry("ts", Instant.parse("2026-01-01T09:00:00.000Z"))
                .containsEntry("amount", new BigDecimal("1.50"))
                .doesNotContainKeys("flag", "raw", "tags");
        assertThat(listed.maxValues()).containsEntry("id", 2L)
                .containsEntry("ts", Instant.parse("2026-01-01T11:00:01.000Z"))
                .containsEntry("amount", new BigDecimal("2.25"));
        assertThat(listed.nullCounts()).containsEntry("id", 0L).containsEntry("flag", 0L).doesNotContainKey("tags");
    }

    @Test
    void longStringsNaNsAndInfinitiesLeaveBoundsUnknown(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        String longName = "x".repeat(RowWriteSupport.MAX_STRING_BOUND_LENGTH + 1);
        DataFile f = writeFile(table, SCHEMA, List.of(
                row(1, 1, "short", Double.NaN, null, null, null),
                row(2, 1, longName, 1.0, null, null, null)));
        assertThat(f.minValues()).doesNotContainKeys("name", "score").containsKey("id");
        assertThat(f.maxValues()).doesNotContainKeys("name", "score");
        DataFile g = writeFile(table, SCHEMA, List.of(row(1, 1, "x".repeat(256), Double.NEGATIVE_INFINITY,
                null, null, null)));
        assertThat(g.minValues()).containsEntry("name", "x".repeat(256)).doesNotContainKey("score");
        table.newCommit().add(f).add(g).commit("WRITE");
        JsonNode stats = DeltaLogFiles.stats(DeltaLogFiles.actions(dir, 1, "add").get(0));
        assertThat(stats.get("minValues").has("name")).isFalse();
        assertThat(KernelReader.rows(table.location())).hasSize(3);
    }

    @Test
    void deltaKernelSkipsFilesWithOurStats(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        List<DataFile> files = new ArrayList<>();
        for (int f = 0; f < 3; f++) {
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long id = f * 100L + i;
                rows.add(row(id, (int) id, "name-" + f + "-" + i, id / 2.0,
                        Instant.parse("2026-01-0" + (f + 1) + "T00:00:00.000001Z").plusSeconds(i),
                        LocalDate.of(2026, f + 1, 1 + i), f + "0." + i));
            }
            files.add(writeFile(table, SCHEMA, rows));
        }
        table.newCommit().add(files.get(0)).add(files.get(1)).add(files.get(2)).commit("WRITE");

        assertThat(survivors(table, new Predicate(">", new Column("id"), Literal.ofLong(150)))).containsExactly(2);
        assertThat(survivors(table, new Predicate("=", new Column("n"), Literal.ofInt(105)))).containsExactly(1);
        assertThat(survivors(table, new Predicate("<", new Column("name"), Literal.ofString("name-1"))))
                .containsExactly(0);
        assertThat(survivors(table, new Predicate(">=", new Column("score"), Literal.ofDouble(100.0))))
                .containsExactly(2);
        // Timestamp bounds are in microseconds for Kernel: 2026-01-02T00:00:00.000001Z is file 1's minimum,
        // which the stats only know as 2026-01-02T00:00:00.000Z (truncated): file 0 must still be skipped.
        long micros = RowWriteSupport.micros("ts", Instant.parse("2026-01-02T00:00:00.000001Z"));
        assertThat(survivors(table, new Predicate("=", new Column("ts"), Literal.ofTimestamp(micros))))
                .containsExactly(1);
        assertThat(survivors(table, new Predicate(">", new Column("day"),
                Literal.ofDate((int) LocalDate.of(2026, 2, 28).toEpochDay())))).containsExactly(2);
        assertThat(survivors(table, new Predicate("<", new Column("amount"),
                Literal.ofDecimal(new BigDecimal("10.00"), 10, 2)))).containsExactly(0);
    }

    /** @return the indexes (by file order in this test) of the files Kernel keeps for the filter */
    private static List<Integer> survivors(DeltaTable table, Predicate filter) {
        List<DataFile> all = table.snapshot().files();
        Set<String> kept = KernelReader.scanFiles(table.location(), filter).stream()
                .map(f -> f.path().substring(f.path().lastIndexOf('/') + 1))
                .collect(Collectors.toSet());
        List<Integer> out = new ArrayList<>();
        List<DataFile> byMinId = new ArrayList<>(all);
        byMinId.sort((a, b) -> Long.compare((Long) a.minValues().get("id"), (Long) b.minValues().get("id")));
        for (int i = 0; i < byMinId.size(); i++) {
            if (kept.contains(byMinId.get(i).path())) {
                out.add(i);
            }
        }
        return out;
    }

    @Test
    void timestampsRoundToMillisecondsOutward() {
        Instant t = Instant.parse("2026-01-01T10:00:00.123456Z");
        assertThat(DeltaStats.formatTimestamp(t, false)).isEqualTo("2026-01-01T10:00:00.123Z");
        assertThat(DeltaStats.formatTimestamp(t, true)).isEqualTo("2026-01-01T10:00:00.124Z");
        Instant exact = Instant.parse("2026-01-01T10:00:00.123Z");
        assertThat(DeltaStats.formatTimestamp(exact, true)).isEqualTo("2026-01-01T10:00:00.123Z");
        Instant beforeEpoch = Instant.parse("1969-12-31T23:59:59.999500Z");
        assertThat(DeltaStats.formatTimestamp(beforeEpoch, false)).isEqualTo("1969-12-31T23:59:59.999Z");
        assertThat(DeltaStats.formatTimestamp(beforeEpoch, true)).isEqualTo("1970-01-01T00:00:00.000Z");
    }

    @Test
    void statsOfOtherWritersParseAndGarbageLeavesBoundsUnknown() {
        Map<String, DataType> types = DeltaSchemas.statsTypes(SCHEMA);
        DataFile spark = DeltaStats.parse("p", 10,
                "{\"numRecords\":3,\"minValues\":{\"ts\":\"2022-10-11T07:48:55.927-07:00\",\"amount\":1.005,"
                        + "\"n\":\"oops\",\"unknown\":1,\"nested\":{\"a\":1}},"
                        + "\"maxValues\":{\"amount\":1.001},\"nullCount\":{\"id\":0,\"nested\":{\"a\":0}},"
                        + "\"tightBounds\":true}",
                types);
        assertThat(spark.rowCount()).isEqualTo(3);
        assertThat(spark.minValues()).containsOnly(
                Map.entry("ts", Instant.parse("2022-10-11T14:48:55.927Z")),
                Map.entry("amount", new BigDecimal("1.00")));
        assertThat(spark.maxValues()).containsOnly(Map.entry("amount", new BigDecimal("1.01")));
        assertThat(spark.nullCounts()).containsOnly(Map.entry("id", 0L));

        DataFile garbage = DeltaStats.parse("p", 10, "{\"numRecords\":", types);
        assertThat(garbage.rowCount()).isEqualTo(-1);
        assertThat(garbage.minValues()).isEmpty();
        assertThat(DeltaStats.parse("p", 10, null, types).rowCount()).isEqualTo(-1);
    }

    @Test
    void stringBoundsFollowUtf8ByteOrder() {
        // U+FFFD is below U+1F680 in code point (and UTF-8) order, but above its surrogates in UTF-16 order.
        String replacement = "\uFFFD";
        String rocket = "\uD83D\uDE80";
        assertThat(replacement.compareTo(rocket)).isPositive();
        assertThat(io.streamlake.schema.ValueOrder.compareUtf8(replacement, rocket)).isNegative();
        assertThat(io.streamlake.schema.ValueOrder.compareUtf8("a", "ab")).isNegative();
        assertThat(io.streamlake.schema.ValueOrder.compareUtf8("b", "ab")).isPositive();
        assertThat(io.streamlake.schema.ValueOrder.compareUtf8("same", "same")).isZero();
    }
}
