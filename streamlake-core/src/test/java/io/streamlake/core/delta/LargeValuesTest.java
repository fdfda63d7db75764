package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large values through the writers: row groups and pages are cut by bytes, whatever the row count,
 * and every value reads back. Before, pages were looked at every 100 rows (1 MB values made 100 MB
 * pages, and compressor buffers of that size) and a row of the row path every 1,000 rows.
 */
class LargeValuesTest {
    private static final int VALUE = 512 << 10;
    private static final long ROW_GROUP = 2L << 20;
    private static final Schema SILVER = Schema.builder().required("id", DataType.LONG)
            .optional("blob", DataType.STRING).build();

    /** Distinct values that do not compress, so that sizes on disk say what was buffered. */
    static byte[] value(int n) {
        byte[] b = new byte[VALUE];
        new Random(n).nextBytes(b);
        return b;
    }

    private static String text(int n) {
        char[] c = new char[VALUE];
        Random r = new Random(n);
        for (int i = 0; i < c.length; i++) {
            c[i] = (char) ('a' + r.nextInt(26));
        }
        return new String(c);
    }

    @Test
    void theBronzeWriterCutsRowGroupsAndPagesByBytes(@TempDir Path dir) throws IOException {
        DeltaTable table = DeltaTable.open(dir.resolve("bronze").toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        SourcePartition p = new SourcePartition("big", 0);
        DataFile file;
        try (BronzeFileWriter w = new BronzeFileWriter(table, Instant.EPOCH, ROW_GROUP)) {
            for (int i = 0; i < 24; i++) {
                w.write(new SourceRecord(p, i, null, value(i), Map.of(), Instant.EPOCH));
            }
            file = w.finish();
        }
        Path parquet = dir.resolve("bronze").resolve(file.path());
        assertBoundedByBytes(parquet, "value");
        List<Object> values = ParquetColumns.read(new org.apache.hadoop.fs.Path(parquet.toUri()), "value");
        assertThat(values).hasSize(24);
        for (int i = 0; i < 24; i++) {
            assertThat((byte[]) values.get(i)).as("value %d", i).isEqualTo(value(i));
        }
        assertThat(KernelReader.rows(table.location())).isEmpty(); // no commit yet: nothing to see
    }

    @Test
    void theRowWriterOfSilverAndCompactionCutsRowGroupsAndPagesByBytes(@TempDir Path dir) throws IOException {
        DeltaTable table = DeltaTable.open(dir.resolve("silver").toString(), Map.of());
        table.create(SILVER);
        DataFile file;
        try (DeltaFileWriter w = new DeltaFileWriter(table, SILVER, Map.of(),
                ParquetColumnFile.Limits.rowGroupBytes(ROW_GROUP))) {
            for (int i = 0; i < 24; i++) {
                w.write(Row.of(SILVER, (long) i, text(i)));
            }
            file = w.finish();
        }
        table.newCommit().add(file).commit("WRITE");
        assertBoundedByBytes(dir.resolve("silver").resolve(file.path()), "blob");
        List<Map<String, Object>> rows = KernelReader.rows(table.location());
        assertThat(rows).hasSize(24);
        for (Map<String, Object> row : rows) {
            int id = ((Number) row.get("id")).intValue();
            assertThat(row.get("blob")).as("row %d", id).isEqualTo(text(id));
        }
    }

    @Test
    void rowGroupsFollowTheHeapByDefault() {
        assertThat(ParquetColumnFile.Limits.DEFAULT.rowGroupBytes())
                .isEqualTo(io.streamlake.core.util.MemoryBudget.JVM.rowGroupBytes());
        assertThat(io.streamlake.core.util.MemoryBudget.of(256L << 20).rowGroupBytes()).isEqualTo(8L << 20);
        assertThat(io.streamlake.core.util.MemoryBudget.of(64L << 30).rowGroupBytes()).isEqualTo(128L << 20);
    }

    /** Several row groups of about ROW_GROUP bytes each, and pages of about Parquet's 1 MiB at most. */
    private static void assertBoundedByBytes(Path parquet, String column) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(parquet.toUri()), new Configuration()))) {
            List<BlockMetaData> groups = reader.getFooter().getBlocks();
            assertThat(groups).hasSizeGreaterThanOrEqualTo(4);
            for (BlockMetaData g : groups) {
                // a row group is looked at after each large value: at most one value past its bound
                assertThat(g.getTotalByteSize()).as("row group bytes").isLessThanOrEqualTo(ROW_GROUP + VALUE + 4096);
            }
            ColumnDescriptor descriptor = reader.getFileMetaData().getSchema().getColumns().stream()
                    .filter(d -> Arrays.asList(d.getPath()).equals(List.of(column))).findFirst().orElseThrow();
            List<Integer> pageSizes = new ArrayList<>();
            PageReadStore group;
            while ((group = reader.readNextRowGroup()) != null) {
                PageReader pages = group.getPageReader(descriptor);
                DataPage page;
                while ((page = pages.readPage()) != null) {
                    pageSizes.add(page.getUncompressedSize());
                }
            }
            assertThat(pageSizes).hasSizeGreaterThanOrEqualTo(12).allSatisfy(
                    size -> assertThat(size).isLessThanOrEqualTo((1 << 20) + VALUE / 2));
        }
    }
}
