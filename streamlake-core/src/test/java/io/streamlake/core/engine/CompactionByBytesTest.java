package io.streamlake.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.delta.BronzeFileWriter;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction picks and cuts files by bytes as well as rows: files of few large events are not
 * "small" by their row count alone, and a rewrite's input and output stay near the target bytes.
 */
class CompactionByBytesTest {
    private static final int VALUE = 256 << 10;

    private static byte[] value(int n) {
        byte[] b = new byte[VALUE];
        new Random(n).nextBytes(b); // incompressible: a file's size on disk is its values'
        return b;
    }

    @Test
    void runsAndRewrittenFilesAreBoundedByBytes(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("bronze").toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        SourcePartition p = new SourcePartition("big", 0);
        int n = 0;
        for (int file = 0; file < 12; file++) { // 12 files of 4 events, about 1 MiB each
            PendingCommit commit = table.newCommit();
            try (BronzeFileWriter w = table.newBronzeFile(Instant.EPOCH)) {
                for (int i = 0; i < 4; i++, n++) {
                    w.write(new SourceRecord(p, n, null, value(n), Map.of(), Instant.EPOCH));
                }
                commit.add(w.finish());
            }
            commit.commit("STREAMING UPDATE");
        }
        // by rows (a target of 1,000) all 12 files are small and make one file of 12 MiB
        long targetBytes = 4L << 20;
        assertThat(new Compactor(table, BronzeLayout.SCHEMA, 1_000, targetBytes, 2, List.of()).compactIfWorthIt())
                .isEqualTo(12);
        List<DataFile> files = table.snapshot().files();
        assertThat(files).hasSizeBetween(3, 6);
        assertThat(files).allSatisfy(f -> assertThat(f.sizeBytes()).isLessThanOrEqualTo(targetBytes * 3 / 2));

        // the rewritten files are not small any more: nothing to do
        assertThat(new Compactor(table, BronzeLayout.SCHEMA, 1_000, targetBytes, 2, List.of()).compactIfWorthIt())
                .isZero();

        // every event once, in order, as Delta Kernel reads them
        List<Map<String, Object>> rows = KernelReader.rows(table.location());
        assertThat(rows).hasSize(48);
        for (int i = 0; i < 48; i++) {
            Map<String, Object> row = rows.get(i);
            int position = ((Number) row.get(BronzeLayout.POSITION)).intValue();
            assertThat(position).isEqualTo(i);
            assertThat(Arrays.equals((byte[]) row.get(BronzeLayout.VALUE), value(i))).as("value %d", i).isTrue();
        }
    }
}
