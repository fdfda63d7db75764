package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.core.delta.VerificationReport.Kind;
import io.streamlake.core.delta.VerificationReport.PositionRange;
import io.streamlake.core.delta.VerificationReport.Problem;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.Row;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verifier on real tables written through the library: healthy ones with exact counts, and
 * files damaged the ways an incident leaves them, each reported where it is, never thrown.
 */
class TableVerifierTest {
    private static final Instant INGESTED = Instant.parse("2026-12-04T05:00:00Z");
    /** Bronze leaf columns: key, value, source, partition, position, source_timestamp, ingestion_time, and two maps. */
    private static final int BRONZE_SCALAR_COLUMNS = 7;

    /**
     * Order events of several partitions, interleaved as a source batch arrives: partition
     * {@code j % partitions} gets the next position from {@code first}. Partition 3 is another source.
     * Payloads vary in length; every fifth event has two headers, every seventh a metadata entry.
     */
    static List<SourceRecord> events(int partitions, long first, int perPartition, String kind) {
        List<SourceRecord> out = new ArrayList<>();
        for (int j = 0; j < partitions * perPartition; j++) {
            int p = j % partitions;
            long position = first + j / partitions;
            out.add(event(p == 3 ? "payments" : "orders", p, position, kind));
        }
        return out;
    }

    static SourceRecord event(String source, int partition, long position, String kind) {
        String payload = "{\"" + kind + "\":\"" + kind.charAt(0) + "-" + position + "\",\"note\":\""
                + noise(position * 31 + partition, (int) ((position * 7 + partition * 13) % 300)) + "\",\"amount\":"
                + position % 997 + "}";
        Map<String, byte[]> headers = position % 5 == 0
                ? Map.of("content-type", "application/json".getBytes(StandardCharsets.UTF_8),
                        "trace", new byte[] {(byte) position, 1})
                : Map.of();
        Map<String, String> metadata = position % 7 == 0 ? Map.of("offset", Long.toString(position * 100)) : Map.of();
        byte[] key = position % 11 == 0 ? null : ("order-" + position % 500).getBytes(StandardCharsets.UTF_8);
        return new SourceRecord(new SourcePartition(source, partition), position, key,
                payload.getBytes(StandardCharsets.UTF_8), headers, Instant.ofEpochSecond(1_780_000_000L + position),
                metadata);
    }

