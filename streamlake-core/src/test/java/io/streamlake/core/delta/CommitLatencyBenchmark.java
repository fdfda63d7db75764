package io.streamlake.core.delta;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PendingCommit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Latency of the commit path alone: {@code N} commits of one small file each to a local table, with
 * a {@code setTransaction} marker as the pipeline writes, timed by phase. A program, not a test
 * (tests assert behaviour, never time); it prints percentiles per phase.
 *
 * <pre>
 * mvn -q -B -ntp -o -pl streamlake-api,streamlake-core test-compile
 * mvn -q -B -ntp -o -pl streamlake-core dependency:build-classpath -Dmdep.outputFile=/tmp/cp-commitpath.txt
 * java -cp streamlake-core/target/test-classes:streamlake-core/target/classes:streamlake-api/target/classes:$(cat /tmp/cp-commitpath.txt) \
 *     io.streamlake.core.delta.CommitLatencyBenchmark 1000
 * </pre>
 *
 * <p>Phases: {@code file} writes and finishes the Parquet file, {@code begin} is {@code newCommit()}
 * (delta-standalone's {@code startTransaction}, which refreshes the snapshot), {@code marker} is the
 * {@code setTransaction} marker read (the snapshot's state replay), {@code commit} writes the log
 * entry and whatever delta-standalone runs after it. Commits at a checkpoint version (a multiple of
 * ten) are also listed apart, since delta-standalone checkpoints and cleans the log inside them.
 */
public final class CommitLatencyBenchmark {
    private static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.LONG)
            .optional("payload", DataType.STRING)
            .build();

    private CommitLatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int commits = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int warmup = Math.min(50, commits / 10);
        Path dir = Files.createTempDirectory("commit-latency");
        try {
            run(dir.resolve("t"), commits, warmup);
        } finally {
            delete(dir);
        }
    }

    private static void run(Path at, int commits, int warmup) {
        DeltaTable table = DeltaTable.open(at.toString(), Map.of());
        table.create(SCHEMA);
        int measured = commits - warmup;
        long[] file = new long[measured];
        long[] begin = new long[measured];
        long[] marker = new long[measured];
        long[] commit = new long[measured];
        long[] total = new long[measured];
        long[] atInterval = new long[measured];
        long[] otherCommits = new long[measured];
        int intervalCount = 0;
        int otherCount = 0;
        for (int i = 0; i < commits; i++) {
            long t0 = System.nanoTime();
            DataFile f;
            try (DataFileWriter w = table.newDataFile(SCHEMA)) {
                for (int r = 0; r < 10; r++) {
                    w.write(Row.of(SCHEMA, (long) i * 10 + r, "event-" + r));
                }
                f = w.finish();
            }
            long t1 = System.nanoTime();
            PendingCommit c = table.newCommit();
            long t2 = System.nanoTime();
            c.add(f).setTransaction("bench/source/0", i);
            long t3 = System.nanoTime();
            long version = c.commit("STREAMING UPDATE");
            long t4 = System.nanoTime();
            if (i >= warmup) {
                int k = i - warmup;
                file[k] = t1 - t0;
                begin[k] = t2 - t1;
                marker[k] = t3 - t2;
                commit[k] = t4 - t3;
                total[k] = t4 - t0;
                if (version % 10 == 0) {
                    atInterval[intervalCount++] = t4 - t3;
                } else {
                    otherCommits[otherCount++] = t4 - t3;
                }
            }
        }
        long flushStart = System.nanoTime();
        table.awaitCheckpoints();
        long flush = System.nanoTime() - flushStart;
        System.out.printf(Locale.ROOT, "%d commits (%d warm-up not counted), ms per commit:%n", commits, warmup);
        print("file", file, measured);
        print("begin", begin, measured);
        print("marker", marker, measured);
        print("commit", commit, measured);
        print("  commit@10n", atInterval, intervalCount);
        print("  commit,other", otherCommits, otherCount);
        print("total", total, measured);
        System.out.printf(Locale.ROOT, "awaitCheckpoints at the end: %.1f ms%n", flush / 1e6);
        try (Stream<Path> log = Files.list(at.resolve("_delta_log"))) {
            System.out.println("log files: " + log.map(p -> p.getFileName().toString())
                    .filter(n -> !n.endsWith(".json")).sorted().toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void print(String phase, long[] nanos, int n) {
        long[] s = Arrays.copyOf(nanos, n);
        Arrays.sort(s);
        System.out.printf(Locale.ROOT, "%-14s n=%4d p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f%n", phase, n,
                pct(s, 50), pct(s, 90), pct(s, 99), n == 0 ? 0 : s[n - 1] / 1e6);
    }

    private static double pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, i)] / 1e6;
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
