package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.standalone.DeltaLog;
import io.delta.standalone.Operation;
import io.delta.standalone.OptimisticTransaction;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.TableCommit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints written off the commit path: still written at the interval, never by the committing
 * thread, harmless when the work dies halfway, and correct under eight concurrent committers; every
 * table read back by Delta Kernel.
 */
class BackgroundCheckpointsTest {
    static final Schema SCHEMA = Schema.builder().required("id", DataType.LONG).build();

    /**
     * A local log store that records which thread wrote {@code _last_checkpoint}, and can fail that
     * write once, as a crash between the checkpoint file and its pointer would leave the log.
     */
    public static final class WatchedLogStore extends io.delta.storage.HadoopFileSystemLogStore {
        static final Map<String, String> OPTIONS =
                Map.of("delta.logStore.file.impl", WatchedLogStore.class.getName());
        /** Writers of {@code _last_checkpoint}, by thread name; tests read it after awaitCheckpoints. */
        static final Set<String> POINTER_WRITERS = ConcurrentHashMap.newKeySet();
        /** Table folders whose next pointer write fails; set by the test thread, read by the worker. */
        static final Set<String> FAIL_NEXT_POINTER = ConcurrentHashMap.newKeySet();

        private final LocalLinkLogStore local;

        public WatchedLogStore(Configuration conf) {
            super(conf);
            local = new LocalLinkLogStore(conf);
        }

        @Override
        public void write(org.apache.hadoop.fs.Path path, Iterator<String> actions, Boolean overwrite,
                Configuration conf) throws IOException {
            if (path.getName().equals("_last_checkpoint")) {
                POINTER_WRITERS.add(Thread.currentThread().getName());
                if (FAIL_NEXT_POINTER.remove(path.getParent().getParent().toUri().getPath())) {
                    throw new IOException("simulated crash before _last_checkpoint");
                }
            }
            local.write(path, actions, overwrite, conf);
        }

        @Override
        public Boolean isPartialWriteVisible(org.apache.hadoop.fs.Path path, Configuration conf) {
            return true;
        }
    }

    @Test
    void checkpointsAreWrittenAtTheIntervalOnTheBackgroundThreadAndKernelReadsThem(@TempDir Path dir)
            throws IOException {
        Path at = dir.resolve("t");
        DeltaTable table = watched(at);
        appendAll(table, 0, 25);

        assertThat(checkpointVersions(at)).contains(20L).allMatch(v -> v % 10 == 0);
        assertThat(lastCheckpoint(at)).contains("\"version\":20");
        assertThat(WatchedLogStore.POINTER_WRITERS).containsOnly("streamlake-checkpoint");
        assertThat(KernelReader.version(at.toString())).isEqualTo(25);
        assertThat(ids(KernelReader.rows(at.toString()))).hasSize(25 * 3);
        assertThat(KernelReader.transaction(at.toString(), "app")).contains(24L);
    }

    @Test
    void aCheckpointThatDiesHalfwayLeavesAReadableTable(@TempDir Path dir) throws IOException {
        Path at = dir.resolve("t");
        DeltaTable table = watched(at);
        appendAll(table, 0, 12);
        Path log = at.resolve("_delta_log");
        // A writer killed while writing the checkpoint of 20 leaves half a file under a temporary name...
        byte[] ten = Files.readAllBytes(log.resolve(String.format("%020d.checkpoint.parquet", 10)));
        Path partial = log.resolve(String.format(".%020d.checkpoint.parquet.%s.tmp", 20, "dead-writer"));
        Files.write(partial, java.util.Arrays.copyOf(ten, ten.length / 2));
        // ...and one killed after the checkpoint of 20 but before its pointer leaves _last_checkpoint at 10.
        WatchedLogStore.FAIL_NEXT_POINTER.add(at.toUri().getPath().replaceAll("/$", ""));
        appendAll(table, 12, 23);

        assertThat(lastCheckpoint(at)).contains("\"version\":10");
        assertThat(checkpointVersions(at)).contains(10L, 20L);
        assertThat(KernelReader.version(at.toString())).isEqualTo(23);
        assertThat(ids(KernelReader.rows(at.toString()))).hasSize(23 * 3);
        DeltaTable reopened = DeltaTable.open(at.toString(), Map.of());
        assertThat(reopened.snapshot().files()).hasSize(23);
        assertThat(reopened.snapshot().transaction("app")).hasValue(22);

        // The next checkpoint moves the pointer on; cleanup takes the dead writer's file once it is stale.
        Files.setLastModifiedTime(partial, FileTime.from(Instant.now().minusSeconds(7200)));
        setLogRetention(at, "interval 1 hours");
        appendAll(table, 23, 30);
        assertThat(lastCheckpoint(at)).contains("\"version\":30");
        assertThat(partial).doesNotExist();
        assertThat(KernelReader.version(at.toString())).isEqualTo(31);
    }

