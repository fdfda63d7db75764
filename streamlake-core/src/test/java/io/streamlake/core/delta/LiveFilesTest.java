package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.delta.standalone.DeltaLog;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PendingCommit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A version's live files brought up to date from an earlier listing ({@link LiveFiles}) against
 * delta-standalone's replay of the whole state and Delta Kernel's listing, after every one of a run
 * of generated commits: appends, merges that replace files, compactions that keep the file order,
 * property changes (which list by replay), checkpoints in between, and older versions asked for
 * after newer ones.
 */
class LiveFilesTest {

    private static final Schema SCHEMA = Schema.builder().required("id", DataType.STRING)
            .optional("n", DataType.LONG).build();

    /** The tables of the test, whose background checkpoints must end before its folder is deleted. */
    private final List<DeltaTable> tables = new ArrayList<>();

    private DeltaTable open(Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        tables.add(table);
        return table;
    }

    @AfterEach
    void awaitCheckpoints() {
        // Every tenth commit asks for a checkpoint on a background thread; one still writing when
        // the temporary folder is deleted made the deletion fail (seen once, beside another build).
        tables.forEach(DeltaTable::awaitCheckpoints);
    }

    private static DataFile file(DeltaTable table, Random r) {
        try (DataFileWriter w = table.newDataFile(SCHEMA)) {
            for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
                w.write(Row.of(SCHEMA, "k" + r.nextInt(1_000), r.nextBoolean() ? null : r.nextLong()));
            }
            return w.finish();
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void listingsFromTheLastOneEqualTheReplayAtEveryVersion(long seed, @TempDir Path dir) {
        Random r = new Random(seed);
        DeltaTable table = open(dir);
        table.create(SCHEMA);
        List<DataFile> live = new ArrayList<>();
        List<Long> versions = new ArrayList<>();
        for (int c = 0; c < 60; c++) {
            PendingCommit commit = table.newCommit();
            int kind = r.nextInt(10);
            if (live.size() > 2 && kind < 4) { // a merge: some files replaced by others
                List<DataFile> removed = new ArrayList<>();
                for (int i = 0, n = 1 + r.nextInt(2); i < n; i++) {
                    removed.add(live.remove(r.nextInt(live.size())));
                }
                List<DataFile> added = List.of(file(table, r), file(table, r));
                removed.forEach(commit::remove);
                added.forEach(commit::add);
                live.addAll(added);
            } else if (live.size() > 3 && kind < 6) { // a compaction: a run of files joined in its place
                int from = r.nextInt(live.size() - 2);
                List<DataFile> joined = new ArrayList<>(live.subList(from, from + 2));
                DataFile combined = file(table, r);
                commit.rearrangeOnly().replace(joined, List.of(combined));
                live.removeAll(joined);
                live.add(from, combined);
            } else if (kind == 6) {
                commit.setProperties(Map.of("streamlake.test.round", String.valueOf(c)));
            } else {
                DataFile f = file(table, r);
                commit.add(f);
                live.add(f);
            }
            versions.add(commit.commit("WRITE"));
            assertListed(table, table.snapshot().version());
            if (r.nextInt(5) == 0) { // an older version, after a newer one was listed
                assertListed(table, versions.get(r.nextInt(versions.size())));
            }
        }
        assertThat(table.snapshot().files()).extracting(DataFile::path)
                .containsExactlyInAnyOrderElementsOf(live.stream().map(DataFile::path).toList());
        Set<String> kernel = KernelReader.scanFiles(table.location(), null).stream()
                .map(f -> Path.of(f.path()).getFileName().toString()).collect(Collectors.toSet());
        assertThat(kernel).isEqualTo(live.stream().map(DataFile::path).collect(Collectors.toSet()));
    }

    @Test
    void eightThreadsListingWhileATableCommitsEachGetTheReplaysFiles(@TempDir Path dir) throws Exception {
        Random r = new Random(17);
        DeltaTable table = open(dir);
        table.create(SCHEMA);
        List<DataFile> live = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int c = 0; c < 40; c++) {
                PendingCommit commit = table.newCommit();
                if (live.size() > 2 && r.nextBoolean()) {
                    commit.remove(live.remove(r.nextInt(live.size())));
                }
                DataFile f = file(table, r);
                live.add(f);
                long version = commit.add(f).commit("WRITE");
                // more threads than the machine's cores list versions at once, new and old: each
                // listing is right for its version, whichever listing it started from
                List<Future<?>> checks = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    long v = t % 2 == 0 ? version : Math.max(1, version - r.nextInt(5));
                    checks.add(pool.submit(() -> assertListed(table, v)));
                }
                for (Future<?> check : checks) {
                    check.get();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTableFarBehindOrRemovingWhatItNeverListedIsListedByReplay(@TempDir Path dir) throws Exception {
        Random r = new Random(9);
        DeltaTable table = open(dir);
        table.create(SCHEMA);
        DataFile first = file(table, r);
        table.newCommit().add(first).commit("WRITE");
        assertListed(table, table.snapshot().version());
        for (int c = 0; c <= LiveFiles.MAX_COMMITS; c++) {
            table.newCommit().add(file(table, r)).commit("WRITE");
        }
        assertListed(table, table.snapshot().version());
        // a remove of a path no listing holds (here the add's path written as an absolute URI, as
        // another writer might): the listing gives up and replays, and says what the replay says
        long next = table.snapshot().version() + 1;
        String remove = "{\"remove\":{\"path\":\"" + dir.resolve(first.path()).toUri()
                + "\",\"deletionTimestamp\":" + System.currentTimeMillis() + ",\"dataChange\":true}}\n";
        Files.writeString(dir.resolve("_delta_log").resolve(String.format("%020d.json", next)), remove);
        assertThat(table.snapshot().version()).isEqualTo(next);
        assertListed(table, next);
    }

    /** The table's listing of a version equals a fresh replay of it, file by file, in the same order. */
    private static void assertListed(DeltaTable table, long version) {
        DeltaLog log = table.log();
        var snapshot = table.snapshotAt(log, version);
        LiveFiles.Listing listed = table.liveFiles(snapshot);
        LiveFiles.Listing replayed = new LiveFiles(table).at(log, snapshot);
        assertThat(listed.version()).isEqualTo(version);
        assertThat(listed.files()).as("version %d", version).isEqualTo(replayed.files());
        assertThat(listed.adds()).extracting(a -> a.getPath()).isEqualTo(
                replayed.adds().stream().map(a -> a.getPath()).toList());
    }
}