    /** @return hex digits that compress about as little as real payloads do, the same for the same seed */
    private static String noise(long seed, int length) {
        StringBuilder sb = new StringBuilder(length);
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            sb.append(Character.forDigit((int) (x & 15), 16));
        }
        return sb.toString();
    }

    /** @return the column values of these bronze rows: a map counts its entries (at least one) twice */
    static long values(List<SourceRecord> records) {
        long n = 0;
        for (SourceRecord r : records) {
            n += BRONZE_SCALAR_COLUMNS + 2L * Math.max(1, r.headers().size()) + 2L * Math.max(1, r.metadata().size());
        }
        return n;
    }

    static DataFile bronzeFile(DeltaTable table, long rowGroupBytes, List<SourceRecord> records) {
        try (BronzeFileWriter w = new BronzeFileWriter(table, INGESTED, rowGroupBytes)) {
            records.forEach(w::write);
            return w.finish();
        }
    }

    static DeltaTable bronzeTable(Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("bronze").toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        return table;
    }

    static void commit(DeltaTable table, DataFile... files) {
        var commit = table.newCommit();
        for (DataFile f : files) {
            commit.add(f);
        }
        commit.commit("WRITE");
    }

    @Test
    void aHealthyBronzeTableIsOkWithExactCounts(@TempDir Path dir) {
        DeltaTable table = bronzeTable(dir);
        long values = 0;
        List<DataFile> files = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            List<SourceRecord> records = events(4, k * 1_000L, 1_000, "order");
            values += values(records);
            DataFile f = bronzeFile(table, 64 << 10, records);
            files.add(f);
            commit(table, f);
        }
        assertThat(files).allSatisfy(f -> assertThat(DamagedFiles.rowGroups(table, f)).isGreaterThan(3));

        VerificationReport report = TableVerifier.verify(table.location());

        assertThat(report.problems()).isEmpty();
        assertThat(report.ok()).isTrue();
        assertThat(report.version()).isEqualTo(3);
        assertThat(report.filesChecked()).isEqualTo(3);
        assertThat(report.rowsChecked()).isEqualTo(12_000);
        assertThat(report.valuesChecked()).isEqualTo(values);
        assertThat(report.summary()).isEqualTo(table.location()
                + " version 3: 3 files, 12,000 rows, " + String.format(java.util.Locale.ROOT, "%,d", values)
                + " values checked; no problems");
    }

    @Test
    void aHealthySilverTableIsOkWithExactCounts(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("silver").toString(), Map.of());
        table.create(DeltaTableRoundTripTest.ALL_TYPES);
        long values = 0;
        for (int k = 0; k < 2; k++) {
            DataFile f;
            try (DeltaFileWriter w = new DeltaFileWriter(table, DeltaTableRoundTripTest.ALL_TYPES, Map.of(),
                    ParquetColumnFile.Limits.rowGroupBytes(16 << 10))) {
                for (long i = k * 3_000L; i < (k + 1) * 3_000L; i++) {
                    Row row = DeltaTableRoundTripTest.row(i);
                    w.write(row);
                    // ten scalar columns; headers and labels are maps: key and value columns, one entry at least
                    values += 10 + 2L * Math.max(1, size(row.value("headers")))
                            + 2L * Math.max(1, size(row.value("labels")));
                }
                f = w.finish();
            }
            assertThat(DamagedFiles.rowGroups(table, f)).isGreaterThan(1);
            commit(table, f);
        }

        VerificationReport report = TableVerifier.verify(table.location(), Map.of());

        assertThat(report.problems()).isEmpty();
        assertThat(report.filesChecked()).isEqualTo(2);
        assertThat(report.rowsChecked()).isEqualTo(6_000);
        assertThat(report.valuesChecked()).isEqualTo(values);
    }

    private static int size(Object map) {
        return map == null ? 0 : ((Map<?, ?>) map).size();
    }

    @Test
    void aSplicedValuePageIsReportedWithItsRowGroupColumnAndPageAndTheOtherFilesAreHealthy(@TempDir Path dir) {
        DeltaTable table = bronzeTable(dir);
        // Row groups of about 3 MB, pages of about 1 MB: several pages of payloads per row group.
        DataFile victim = bronzeFile(table, 3 << 20, events(4, 0, 10_000, "order"));
        DataFile donor = bronzeFile(table, 3 << 20, events(4, 10_000, 1_000, "payment"));
        DataFile healthy = bronzeFile(table, 64 << 10, events(4, 11_000, 1_000, "order"));
        assertThat(DamagedFiles.rowGroups(table, victim)).isGreaterThanOrEqualTo(2);
        assertThat(DamagedFiles.pageCount(table, victim, BronzeLayout.VALUE, 1)).isGreaterThanOrEqualTo(2);
        long rowsOfDamagedGroup = rowsOfRowGroup(table, victim, 1);

        DataFile damaged = DamagedFiles.spliceIntoPage(table, victim, donor, BronzeLayout.VALUE, 1, 1);
        commit(table, damaged, donor, healthy);
        // The damage is real: the library's own reader fails on the file.
        assertThatThrownBy(() -> drain(table.read(damaged, BronzeLayout.SCHEMA))).isInstanceOf(RuntimeException.class);

        VerificationReport report = TableVerifier.verify(table.location());

        assertThat(report.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo(victim.path());
            assertThat(p.kind()).isEqualTo(Kind.UNREADABLE);
            assertThat(p.rowGroup()).isEqualTo(1);
            assertThat(p.column()).isEqualTo(BronzeLayout.VALUE);
            assertThat(p.page()).isEqualTo(1);
            assertThat(p.message()).startsWith("cannot decode value ").contains("of the page: ");
        });
        assertThat(report.damagedFiles()).containsExactly(victim.path());
        assertThat(report.filesChecked()).isEqualTo(3);
        assertThat(report.rowsChecked()).isEqualTo(40_000 + 4_000 + 4_000 - rowsOfDamagedGroup);
        // what to re-ingest: the damaged file's positions, per source partition
        assertThat(report.damagedPositions()).containsExactly(
                new PositionRange(victim.path(), "orders", 0, 0, 9_999, 10_000),
                new PositionRange(victim.path(), "orders", 1, 0, 9_999, 10_000),
                new PositionRange(victim.path(), "orders", 2, 0, 9_999, 10_000),
                new PositionRange(victim.path(), "payments", 3, 0, 9_999, 10_000));
        List<String> lines = report.summary().lines().toList();
        assertThat(lines).hasSize(6);
        assertThat(lines.get(0)).startsWith("UNREADABLE " + victim.path()
                + ", row group 1, column value, page 1: cannot decode value");
        assertThat(lines.get(1)).isEqualTo("RANGE " + victim.path() + ": source orders partition 0 positions"
                + " 0..9999 (10,000 rows)");
        assertThat(lines.get(5)).endsWith("1 problem in 1 file");
    }

    private static long rowsOfRowGroup(DeltaTable table, DataFile file, int group) {
        try (var in = org.apache.parquet.hadoop.ParquetFileReader.open(
                org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(table.resolve(file.path()), table.conf()))) {
            return in.getRowGroups().get(group).getRowCount();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void drain(Iterator<Row> rows) {
        while (rows.hasNext()) {
            Row row = rows.next();
            assertThat(row).isNotNull();
        }
    }

    @Test
    void aPageHeaderThatDoesNotParseIsLocatedToItsPage(@TempDir Path dir) {
        DeltaTable table = bronzeTable(dir);
        DataFile file = bronzeFile(table, 3 << 20, events(4, 0, 2_000, "order"));
        assertThat(DamagedFiles.pageCount(table, file, BronzeLayout.VALUE, 0)).isGreaterThanOrEqualTo(2);
        DamagedFiles.breakPageHeader(table, file, BronzeLayout.VALUE, 0, 1);
        commit(table, file);

        VerificationReport report = TableVerifier.verify(table.location());

        assertThat(report.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.UNREADABLE);
            assertThat(p.rowGroup()).isZero();
            assertThat(p.column()).isEqualTo(BronzeLayout.VALUE);
            assertThat(p.page()).isEqualTo(1);
            assertThat(p.message()).contains("data page 1, does not parse");
        });
    }

    @Test
    void truncatedMissingAndMiscountedFilesAreReportedEachWithItsKind(@TempDir Path dir) {
        DeltaTable table = bronzeTable(dir);
        DataFile truncated = bronzeFile(table, 64 << 10, events(4, 0, 500, "order"));
        DataFile missing = bronzeFile(table, 64 << 10, events(4, 500, 500, "order"));
        DataFile miscounted = bronzeFile(table, 64 << 10, events(4, 1_000, 500, "order"));
        DataFile healthy = bronzeFile(table, 64 << 10, events(4, 1_500, 500, "order"));
        commit(table, truncated, missing, DamagedFiles.withRowCount(miscounted, 2_007), healthy);
        DamagedFiles.truncate(table, truncated, 0.5);
        DamagedFiles.delete(table, missing);

        VerificationReport report = TableVerifier.verify(table.location());

        assertThat(report.filesChecked()).isEqualTo(4);
        assertThat(report.damagedFiles()).containsExactlyInAnyOrder(truncated.path(), missing.path(),
                miscounted.path());
        assertThat(report.problems()).filteredOn(p -> p.file().equals(truncated.path()))
                .extracting(Problem::kind).containsExactlyInAnyOrder(Kind.SIZE_MISMATCH, Kind.UNREADABLE);
        assertThat(report.problems()).filteredOn(p -> p.kind() == Kind.UNREADABLE).singleElement()
                .satisfies(p -> {
                    assertThat(p.rowGroup()).isEqualTo(-1);
                    assertThat(p.message()).startsWith("cannot read the Parquet footer, so none of its 2,000 rows")
                            .endsWith("The Delta log's statistics bound its rows to sources orders..payments,"
                                    + " partitions 0..3, positions 0..499 (all its source partitions together)");
                });
        assertThat(report.problems()).filteredOn(p -> p.kind() == Kind.SIZE_MISMATCH).singleElement()
                .satisfies(p -> assertThat(p.message()).contains("cut short"));
        assertThat(report.problems()).filteredOn(p -> p.file().equals(missing.path())).singleElement()
                .satisfies(p -> {
                    assertThat(p.kind()).isEqualTo(Kind.MISSING);
                    assertThat(p.message()).contains("2,000 rows are lost").endsWith("positions 500..999"
                            + " (all its source partitions together)");
                });
        assertThat(report.problems()).filteredOn(p -> p.file().equals(miscounted.path())).singleElement()
                .satisfies(p -> {
                    assertThat(p.kind()).isEqualTo(Kind.ROW_COUNT_MISMATCH);
                    assertThat(p.message()).contains("2,007 rows (numRecords), the Parquet footer 2,000");
                });
        // the miscounted and the healthy file read in full
        assertThat(report.rowsChecked()).isEqualTo(4_000);
        assertThat(report.summary()).endsWith("4 problems in 3 files");
        // the truncated file's positions cannot be read: its problem quotes the log's bounds instead
        assertThat(report.damagedPositions()).isEmpty();
    }

    @Test
    void positionsGoingBackwardsOrRepeatingInAFileAreReportedWithTheirPartition(@TempDir Path dir) {
        DeltaTable table = bronzeTable(dir);
        List<SourceRecord> records = new ArrayList<>();
        for (long p = 0; p < 100; p++) {
            records.add(event("orders", 0, p, "order"));
        }
        for (long p = 50; p < 60; p++) {
            records.add(event("orders", 0, p, "order")); // rows 100..109 go back to 50
        }
        for (long p = 0; p < 100; p++) {
            records.add(event("orders", 1, p, "order")); // a healthy partition in the same file
        }
        for (long p = 0; p < 20; p++) {
            records.add(event("orders", 2, p, "order"));
            if (p == 9) {
                records.add(event("orders", 2, p, "order")); // position 9 twice in a row
            }
        }
        DataFile file = bronzeFile(table, 8 << 10, records);
        commit(table, file);

        VerificationReport report = TableVerifier.verify(table.location());

        assertThat(report.problems()).hasSize(3).allSatisfy(p -> {
            assertThat(p.file()).isEqualTo(file.path());
            assertThat(p.column()).isEqualTo(BronzeLayout.POSITION);
        });
        assertThat(report.problems()).filteredOn(p -> p.kind() == Kind.POSITIONS_OUT_OF_ORDER).singleElement()
                .satisfies(p -> assertThat(p.message()).startsWith("source orders partition 0: positions go backwards"
                        + " 1 time (row 100: 50 after 99): the rows are not in the source's order."));
        // positions 50..59 of partition 0 are held twice in the file; 9 of partition 2 twice in a row
        assertThat(report.problems()).filteredOn(p -> p.kind() == Kind.POSITIONS_DUPLICATED)
                .extracting(Problem::message).containsExactlyInAnyOrder(
                        "source orders partition 2: a position repeats 1 time (row 220: 9 again); each event is held once",
                        "source orders partition 0: positions 50..59 of this file overlap positions 0..99 earlier in"
                                + " the same file: every position from 50 to 59 that both hold is held twice");
        assertThat(report.rowsChecked()).isEqualTo(records.size());
        assertThat(report.damagedPositions()).isEmpty(); // readable: nothing to re-ingest
    }

    @Test
    void aFileWhoseRunsOfPositionsAreSwappedIsOutOfOrderButHoldsEachPositionOnce(@TempDir Path dir) {
        // what bronze compaction of earlier versions wrote: two files combined in the wrong order
        DeltaTable table = bronzeTable(dir);
        List<SourceRecord> records = new ArrayList<>(events(2, 100, 100, "order"));
        records.addAll(events(2, 0, 100, "order"));
        commit(table, bronzeFile(table, 16 << 10, records));

        VerificationReport report = TableVerifier.verify(table.location());

        assertThat(report.problems()).extracting(Problem::kind)
                .containsExactly(Kind.POSITIONS_OUT_OF_ORDER, Kind.POSITIONS_OUT_OF_ORDER);
    }

    @Test
    void twoFilesWhosePositionsOverlapInAPartitionAreReportedAsDuplicated(@TempDir Path dir) {
        DeltaTable table = bronzeTable(dir);
        DataFile first = bronzeFile(table, 16 << 10, events(2, 0, 100, "order")); // partitions 0 and 1: 0..99
        List<SourceRecord> second = new ArrayList<>();
        for (long p = 50; p < 150; p++) {
            second.add(event("orders", 0, p, "order")); // 50..99 again
            second.add(event("orders", 1, p + 50, "order")); // 100..199: follows on
        }
        DataFile overlapping = bronzeFile(table, 16 << 10, second);
        commit(table, first);
        commit(table, overlapping);

        VerificationReport report = TableVerifier.verify(table.location());

        assertThat(report.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.POSITIONS_DUPLICATED);
            assertThat(p.file()).isEqualTo(overlapping.path());
            assertThat(p.column()).isEqualTo(BronzeLayout.POSITION);
            assertThat(p.message()).isEqualTo("source orders partition 0: positions 50..149 of this file overlap"
                    + " positions 0..99 of " + first.path() + ": every position from 50 to 99 that both hold is held"
                    + " twice");
        });
    }

    /**
     * The repair the README describes, with public API only: the events of the damaged file's ranges,
     * fetched again from the source into a repair table, replace the damaged file in one commit
     * marked as a rearrangement, so that silver (which merged the events from memory when they
     * arrived) does not take them again, and the progress markers stay where they are.
     */
    @Test
    void theReadmeRepairReplacesADamagedFileWithTheRowsOfARepairTable(@TempDir Path dir) {
        DeltaTable bronze = bronzeTable(dir);
        List<SourceRecord> victimEvents = events(4, 0, 3_000, "order");
        DataFile victim = bronzeFile(bronze, 3 << 20, victimEvents);
        DataFile donor = bronzeFile(bronze, 3 << 20, events(4, 3_000, 1_000, "payment"));
        commit(bronze, DamagedFiles.spliceIntoPage(bronze, victim, donor, BronzeLayout.VALUE, 0, 0), donor);
        // What a repair pipeline (bronze only, started at each range's first position) fetched from the
        // source: the damaged ranges, and what followed them, which the filter below leaves out.
        DeltaTable repair = DeltaTable.open(dir.resolve("repair").toString(), Map.of());
        repair.create(BronzeLayout.SCHEMA);
        List<SourceRecord> refetched = new ArrayList<>(victimEvents);
        refetched.addAll(events(4, 3_000, 1_000, "payment"));
        commit(repair, bronzeFile(repair, 1 << 20, refetched));

        VerificationReport report = TableVerifier.verify(bronze.location());
        assertThat(report.ok()).isFalse();

        // --- the README's code, as written there ---
        Map<String, List<VerificationReport.PositionRange>> byFile = report.damagedPositions().stream()
                .collect(java.util.stream.Collectors.groupingBy(VerificationReport.PositionRange::file));
        for (Map.Entry<String, List<VerificationReport.PositionRange>> damaged : byFile.entrySet()) {
            DataFile file = bronze.snapshot().files().stream().filter(f -> f.path().equals(damaged.getKey()))
                    .findFirst().orElseThrow();
            long expected = damaged.getValue().stream().mapToLong(VerificationReport.PositionRange::rows).sum();
            try (io.streamlake.table.DataFileWriter out = bronze.newDataFile(BronzeLayout.SCHEMA)) {
                long written = 0;
                for (DataFile f : repair.snapshot().files()) {
                    for (Iterator<Row> rows = repair.read(f, BronzeLayout.SCHEMA); rows.hasNext();) {
                        Row row = rows.next();
                        boolean inRange = damaged.getValue().stream()
                                .anyMatch(r -> r.source().equals(row.string("source"))
                                        && r.partition() == row.intValue("partition")
                                        && row.longValue("position") >= r.first()
                                        && row.longValue("position") <= r.last());
                        if (inRange) {
                            out.write(row);
                            written++;
                        }
                    }
                }
                if (written != expected) {
                    throw new IllegalStateException("the repair table holds " + written + " of the " + expected
                            + " rows of " + damaged.getKey() + ": fetch the missing positions first");
                }
                bronze.newCommit().rearrangeOnly().replace(List.of(file), List.of(out.finish())).commit("REPAIR");
            }
        }
        // --- end of the README's code ---

        VerificationReport after = TableVerifier.verify(bronze.location());
        assertThat(after.problems()).isEmpty();
        assertThat(after.rowsChecked()).isEqualTo(16_000);
        List<Map<String, Object>> kernel = KernelReader.rows(bronze.location());
        assertThat(kernel).hasSize(16_000);
        Map<String, Object> row = kernel.stream()
                .filter(r -> r.get("partition").equals(2) && r.get("position").equals(1_234L)).findFirst()
                .orElseThrow();
        assertThat(new String((byte[]) row.get("value"), StandardCharsets.UTF_8))
                .isEqualTo(new String(event("orders", 2, 1_234, "order").value(), StandardCharsets.UTF_8));
        // rearranged, not new data: a streaming reader (silver) does not take the rows again
        assertThat(bronze.changes(3, 3)).isEmpty();
    }

    @Test
    void aPathWithoutATableFailsWithWhatToDo(@TempDir Path dir) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("not-a-table"));
        assertThatThrownBy(() -> TableVerifier.verify(empty.toString()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("there is no Delta table there")
                .hasMessageContaining("check the path");
        assertThatThrownBy(() -> TableVerifier.verify(dir.resolve("nowhere").toString()))
                .isInstanceOf(ConfigurationException.class);
        assertThat(empty).isEmptyDirectory(); // verifying only reads
        assertThat(dir.resolve("nowhere")).doesNotExist();
    }
}
