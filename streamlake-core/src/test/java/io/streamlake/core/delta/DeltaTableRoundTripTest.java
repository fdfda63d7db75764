package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaTableRoundTripTest {

    static final Schema ALL_TYPES = Schema.builder()
            .required("id", DataType.LONG)
            .optional("name", DataType.STRING)
            .optional("count", DataType.INT)
            .optional("score", DataType.DOUBLE)
            .optional("active", DataType.BOOLEAN)
            .optional("payload", DataType.BINARY)
            .optional("ts", DataType.TIMESTAMP)
            .optional("day", DataType.DATE)
            .optional("amount", DataType.decimal(12, 2))
            .optional("small", DataType.decimal(5, 3))
            .optional("headers", DataType.map(DataType.BINARY))
            .optional("labels", DataType.map(DataType.STRING))
            .build();

    /** Row i of a deterministic data set with nulls in every optional column on every fifth row. */
    static Row row(long i) {
        if (i % 5 == 4) {
            return Row.builder(ALL_TYPES).set("id", i).build();
        }
        Map<String, byte[]> headers = new LinkedHashMap<>();
        headers.put("h" + i, ("v" + i).getBytes(StandardCharsets.UTF_8));
        headers.put("empty", new byte[0]);
        headers.put("none", null);
        Map<String, String> labels = i % 3 == 0 ? Map.of() : Map.of("k", "l" + i);
        return Row.of(ALL_TYPES,
                i,
                "name-" + i + (i % 7 == 0 ? " ünïcødé 🚀" : ""),
                (int) (i * 3 - 10),
                i * 1.5 - 2.25,
                i % 2 == 0,
                new byte[] {(byte) i, 0, (byte) 0xFF},
                Instant.parse("2026-01-01T10:00:00Z").plusNanos(i * 1_234_567_000L + 1_000),
                LocalDate.of(2026, 1, 1).plusDays(i),
                new BigDecimal("-1234.50").add(BigDecimal.valueOf(i * 101, 2)),
                new BigDecimal("1.5"),
                headers,
                labels);
    }

    static DataFile writeFile(DeltaTable table, Schema schema, List<Row> rows) {
        try (DataFileWriter w = table.newDataFile(schema)) {
            rows.forEach(w::write);
            assertThat(w.rowCount()).isEqualTo(rows.size());
            return w.finish();
        }
    }

    static List<Row> readAll(DeltaTable table, DataFile file, Schema schema) {
        List<Row> out = new ArrayList<>();
        table.read(file, schema).forEachRemaining(out::add);
        return out;
    }

    @Test
    void everyTypeRoundTripsThroughOurReaderAndDeltaKernel(@TempDir Path dir) throws Exception {
        DeltaTable table = DeltaTable.open(dir.resolve("t").toString(), Map.of());
        table.create(ALL_TYPES);
        List<Row> rows = new ArrayList<>();
        for (long i = 0; i < 50; i++) {
            rows.add(row(i));
        }
        DataFile file = writeFile(table, ALL_TYPES, rows);
        assertThat(file.path()).matches("part-00000-[0-9a-f-]{36}\\.snappy\\.parquet");
        assertThat(file.rowCount()).isEqualTo(50);
        assertThat(file.sizeBytes()).isEqualTo(Files.size(dir.resolve("t").resolve(file.path())));
        long version = table.newCommit().add(file).commit("WRITE");
        assertThat(version).isEqualTo(1);

        List<Row> ours = readAll(table, file, ALL_TYPES);
        assertThat(ours).hasSize(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertSameValues(ours.get(i).toMap(), rows.get(i).toMap());
        }

        List<Map<String, Object>> kernel = KernelReader.rows(table.location());
        assertThat(kernel).hasSize(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertSameValues(kernel.get(i), rows.get(i).toMap());
        }
        assertThat(((BigDecimal) ours.get(0).value("small")).scale()).isEqualTo(3);
        assertThat(((BigDecimal) kernel.get(0).get("small")).scale()).isEqualTo(3);
        StructType kernelSchema = KernelReader.schema(table.location());
        assertThat(kernelSchema.get("ts").getDataType()).isInstanceOf(TimestampType.class);
        assertThat(kernelSchema.get("amount").getDataType()).isEqualTo(new DecimalType(12, 2));
        assertThat(kernelSchema.get("id").isNullable()).isFalse();
        assertThat(kernelSchema.get("headers").getDataType())
                .isEqualTo(new MapType(StringType.STRING, BinaryType.BINARY, true));
    }

    /** Compares Kernel's values with ours; byte arrays by content, maps entry by entry. */
    @SuppressWarnings("unchecked")
    static void assertSameValues(Map<String, Object> kernel, Map<String, Object> expected) {
        assertThat(kernel.keySet()).containsExactlyElementsOf(expected.keySet());
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            Object actual = kernel.get(e.getKey());
            Object want = e.getValue();
            if (want instanceof byte[] b) {
                assertThat((byte[]) actual).as(e.getKey()).isEqualTo(b);
            } else if (want instanceof Map<?, ?> m) {
                Map<String, Object> got = (Map<String, Object>) actual;
                assertThat(got.keySet()).as(e.getKey())
                        .containsExactlyInAnyOrderElementsOf((Iterable<String>) m.keySet());
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    Object v = got.get(me.getKey());
                    if (me.getValue() instanceof byte[] b) {
                        assertThat((byte[]) v).isEqualTo(b);
                    } else {
                        assertThat(v).isEqualTo(me.getValue());
                    }
                }
            } else if (want instanceof BigDecimal d) {
                // Values come back at the column's scale: 1.5 in a decimal(5,3) reads as 1.500.
                assertThat((BigDecimal) actual).as(e.getKey()).isEqualByComparingTo(d);
            } else {
                assertThat(actual).as(e.getKey()).isEqualTo(want);
            }
        }
    }

    @Test
    void parquetLayoutIsWhatSparkAndKernelExpect(@TempDir Path dir) throws Exception {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(ALL_TYPES);
        DataFile file = writeFile(table, ALL_TYPES, List.of(row(1)));
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(dir.resolve(file.path()).toUri()),
                new org.apache.hadoop.conf.Configuration()))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            String text = schema.toString();
            assertThat(text).contains("required int64 id;")
                    .contains("optional binary name (STRING);")
                    .contains("optional int32 count;")
                    .contains("optional double score;")
                    .contains("optional boolean active;")
                    .contains("optional binary payload;")
                    .contains("optional int64 ts (TIMESTAMP(MICROS,true));")
                    .contains("optional int32 day (DATE);")
                    .contains("optional int64 amount (DECIMAL(12,2));")
                    .contains("optional int32 small (DECIMAL(5,3));")
                    .contains("optional group headers (MAP) {")
                    .contains("repeated group key_value {")
                    .contains("required binary key (STRING);")
                    .contains("optional binary value;");
            assertThat(reader.getRowGroups().get(0).getColumns())
                    .allSatisfy(c -> assertThat(c.getCodec()).isEqualTo(CompressionCodecName.SNAPPY));
            assertThat(reader.getFooter().getFileMetaData().getKeyValueMetaData())
                    .containsEntry("writer.model.name", "streamlake");
        }
    }

    @Test
    void readerMatchesColumnsByNameAndReadsMissingOnesAsNull(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(ALL_TYPES);
        DataFile file = writeFile(table, ALL_TYPES, List.of(row(0), row(1), row(4)));
        Schema projected = Schema.builder()
                .optional("ts", DataType.TIMESTAMP)
                .required("id", DataType.LONG)
                .optional("added_later", DataType.STRING)
                .build();
        List<Row> rows = readAll(table, file, projected);
        assertThat(rows).extracting(r -> r.value("id")).containsExactly(0L, 1L, 4L);
        assertThat(rows).extracting(r -> r.value("added_later")).containsOnlyNulls();
        assertThat(rows.get(1).timestamp("ts")).isEqualTo(row(1).timestamp("ts"));
        assertThat(rows.get(2).timestamp("ts")).isNull();
    }

    @Test
    void readingARequiredColumnTheFileLacksOrAnotherTypeFails(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(ALL_TYPES);
        DataFile file = writeFile(table, ALL_TYPES, List.of(row(0)));
        Schema missing = Schema.builder().required("nope", DataType.STRING).build();
        assertThatThrownBy(() -> table.read(file, missing))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("required column 'nope' is missing")
                .hasMessageContaining(file.path());
        Schema wrongType = Schema.builder().optional("name", DataType.LONG).build();
        assertThatThrownBy(() -> table.read(file, wrongType))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("column 'name'")
                .hasMessageContaining("cannot be read as long");
    }

    @Test
    void readingAMissingFileIsASinkError(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        DataFile ghost = new DataFile("part-00000-gone.snappy.parquet", 10, 1, Map.of(), Map.of(), Map.of());
        assertThatThrownBy(() -> table.read(ghost, ALL_TYPES))
                .isInstanceOf(SinkException.class)
                .hasMessageContaining("part-00000-gone.snappy.parquet")
                .hasMessageContaining(table.location());
    }

    @Test
    void manyRowsAcrossDictionaryAndPlainPagesReadBackInOrder(@TempDir Path dir) {
        Schema schema = Schema.builder()
                .required("seq", DataType.LONG)
                .optional("key", DataType.STRING)
                .optional("value", DataType.BINARY)
                .build();
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(schema);
        List<Row> rows = new ArrayList<>();
        for (long i = 0; i < 30_000; i++) {
            // Few distinct keys (dictionary pages), then unique ones (fallback to plain encoding).
            String key = i < 15_000 ? "key-" + (i % 17) : "unique-" + i;
            rows.add(Row.of(schema, i, key, ("payload " + i).getBytes(StandardCharsets.UTF_8)));
        }
        DataFile file = writeFile(table, schema, rows);
        Iterator<Row> it = table.read(file, schema);
        for (Row expected : rows) {
            assertThat(it.hasNext()).isTrue();
            Row actual = it.next();
            assertThat(actual.value("seq")).isEqualTo(expected.value("seq"));
            assertThat(actual.string("key")).isEqualTo(expected.string("key"));
            assertThat(actual.bytes("value")).isEqualTo(expected.bytes("value"));
        }
        assertThat(it.hasNext()).isFalse();
    }

    @Test
    void anIteratorClosedEarlyReleasesTheFile(@TempDir Path dir) throws Exception {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(ALL_TYPES);
        DataFile file = writeFile(table, ALL_TYPES, List.of(row(0), row(1)));
        Iterator<Row> it = table.read(file, ALL_TYPES);
        assertThat(it.next().value("id")).isEqualTo(0L);
        assertThat(it).isInstanceOf(AutoCloseable.class);
        ((AutoCloseable) it).close();
        assertThat(it.hasNext()).isFalse();
    }

    @Test
    void relativeLocalPathsBecomeAbsoluteFileUris(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("a/../b").toString(), Map.of());
        assertThat(table.location()).isEqualTo("file:" + dir.resolve("b").toAbsolutePath());
        DeltaTable relative = DeltaTable.open("target/some-table", Map.of());
        assertThat(relative.location()).startsWith("file:/").endsWith("/target/some-table");
        assertThat(relative.snapshot().version()).isEqualTo(-1);
    }

    @Test
    void hadoopUrisArePassedUntouchedAndCredentialsLeftOut() {
        assertThat(DeltaTable.open("abfss://lake@acct.dfs.core.windows.net/bronze/orders",
                Map.of("fs.azure.account.key.acct.dfs.core.windows.net",
                        "c2VjcmV0LWFjY291bnQta2V5LXZhbHVlLWZvci10ZXN0cy1vbmx5LTY0LWJ5dGVzLWxvbmctMDEyMzQ1Njc4OQ=="))
                .location())
                .isEqualTo("abfss://lake@acct.dfs.core.windows.net/bronze/orders");
        assertThat(DeltaTable.open("s3a://AKIDEXAMPLE:wJalrXUtnFEMI@bucket/tables/t", Map.of()).location())
                .isEqualTo("s3a://bucket/tables/t")
                .doesNotContain("wJalrXUtnFEMI");
    }

    @Test
    void emptyFilesAndAllNullColumnsWork(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(ALL_TYPES);
        DataFile empty = writeFile(table, ALL_TYPES, List.of());
        assertThat(empty.rowCount()).isZero();
        assertThat(empty.minValues()).isEmpty();
        DataFile nulls = writeFile(table, ALL_TYPES, List.of(row(4), row(9)));
        table.newCommit().add(empty).add(nulls).commit("WRITE");
        assertThat(readAll(table, empty, ALL_TYPES)).isEmpty();
        assertThat(readAll(table, nulls, ALL_TYPES)).containsExactly(row(4), row(9));
        assertThat(KernelReader.rows(table.location())).hasSize(2)
                .allSatisfy(r -> assertThat(r.get("name")).isNull());
        assertThat(KernelReader.rows(dir.toString())).as("a plain local path works too").hasSize(2);
        assertThat(Arrays.asList(nulls.minValues().keySet().toArray())).containsExactly("id");
        assertThat(Stream.of("name", "ts", "amount", "payload", "active"))
                .allSatisfy(c -> assertThat(nulls.nullCounts()).containsEntry(c, 2L));
    }
}