    @Test
    void eightThreadsCommittingAtOnceReadBackExactlyWithKernel(@TempDir Path dir) throws Exception {
        Path at = dir.resolve("t");
        DeltaTable.open(at.toString(), Map.of()).create(SCHEMA);
        int threads = 8;
        int commitsEach = 15;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                // One table object per writer thread, as the SPI asks; all share the table's checkpointer.
                DeltaTable table = DeltaTable.open(at.toString(), Map.of());
                start.await();
                for (int i = 0; i < commitsEach; i++) {
                    while (true) {
                        try {
                            append(table, thread * 1000 + i, "writer-" + thread, i);
                            break;
                        } catch (CommitConflictException e) {
                            // another writer won the version: this commit wrote nothing, so do it again
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        DeltaTable table = DeltaTable.open(at.toString(), Map.of());
        table.awaitCheckpoints();

        long latest = threads * commitsEach;
        assertThat(KernelReader.version(at.toString())).isEqualTo(latest);
        List<Long> expected = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < commitsEach; i++) {
                for (int r = 0; r < 3; r++) {
                    expected.add((t * 1000L + i) * 3 + r);
                }
            }
            assertThat(KernelReader.transaction(at.toString(), "writer-" + t)).contains((long) commitsEach - 1);
        }
        assertThat(ids(KernelReader.rows(at.toString()))).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(checkpointVersions(at)).contains(latest / 10 * 10).allMatch(v -> v % 10 == 0);
    }

    @Test
    void everyVersionTheHistoryListsReadsWithKernelAfterCheckpointsAndCleanup(@TempDir Path dir) throws Exception {
        Path at = dir.resolve("t");
        DeltaTable table = DeltaTable.open(at.toString(), Map.of());
        table.create(SCHEMA);
        setLogRetention(at, "interval 1 seconds");
        int commits = 0;
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 24; i++) {
                append(table, commits, "app", commits);
                commits++;
            }
            table.awaitCheckpoints();
            // the log's files outlive the retention of one second, so the next checkpoints clean them up
            Thread.sleep(1100);
        }
        table.awaitCheckpoints();

        long latest = table.snapshot().version();
        List<TableCommit> history = table.history(0, latest);
        assertThat(history.get(0).version()).as("cleanup ran").isGreaterThan(0);
        assertThat(history.get(history.size() - 1).version()).isEqualTo(latest);
        assertThat(jsonVersions(at)).containsExactlyElementsOf(history.stream().map(TableCommit::version).toList());
        for (TableCommit c : history) {
            // version 1 set the retention; data commits from version 2 add three rows each
            assertThat(KernelReader.rowsAt(at.toString(), c.version())).as("version %d", c.version())
                    .hasSize((int) Math.max(0, c.version() - 1) * 3);
        }
    }

    // ---- helpers, shared with LogCleanupTest ----

    private static DeltaTable watched(Path at) {
        DeltaTable table = DeltaTable.open(at.toString(), WatchedLogStore.OPTIONS);
        table.create(SCHEMA);
        return table;
    }

    /** Appends {@code from} to {@code to - 1}, marker "app" at each, then waits for the checkpoints. */
    private static void appendAll(DeltaTable table, int from, int to) {
        for (int i = from; i < to; i++) {
            append(table, i, "app", i);
        }
        table.awaitCheckpoints();
    }

    /** One commit of one file of three rows, ids {@code 3n..3n+2}, moving the marker to {@code marker}. */
    static long append(DeltaTable table, long n, String appId, long marker) {
        DataFile file;
        try (DataFileWriter w = table.newDataFile(SCHEMA)) {
            for (int r = 0; r < 3; r++) {
                w.write(Row.of(SCHEMA, n * 3 + r));
            }
            file = w.finish();
        }
        return table.newCommit().add(file).setTransaction(appId, marker).commit("STREAMING UPDATE");
    }

    /** Sets the table's log retention through delta-standalone (StreamLake refuses {@code delta.} properties). */
    static void setLogRetention(Path at, String interval) {
        DeltaLog log = DeltaLog.forTable(new Configuration(), at.toString());
        OptimisticTransaction txn = log.startTransaction();
        Map<String, String> conf = new HashMap<>(txn.metadata().getConfiguration());
        conf.put("delta.logRetentionDuration", interval);
        txn.updateMetadata(txn.metadata().copyBuilder().configuration(conf).build());
        txn.commit(List.of(), new Operation(Operation.Name.SET_TABLE_PROPERTIES), "test");
    }

    static List<Long> checkpointVersions(Path table) {
        return versions(table, ".checkpoint.parquet");
    }

    static List<Long> jsonVersions(Path table) {
        return versions(table, ".json");
    }

    private static List<Long> versions(Path table, String suffix) {
        try (Stream<Path> files = Files.list(table.resolve("_delta_log"))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(suffix) && !n.startsWith("."))
                    .map(n -> Long.parseLong(n.substring(0, 20)))
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String lastCheckpoint(Path table) throws IOException {
        return Files.readString(table.resolve("_delta_log").resolve("_last_checkpoint"));
    }

    static List<Long> ids(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> (Long) r.get("id")).toList();
    }
}
