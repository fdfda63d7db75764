package io.streamlake.core.delta;

import static io.streamlake.core.delta.DeltaTableRoundTripTest.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.SchemaMismatchException;
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
import java.util.HashMap;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.column.Encoding;
import org.apache.hadoop.conf.Configuration;
import java.util.Set;
import java.util.Locale;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaFileWriterTest {

    static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.LONG)
            .optional("amount", DataType.decimal(6, 2))
            .optional("ts", DataType.TIMESTAMP)
            .optional("day", DataType.DATE)
            .optional("attrs", DataType.map(DataType.decimal(4, 1)))
            .build();

    static Row row(long id, String amount) {
        return Row.of(SCHEMA, id, amount == null ? null : new BigDecimal(amount), null, null, null);
    }

    private static List<Path> dataFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> !p.getFileName().toString().equals("_delta_log")).toList();
        }
    }

    @Test
    void closingWithoutFinishingDeletesThePartialFile(@TempDir Path dir) throws IOException {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        try (DataFileWriter w = table.newDataFile(SCHEMA)) {
            for (int i = 0; i < 1000; i++) {
                w.write(row(i, "1.00"));
            }
        }
        assertThat(dataFiles(dir)).isEmpty();
    }

    @Test
    void aFinishedFileOutlivesClose(@TempDir Path dir) throws IOException {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        DataFile file;
        try (DataFileWriter w = table.newDataFile(SCHEMA)) {
            w.write(row(1, "1.00"));
            file = w.finish();
            assertThatThrownBy(() -> w.write(row(2, "1.00"))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("newDataFile");
            assertThatThrownBy(w::finish).isInstanceOf(IllegalStateException.class);
        }
        assertThat(dir.resolve(file.path())).exists();
    }

    @Test
    void aValueThatDoesNotFitIsRefusedAndTheWriterCarriesOn(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        try (DataFileWriter w = table.newDataFile(SCHEMA)) {
            w.write(row(1, "9999.99"));
            assertThatThrownBy(() -> w.write(row(2, "10000.00")))
                    .isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining("column 'amount' of type decimal(6,2)")
                    .hasMessageContaining("needs more than 6 digits");
            assertThatThrownBy(() -> w.write(row(3, "1.005")))
                    .isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining("more than 2 digits after the point");
            Map<String, Object> badMap = new HashMap<>();
            badMap.put("k", "not a decimal");
            assertThatThrownBy(() -> w.write(Row.of(SCHEMA, 4L, null, null, null, badMap)))
                    .isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining("column 'attrs' holds BigDecimal values");
            Map<String, Object> tooWide = Map.of("k", new BigDecimal("12345"));
            assertThatThrownBy(() -> w.write(Row.of(SCHEMA, 5L, null, null, null, tooWide)))
                    .isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining("attrs");
            Map<Object, Object> nullKey = new HashMap<>();
            nullKey.put(null, BigDecimal.ONE);
            assertThatThrownBy(() -> w.write(Row.of(SCHEMA, 6L, null, null, null, nullKey)))
                    .isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining("non-null String keys");
            Schema other = Schema.builder().required("id", DataType.LONG).build();
            assertThatThrownBy(() -> w.write(Row.of(other, 7L)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("differs from the schema");
            w.write(row(8, "-0.5"));
            w.write(Row.of(SCHEMA, 9L, null, null, null, Map.of("a", new BigDecimal("1.5"))));
            assertThat(w.rowCount()).isEqualTo(3);
            DataFile file = w.finish();
            assertThat(file.rowCount()).isEqualTo(3);
            assertThat(file.minValues()).containsEntry("amount", new BigDecimal("-0.50")).containsEntry("id", 1L);
            assertThat(file.maxValues()).containsEntry("amount", new BigDecimal("9999.99")).containsEntry("id", 9L);
            assertThat(file.nullCounts()).containsEntry("amount", 1L).doesNotContainKey("attrs");
            List<Row> rows = readAll(table, file, SCHEMA);
            assertThat(rows).extracting(r -> r.value("id")).containsExactly(1L, 8L, 9L);
            assertThat(rows.get(2).value("attrs")).isEqualTo(Map.of("a", new BigDecimal("1.5")));
            table.newCommit().add(file).commit("WRITE");
            assertThat(KernelReader.rows(table.location())).hasSize(3);
        }
    }

    @Test
    void timestampsKeepMicrosecondsAndDatesSpanTheCalendar(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        List<Instant> instants = List.of(
                Instant.parse("2026-01-01T10:00:00.123456789Z"),
                Instant.parse("1969-12-31T23:59:59.999999Z"),
                Instant.parse("1900-01-01T00:00:00Z"),
                Instant.parse("9999-12-31T23:59:59.999999Z"));
        List<LocalDate> dates = List.of(LocalDate.of(2026, 1, 1), LocalDate.of(1969, 12, 31),
                LocalDate.of(1, 1, 1), LocalDate.of(9999, 12, 31));
        DataFile file;
        try (DataFileWriter w = table.newDataFile(SCHEMA)) {
            for (int i = 0; i < instants.size(); i++) {
                w.write(Row.of(SCHEMA, (long) i, null, instants.get(i), dates.get(i), null));
            }
            assertThatThrownBy(() -> w.write(Row.of(SCHEMA, 9L, null, Instant.MAX, null, null)))
                    .isInstanceOf(SchemaMismatchException.class)
                    .hasMessageContaining("column 'ts'");
            file = w.finish();
        }
        table.newCommit().add(file).commit("WRITE");
        List<Row> rows = readAll(table, file, SCHEMA);
        assertThat(rows.get(0).timestamp("ts")).isEqualTo(Instant.parse("2026-01-01T10:00:00.123456Z"));
        assertThat(rows.subList(1, 4)).extracting(r -> r.timestamp("ts"))
                .containsExactlyElementsOf(instants.subList(1, 4));
        assertThat(rows).extracting(r -> r.value("day")).containsExactlyElementsOf(dates);
        assertThat(file.min("ts")).contains(Instant.parse("1900-01-01T00:00:00Z"));
        assertThat(file.max("day")).contains(LocalDate.of(9999, 12, 31));
        assertThat(KernelReader.rows(table.location())).extracting(r -> r.get("ts"))
                .containsExactly(Instant.parse("2026-01-01T10:00:00.123456Z"), instants.get(1), instants.get(2),
                        instants.get(3));
        // Rounded up past year 9999, the bound must still parse back and stay an upper bound.
        assertThat((Instant) table.snapshot().files().get(0).maxValues().get("ts")).isAfterOrEqualTo(instants.get(3));
        assertThat((Instant) table.snapshot().files().get(0).minValues().get("ts")).isBeforeOrEqualTo(instants.get(2));
    }

    @Test
    void hintedColumnsSkipTheDictionaryAndReadBackAlike(@TempDir Path dir) throws IOException {
        Schema schema = Schema.builder()
                .required("order_id", DataType.STRING)
                .optional("status", DataType.STRING)
                .build();
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(schema);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            rows.add(Row.of(schema, String.format(Locale.ROOT, "order-%05d", i), i % 7 == 0 ? null : "S" + i % 4));
        }
        DataFile hinted;
        // A key column's values are distinct, so Parquet gives up its dictionary at the first page anyway,
        // after hashing every value of it; the hint skips that. Hinted here on a column of four values,
        // where Parquet would have kept the dictionary, so that the file shows the hint was taken.
        try (DataFileWriter w = table.newDataFile(schema, Map.of(), Set.of("order_id", "status"))) {
            rows.forEach(w::write);
            hinted = w.finish();
        }
        DataFile plain;
        try (DataFileWriter w = table.newDataFile(schema)) {
            rows.forEach(w::write);
            plain = w.finish();
        }
        table.newCommit().add(hinted).commit("WRITE");

        assertThat(dictionaryColumns(dir.resolve(hinted.path()))).isEmpty();
        assertThat(dictionaryColumns(dir.resolve(plain.path()))).containsExactly("status");
        List<Map<String, Object>> kernel = KernelReader.rows(dir.toString());
        assertThat(kernel).hasSize(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> read = kernel.get(i);
            assertThat(read.get("order_id")).isEqualTo(rows.get(i).value(0));
            assertThat(read.get("status")).isEqualTo(rows.get(i).value(1));
        }
    }

    /** @return the columns of a file's first row group that Parquet wrote with a dictionary */
    private static List<String> dictionaryColumns(Path file) throws IOException {
        try (ParquetFileReader footer = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toString()), new Configuration()))) {
            return footer.getRowGroups().get(0).getColumns().stream()
                    .filter(c -> c.getEncodings().stream().anyMatch(Encoding::usesDictionary))
                    .map(c -> c.getPath().toDotString())
                    .toList();
        }
    }
}
