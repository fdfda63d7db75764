package io.streamlake.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.delta.BronzeFileWriter;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.schema.Row;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bronze compaction keeps arrival order: a table written as the engine writes it (batches of eight
 * slices, each a contiguous run of records from several partitions, in one commit), past a Delta
 * checkpoint, is compacted, and every source partition's positions still increase within every file
 * and from file to file in the table's file order. delta-standalone lists files in no defined order,
 * so a compactor that trusted it combined them out of order.
 */
class BronzeCompactionOrderTest {
    private static final int PARTITIONS = 5;
    private static final int SLICES = 8;

    @Test
    void compactionCombinesFilesInCommitThenSliceOrder(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("bronze").toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        Random random = new Random(15);
        long[] next = new long[PARTITIONS];
        int total = 0;
        for (int batch = 0; batch < 14; batch++) { // a checkpoint at version 10 reorders the listing
            List<SourceRecord> records = new ArrayList<>();
            int size = 80 + random.nextInt(80);
            for (int i = 0; i < size; i++) {
                int p = random.nextInt(PARTITIONS);
                records.add(record(p, next[p]));
                next[p] += 1 + random.nextInt(3); // offsets may skip, as Kafka's do
            }
            PendingCommit commit = table.newCommit();
            for (int s = 0; s < SLICES; s++) {
                try (BronzeFileWriter w = table.newBronzeFile(Instant.now())) {
                    records.subList(size * s / SLICES, size * (s + 1) / SLICES).forEach(w::write);
                    commit.add(w.finish());
                }
            }
            commit.commit("STREAMING UPDATE");
            total += size;
        }
        assertArrivalOrder(table, total);
        int filesBefore = table.snapshot().files().size();

        // Small runs, several outputs per run: each output must land in its run's place.
        Compactor compactor = new Compactor(table, BronzeLayout.SCHEMA, 60, 4, List.of());
        assertThat(compactor.compactIfWorthIt()).isPositive();
        assertThat(table.snapshot().files().size()).isLessThan(filesBefore);
        assertArrivalOrder(table, total);

        // Again, over files that are themselves compacted ones: places nest.
        new Compactor(table, BronzeLayout.SCHEMA, 400, 2, List.of()).compactIfWorthIt();
        assertArrivalOrder(table, total);
        // Delta Kernel, an independent reader, sees the same rows.
        assertThat(KernelReader.rows(table.location())).hasSize(total);
    }

    private static SourceRecord record(int partition, long position) {
        return new SourceRecord(new SourcePartition("orders", partition), position,
                ("k" + position).getBytes(StandardCharsets.UTF_8),
                ("{\"p\":" + partition + ",\"n\":" + position + "}").getBytes(StandardCharsets.UTF_8), Map.of(),
                Instant.ofEpochSecond(1_700_000_000L + position), Map.of());
    }

    /** Reads every file in the table's order and checks each partition's positions only increase. */
    private static void assertArrivalOrder(DeltaTable table, int expectedRows) {
        Map<Integer, Long> last = new HashMap<>();
        int rows = 0;
        for (DataFile f : table.snapshot().files()) {
            Iterator<Row> it = table.read(f, BronzeLayout.SCHEMA);
            while (it.hasNext()) {
                Row r = it.next();
                int p = r.intValue(BronzeLayout.PARTITION);
                long pos = r.longValue(BronzeLayout.POSITION);
                Long before = last.put(p, pos);
                if (before != null) {
                    assertThat(pos).as("partition %d in file %s", p, f.path()).isGreaterThan(before);
                }
                rows++;
            }
        }
        assertThat(rows).isEqualTo(expectedRows);
    }
}
