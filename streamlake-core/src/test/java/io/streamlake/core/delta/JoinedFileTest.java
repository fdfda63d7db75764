package io.streamlake.core.delta;

import static io.streamlake.core.delta.BronzeFileWriterTest.records;
import static io.streamlake.core.delta.BronzeFileWriterTest.writeDirect;
import static io.streamlake.core.delta.BronzeFileWriterTest.writeRows;
import static io.streamlake.core.delta.DeltaTableRoundTripTest.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PendingCommit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Joining bronze files by copying their row groups (what bronze compaction does) must give the rows
 * of the files in the order given, value for value as an independent reader decodes them, with the
 * statistics of one file written from all of them, whatever the files' sizes and row groups.
 */
class JoinedFileTest {

    @RepeatedTest(4)
    void aJoinedFileHoldsEveryRowInOrderWithTheStatisticsOfOneFileOfThem(RepetitionInfo repetition,
            @TempDir Path dir) throws IOException {
        Random random = new Random(repetition.getCurrentRepetition() * 7919L);
        String location = dir.resolve("bronze").toString();
        DeltaTable table = DeltaTable.open(location, Map.of());
        table.create(BronzeLayout.SCHEMA);
        List<SourceRecord> records = new ArrayList<>(records(6_000));
        // arrival order is not the generator's: positions and times then run up and down across files
        java.util.Collections.shuffle(records, random);

        // files of 1 to 1,500 records, some in many small row groups, one written through the row path
        Map<String, List<SourceRecord>> byPath = new HashMap<>();
        PendingCommit commit = table.newCommit();
        for (int from = 0, n = 0; from < records.size(); n++) {
            int size = n == 0 ? 1 : Math.min(records.size() - from, 1 + random.nextInt(1_500));
            List<SourceRecord> chunk = records.subList(from, from + size);
            DataFile f = n == 2 ? writeRows(table, chunk)
                    : writeDirect(table, chunk, random.nextBoolean() ? 16 * 1024 : 128L << 20);
            byPath.put(f.path(), chunk);
            commit.add(f);
            from += size;
        }
        commit.commit("WRITE");
        // as compaction does: the files as the log lists them, statistics read back from it
        List<DataFile> files = table.snapshot().files();
        assertThat(files).hasSizeGreaterThan(4);

        DataFile joined = table.join(files, BronzeLayout.SCHEMA);
        assertThat(joined).isNotNull();
        List<SourceRecord> expected = files.stream().flatMap(f -> byPath.get(f.path()).stream()).toList();

        // the rows of the files, in the order given
        List<List<Object>> inputs = files.stream().flatMap(f -> readAll(table, f, BronzeLayout.SCHEMA).stream())
                .map(BronzeFileWriterTest::comparable).toList();
        List<List<Object>> actual = readAll(table, joined, BronzeLayout.SCHEMA).stream()
                .map(BronzeFileWriterTest::comparable).toList();
        assertThat(actual).hasSize(records.size()).isEqualTo(inputs);
        assertThat(joined.rowCount()).isEqualTo(records.size());

        // its row groups are the inputs' own, copied
        long groups = 0;
        for (DataFile f : files) {
            groups += rowGroups(table, f);
        }
        assertThat(rowGroups(table, joined)).isEqualTo(groups);

        // the table with the joined file in the inputs' place
        table.newCommit().rearrangeOnly().replace(files, List.of(joined)).commit("OPTIMIZE");
        assertThat(table.snapshot().files()).extracting(DataFile::path).containsExactly(joined.path());

        // statistics, as the log holds them (timestamps to the millisecond): those of one file written
        // from the same records into a table of its own
        DeltaTable reference = DeltaTable.open(dir.resolve("reference").toString(), Map.of());
        reference.create(BronzeLayout.SCHEMA);
        reference.newCommit().add(writeDirect(reference, expected, 128L << 20)).commit("WRITE");
        DataFile whole = reference.snapshot().files().get(0);
        DataFile logged = table.snapshot().files().get(0);
        assertThat(logged.rowCount()).isEqualTo(whole.rowCount());
        assertThat(logged.minValues()).isEqualTo(whole.minValues());
        assertThat(logged.maxValues()).isEqualTo(whole.maxValues());
        assertThat(logged.nullCounts()).isEqualTo(whole.nullCounts());

        // Delta Kernel reads the table: every value, in order
        List<Map<String, Object>> kernel = KernelReader.rows(location);
        assertThat(kernel).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            SourceRecord r = expected.get(i);
            Map<String, Object> row = kernel.get(i);
            assertThat((byte[]) row.get(BronzeLayout.KEY)).as("key %d", i).isEqualTo(r.key());
            assertThat((byte[]) row.get(BronzeLayout.VALUE)).as("value %d", i).isEqualTo(r.value());
            assertThat(row.get(BronzeLayout.SOURCE)).isEqualTo(r.partition().stream());
            assertThat(row.get(BronzeLayout.PARTITION)).isEqualTo(r.partition().id());
            assertThat(row.get(BronzeLayout.POSITION)).as("position %d", i).isEqualTo(r.position());
            assertThat(row.get(BronzeLayout.SOURCE_TIMESTAMP)).isEqualTo(r.timestamp().truncatedTo(ChronoUnit.MICROS));
            assertThat(hex(row.get(BronzeLayout.HEADERS))).as("headers %d", i).isEqualTo(hex(r.headers()));
            assertThat(row.get(BronzeLayout.METADATA)).as("metadata %d", i)
                    .isEqualTo(r.metadata().isEmpty() ? null : r.metadata());
        }
    }

    @Test
    void filesNotWrittenForTheSchemaOrOfTwoPartitionsAreNotJoinedAndNothingIsLeftBehind(@TempDir Path dir)
            throws IOException {
        Path root = dir.resolve("bronze");
        DeltaTable table = DeltaTable.open(root.toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        DataFile a = writeDirect(table, records(50), 128L << 20);
        DataFile b = writeDirect(table, records(70), 128L << 20);
        Schema other = Schema.of(Field.required("id", DataType.STRING));
        DataFile foreign;
        try (DataFileWriter w = table.newDataFile(other)) {
            w.write(Row.of(other, "x"));
            foreign = w.finish();
        }
        List<Path> before = parquetFiles(root);
        assertThat(before).hasSize(3);

        assertThat(table.join(List.of(a, foreign, b), BronzeLayout.SCHEMA)).isNull();
        assertThat(table.join(List.of(a, b), other)).isNull();
        DataFile elsewhere = new DataFile(b.path(), b.sizeBytes(), b.rowCount(), b.minValues(), b.maxValues(),
                b.nullCounts(), Map.of("day", "2026-12-04"));
        assertThat(table.join(List.of(a, elsewhere), BronzeLayout.SCHEMA)).isNull();
        assertThat(parquetFiles(root)).containsExactlyInAnyOrderElementsOf(before);

        DataFile joined = table.join(List.of(b, a), BronzeLayout.SCHEMA);
        assertThat(joined).isNotNull();
        assertThat(readAll(table, joined, BronzeLayout.SCHEMA).stream().map(BronzeFileWriterTest::comparable))
                .containsExactlyElementsOf(Stream.concat(readAll(table, b, BronzeLayout.SCHEMA).stream(),
                        readAll(table, a, BronzeLayout.SCHEMA).stream()).map(BronzeFileWriterTest::comparable)
                        .toList());
    }

    private static long rowGroups(DeltaTable table, DataFile f) throws IOException {
        try (ParquetFileReader footer = ParquetFileReader.open(
                HadoopInputFile.fromPath(table.resolve(f.path()), new Configuration()))) {
            return footer.getRowGroups().size();
        }
    }

    private static List<Path> parquetFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.toString().endsWith(".parquet")).sorted(Comparator.naturalOrder()).toList();
        }
    }

    /** Header values as text, so that maps of arrays compare by content. */
    private static Map<String, String> hex(Object headers) {
        Map<String, String> out = new HashMap<>();
        if (headers != null) {
            ((Map<?, ?>) headers).forEach((k, v) -> out.put((String) k,
                    v == null ? null : Arrays.toString((byte[]) v)));
        }
        return out;
    }
}
