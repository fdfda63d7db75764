package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFileWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local commits are create-if-absent across processes, not only within one JVM. */
class LocalLinkLogStoreTest {
    private static final Schema SCHEMA = Schema.builder().required("id", DataType.LONG).build();

    @Test
    void aSecondWriteOfTheSameVersionFailsAndLeavesTheFirst(@TempDir Path dir) throws Exception {
        LocalLinkLogStore store = new LocalLinkLogStore(new Configuration());
        org.apache.hadoop.fs.Path commit = new org.apache.hadoop.fs.Path(dir.resolve("_delta_log/00.json").toUri());
        store.write(commit, List.of("{\"a\":1}").iterator(), false, new Configuration());
        assertThatThrownBy(() -> store.write(commit, List.of("{\"b\":2}").iterator(), false, new Configuration()))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(dir.resolve("_delta_log/00.json"))).isEqualTo("{\"a\":1}\n");
        try (var files = Files.list(dir.resolve("_delta_log"))) {
            assertThat(files).hasSize(1); // no temporary file left behind
        }
    }

    /**
     * A folder read while commits are created is no snapshot: a name created during the read may be
     * left out while a later one is not, and delta-standalone then refused the log ("Versions ... are
     * not contiguous"; a kill storm of four instances met it at version 1725). Listings taken while a
     * writer commits, on more threads than cores, must each hold every commit up to their last.
     */
    @Test
    void aListingTakenWhileCommitsAreCreatedHoldsEveryCommitUpToItsLast(@TempDir Path dir) throws Exception {
        Configuration conf = new Configuration();
        LocalLinkLogStore store = new LocalLinkLogStore(conf);
        java.nio.file.Path log = Files.createDirectories(dir.resolve("_delta_log"));
        org.apache.hadoop.fs.Path from = new org.apache.hadoop.fs.Path(log.resolve(commitName(0)).toUri());
        int commits = 4_000;
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ConcurrentLinkedQueue<String> gaps = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicLong listings = new java.util.concurrent.atomic.AtomicLong();
        List<Thread> listers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread lister = new Thread(() -> {
                try {
                    while (!done.get()) {
                        long expected = 0;
                        for (var it = store.listFrom(from, conf); it.hasNext();) {
                            String name = it.next().getPath().getName();
                            if (name.endsWith(".json")) {
                                long v = Long.parseLong(name.substring(0, 20));
                                if (v != expected) {
                                    gaps.add("expected " + expected + ", listed " + name);
                                }
                                expected = v + 1;
                            }
                        }
                        listings.incrementAndGet();
                    }
                } catch (java.io.IOException e) {
                    gaps.add(e.toString());
                }
            });
            lister.start();
            listers.add(lister);
        }
        try {
            for (int v = 0; v < commits; v++) {
                store.write(new org.apache.hadoop.fs.Path(log.resolve(commitName(v)).toUri()),
                        List.of("{\"commitInfo\":{}}").iterator(), false, conf);
            }
        } finally {
            done.set(true);
            for (Thread t : listers) {
                t.join();
            }
        }
        assertThat(listings.get()).isPositive();
        assertThat(gaps).isEmpty();
    }

    @Test
    void aGapBeforeACheckpointIsACleanedLogsAndAnyOtherIsAMissedCommitThatASecondListingFillsOrCuts() {
        assertThat(LocalLinkLogStore.afterAMissedCommit(List.of(commitName(3), commitName(4), commitName(5))))
                .isEqualTo(-1);
        assertThat(LocalLinkLogStore.afterAMissedCommit(List.of(commitName(3), commitName(5)))).isEqualTo(1);
        // a log cleanup halfway: the JSON before checkpoint 10 partly gone, the checkpoint kept
        assertThat(LocalLinkLogStore.afterAMissedCommit(List.of(commitName(3), commitName(4),
                "00000000000000000010.checkpoint.parquet", commitName(10), commitName(11), "_last_checkpoint")))
                .isEqualTo(-1);
        assertThat(LocalLinkLogStore.afterAMissedCommit(List.of(commitName(3),
                "00000000000000000010.checkpoint.0000000001.0000000002.parquet",
                "00000000000000000010.checkpoint.0000000002.0000000002.parquet", commitName(10)))).isEqualTo(-1);
        // a checkpoint of another version does not explain the gap
        assertThat(LocalLinkLogStore.afterAMissedCommit(List.of(commitName(3),
                "00000000000000000004.checkpoint.parquet", commitName(5)))).isEqualTo(2);
        assertThat(LocalLinkLogStore.afterAMissedCommit(List.of("00000000000000000007.checkpoint.parquet",
                commitName(8)))).isEqualTo(-1);
        assertThat(LocalLinkLogStore.afterAMissedCommit(List.of())).isEqualTo(-1);

        // the second listing holds what the first missed; whatever both miss is cut, with all after it
        assertThat(LocalLinkLogStore.consistent(List.of(commitName(1), commitName(3)),
                List.of(commitName(1), commitName(2), commitName(3), commitName(4))))
                .containsExactly(commitName(1), commitName(2), commitName(3), commitName(4));
        assertThat(LocalLinkLogStore.consistent(List.of(commitName(1), commitName(3), "_last_checkpoint"),
                List.of(commitName(1), commitName(2), commitName(3), commitName(5),
                        "00000000000000000006.checkpoint.parquet", commitName(6))))
                .containsExactly(commitName(1), commitName(2), commitName(3), "_last_checkpoint");
    }

    private static String commitName(long version) {
        return String.format("%020d.json", version);
    }

    @Test
    void twoProcessesCommittingToOneTableLoseNoCommit(@TempDir Path dir) throws Exception {
        DeltaTable.open(dir.toString(), Map.of()).create(SCHEMA);
        List<Process> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            writers.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), Writer.class.getName(), dir.toString(), Integer.toString(w))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("writer-" + w + ".log").toFile()).start());
        }
        for (Process p : writers) {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("writer exit code").isZero();
        }
        List<java.util.Map<String, Object>> rows = KernelReader.rows(dir.toString());
        assertThat(rows).hasSize(2 * Writer.COMMITS);
        assertThat(rows.stream().map(r -> r.get("id")).distinct()).hasSize(2 * Writer.COMMITS);
    }

    /** A separate process that appends {@link #COMMITS} one-row commits. */
    public static final class Writer {
        static final int COMMITS = 15;

        public static void main(String[] args) {
            DeltaTable table = DeltaTable.open(args[0], Map.of());
            long base = Long.parseLong(args[1]) * 1000;
            for (int i = 0; i < COMMITS; i++) {
                try (DataFileWriter w = table.newDataFile(SCHEMA)) {
                    w.write(Row.of(SCHEMA, base + i));
                    table.newCommit().add(w.finish()).commit("WRITE");
                }
            }
        }
    }
}
