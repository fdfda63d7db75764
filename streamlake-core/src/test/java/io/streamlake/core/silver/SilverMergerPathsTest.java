package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.util.Workers;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each merge path of {@link SilverMerger} on files in memory, for a key of one column and of two:
 * the file-by-file join of our own sorted files, the out-of-order file merged through a map, the
 * general path for overlapping files (a key spread over files another writer made) and files
 * without statistics, the key-range index's edges, and a partitioned table where a key moves.
 * Every test reads back every row and compares it with a model: a map of key to expected row,
 * updated as {@code latestBy("seq")} decides (a greater or equal sequence replaces, a tombstone
 * deletes).
 */
class SilverMergerPathsTest {

    /** The silver key's shape; ids stay below 100, so (tenant, id) sorts as id does. */
    enum Key {
        ONE_COLUMN(List.of("id")), TWO_COLUMNS(List.of("tenant", "id"));

        final List<String> columns;
        final Schema schema;

        Key(List<String> columns) {
            this.columns = columns;
            Schema.Builder b = Schema.builder();
            if (columns.size() == 2) {
                b.required("tenant", DataType.STRING);
            }
            this.schema = b.required("id", DataType.LONG).optional("seq", DataType.LONG)
                    .optional("v", DataType.STRING).optional("region", DataType.STRING).build();
        }

        Row row(long id, long seq, String v) {
            return row(id, seq, v, null);
        }

        Row row(long id, long seq, String v, @Nullable String region) {
            return withKey(id).set("seq", seq).set("v", v).set("region", region).build();
        }

        /** A tombstone: a row holding only the key. */
        Row tombstone(long id) {
            return withKey(id).build();
        }

        private Row.Builder withKey(long id) {
            Row.Builder b = Row.builder(schema).set("id", id);
            return columns.size() == 2 ? b.set("tenant", "t" + id / 10) : b;
        }
    }

    private Workers workers;

    @BeforeEach
    void startWorkers() {
        workers = new Workers(2, "merger-test");
    }

    @AfterEach
    void stopWorkers() {
        workers.close();
    }

    /** A silver table in memory, its current files, and the model of what it should hold. */
    private final class Lake {
        final Key key;
        final MemoryFiles table = new MemoryFiles();
        final SilverMerger merger;
        final List<DataFile> files = new ArrayList<>();
        /** Files written directly, standing for another writer's: not held to our order. */
        final Set<DataFile> foreign = new HashSet<>();
        final Map<Long, Row> model = new TreeMap<>();

        Lake(Key key, long targetFileRows, List<String> partitionColumns) {
            this.key = key;
            this.merger = new SilverMerger(table, SilverColumns.all(key.schema), key.columns,
                    MergeStrategies.latestBy("seq"), targetFileRows, partitionColumns, workers, 2);
        }

        Lake(Key key, long targetFileRows) {
            this(key, targetFileRows, List.of());
        }

        /** Adds a file written directly, in the row order given; a key's later row wins in the model. */
        DataFile hold(Row... rows) {
            return hold(table.file(key.schema, rows), rows);
        }

        DataFile hold(DataFile file, Row... rows) {
            files.add(file);
            foreign.add(file);
            for (Row r : rows) {
                model.put(r.longValue("id"), r);
            }
            return file;
        }

        SilverMerger.Result merge(Row... batch) {
            BitSet tombstones = new BitSet();
            for (int i = 0; i < batch.length; i++) {
                tombstones.set(i, batch[i].value("seq") == null);
            }
            SilverMerger.Result result = merger.merge(List.copyOf(files), List.of(batch), tombstones);
            assertThat(result.failed()).isEmpty();
            assertThat(files).containsAll(result.removed());
            files.removeAll(result.removed());
            files.addAll(result.added());
            for (int i = 0; i < batch.length; i++) {
                long id = batch[i].longValue("id");
                Row stored = model.get(id);
                if (tombstones.get(i)) {
                    model.remove(id);
                } else if (stored == null || batch[i].longValue("seq") >= stored.longValue("seq")) {
                    model.put(id, batch[i]);
                }
            }
            return result;
        }

        /** Reads back every row of every file: each key once, as the model says; our files sorted. */
        void check() {
            Map<Long, Row> read = new TreeMap<>();
            SilverKey silverKey = SilverKey.of(key.schema, key.columns);
            for (DataFile f : files) {
                List<Row> rows = table.rows(f);
                assertThat(f.rowCount()).isEqualTo(rows.size());
                for (int i = 0; i < rows.size(); i++) {
                    Row r = rows.get(i);
                    assertThat(read.put(r.longValue("id"), r)).as("key %s read twice", r).isNull();
                    if (!foreign.contains(f) && i > 0) {
                        assertThat(silverKey.compare(rows.get(i - 1), r)).as("file %s sorted", f.path()).isNegative();
                    }
                    String region = r.string("region");
                    assertThat(f.partitionValues()).isEqualTo(region == null ? Map.of() : Map.of("region", region));
                }
            }
            assertThat(read).isEqualTo(model);
        }
    }

    private static Row[] rows(Key key, long from, long to, long seq) {
        return LongStream.rangeClosed(from, to).mapToObj(id -> key.row(id, seq, "v" + id)).toArray(Row[]::new);
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void fileByFileJoinsOurSortedFiles(Key key) {
        Lake lake = new Lake(key, 4);
        List<Row> first = new ArrayList<>(List.of(rows(key, 30, 39, 1)));
        first.addAll(List.of(rows(key, 10, 19, 1)));
        SilverMerger.Result created = lake.merge(first.toArray(Row[]::new));
        assertThat(created.removed()).isEmpty();
        assertThat(created.added()).hasSize(5); // 20 rows cut evenly at about 4
        assertThat(created.rowsChanged()).isEqualTo(20);
        lake.check();

        SilverMerger.Result second = lake.merge(
                key.row(12, 2, "new"), // an update
                key.row(31, 0, "stale"), // older than silver's: no change
                key.tombstone(35), // a delete
                key.row(25, 1, "gap"), // a new key between files
                key.row(5, 1, "below"), // below every file
                key.row(99, 1, "above"), // above every file
                key.row(12, 3, "newer")); // the same key again in the batch, in arrival order
        assertThat(second.rowsChanged()).isEqualTo(5);
        lake.check();
        assertThat(lake.model.get(12L).string("v")).isEqualTo("newer");

        SilverMerger.Result stale = lake.merge(key.row(31, 0, "stale"), key.row(12, 3, "newer"));
        assertThat(stale.removed()).isEmpty();
        assertThat(stale.added()).isEmpty();
        lake.check();
    }

    /** Which file a key's merge rewrites, on our files A = [10, 19] and B = [30, 39]. */
    @ParameterizedTest
    @EnumSource(Key.class)
    void indexSendsEachKeyToItsFile(Key key) {
        Map<Long, String> owners = new TreeMap<>(Map.of(
                5L, "A", // below every file: the first file takes it
                10L, "A", // a file's min
                19L, "A", // a file's max
                25L, "A", // in the gap: the file on its left
                30L, "B", // the next file's min
                39L, "B", // the last file's max
                50L, "B")); // above every file
        for (Map.Entry<Long, String> e : owners.entrySet()) {
            Lake lake = new Lake(key, 100);
            DataFile a = lake.hold(rows(key, 10, 19, 1));
            DataFile b = lake.hold(rows(key, 30, 39, 1));
            SilverMerger.Result r = lake.merge(key.row(e.getKey(), 2, "x"));
            assertThat(r.removed()).as("key %s", e.getKey()).containsExactly(e.getValue().equals("A") ? a : b);
            assertThat(r.rowsChanged()).isEqualTo(1);
            lake.check();
        }
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void outOfOrderFileMergesThroughAMap(Key key) {
        Lake lake = new Lake(key, 100);
        // The join loads 15 for the batch, then meets 11 below it.
        DataFile unsorted =
                lake.hold(key.row(15, 1, "a"), key.row(11, 1, "b"), key.row(13, 1, "c"), key.row(12, 1, "d"));
        DataFile sorted = lake.hold(rows(key, 30, 32, 1));
        SilverMerger.Result r = lake.merge(
                key.row(13, 2, "update"), key.tombstone(11), key.row(14, 1, "insert"), key.row(20, 1, "gap"),
                key.row(15, 0, "stale"), key.row(31, 2, "sorted file"));
        assertThat(r.removed()).containsExactlyInAnyOrder(unsorted, sorted);
        assertThat(r.rowsChanged()).isEqualTo(5);
        lake.check();
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void outOfOrderFileFoundWhileCopyingUntouchedRows(Key key) {
        Lake lake = new Lake(key, 100);
        // Every batch key is above the file's rows: the join copies 15, then meets 11 below it.
        DataFile unsorted = lake.hold(key.row(15, 1, "a"), key.row(11, 1, "b"), key.row(13, 1, "c"));
        SilverMerger.Result r = lake.merge(key.row(20, 1, "above"), key.row(21, 1, "above"));
        assertThat(r.removed()).containsExactly(unsorted);
        assertThat(r.rowsChanged()).isEqualTo(2);
        lake.check();
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void outOfOrderFileFoundInsideAKeysRows(Key key) {
        Lake lake = new Lake(key, 100);
        // The join reaches 13, a batch key, and then meets 12 below it.
        DataFile unsorted = lake.hold(key.row(11, 1, "a"), key.row(13, 1, "b"), key.row(12, 1, "c"));
        SilverMerger.Result r = lake.merge(key.row(13, 2, "update"));
        assertThat(r.removed()).containsExactly(unsorted);
        lake.check();
        // What it wrote is ours, sorted: the next merge joins in one pass.
        lake.merge(key.row(12, 2, "again"));
        lake.check();
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void keySpreadOverTwoFilesIsWrittenWhole(Key key) {
        Lake lake = new Lake(key, 100);
        DataFile a = lake.hold(key.row(10, 1, "a"), key.row(11, 1, "a"), key.row(12, 1, "a"));
        DataFile b = lake.hold(key.row(12, 1, "b"), key.row(13, 1, "b"), key.row(14, 1, "b"));
        DataFile far = lake.hold(rows(key, 40, 42, 1));
        SilverMerger.Result r = lake.merge(key.row(12, 2, "both"));
        assertThat(r.removed()).containsExactlyInAnyOrder(a, b);
        assertThat(r.rowsChanged()).isEqualTo(1);
        lake.check();
        assertThat(lake.files).contains(far);
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void fileSharingAKeyWithARewrittenFileIsRewrittenToo(Key key) {
        Lake lake = new Lake(key, 100);
        // A chain: 12 is in A and B, 14 in B and C, and only A's key changes. The stale events for
        // 13 and 15 make the merge read B and C (a spread is seen only in files read); that A is
        // rewritten then pulls in B for 12, and B pulls in C for 14. Equal rows, so the model does
        // not depend on which copy the merge keeps.
        DataFile a = lake.hold(key.row(10, 1, "a"), key.row(11, 1, "a"), key.row(12, 1, "s"));
        DataFile b = lake.hold(key.row(12, 1, "s"), key.row(13, 1, "b"), key.row(14, 1, "s"));
        DataFile c = lake.hold(key.row(14, 1, "s"), key.row(15, 1, "c"));
        DataFile d = lake.hold(rows(key, 30, 31, 1));
        SilverMerger.Result r = lake.merge(key.row(10, 2, "update"), key.row(13, 0, "stale"), key.row(15, 0, "stale"));
        assertThat(r.removed()).containsExactlyInAnyOrder(a, b, c);
        assertThat(r.rowsChanged()).isEqualTo(1);
        assertThat(lake.files).contains(d);
        lake.check();
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void filesWithoutStatisticsAreReadForEveryKey(Key key) {
        Lake lake = new Lake(key, 100);
        lake.table.withoutStatistics();
        DataFile a = lake.hold(rows(key, 10, 19, 1));
        DataFile b = lake.hold(rows(key, 30, 39, 1));
        // 31 is found in b by reading it; 50 is new and goes to the first file without bounds.
        SilverMerger.Result r = lake.merge(key.row(31, 2, "update"), key.row(50, 1, "new"));
        assertThat(r.removed()).containsExactlyInAnyOrder(a, b);
        lake.check();
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void fileWithoutStatisticsBesideBoundedOnes(Key key) {
        Lake lake = new Lake(key, 100);
        DataFile a = lake.hold(rows(key, 10, 19, 1));
        lake.table.withoutStatistics();
        DataFile open = lake.hold(rows(key, 30, 39, 1));
        // 12 lives in a; the open file is read but not rewritten. 50 goes to the last bounded file.
        SilverMerger.Result r = lake.merge(key.row(12, 2, "update"), key.row(50, 1, "new"));
        assertThat(r.removed()).containsExactly(a);
        assertThat(lake.files).contains(open);
        lake.check();
        lake.merge(key.row(35, 2, "in the open file"));
        lake.check();
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void partitionedKeyMovesPartition(Key key) {
        Lake lake = new Lake(key, 3, List.of("region"));
        List<Row> first = new ArrayList<>();
        for (long id = 10; id < 20; id++) {
            first.add(key.row(id, 1, "v" + id, id % 2 == 0 ? "eu" : "us"));
        }
        lake.merge(first.toArray(Row[]::new));
        lake.check();
        assertThat(lake.files).extracting(DataFile::partitionValues).containsOnly(Map.of("region", "eu"),
                Map.of("region", "us"));

        SilverMerger.Result r = lake.merge(
                key.row(10, 2, "moved", "us"), // eu to us
                key.row(11, 2, "stays", "us"),
                key.row(12, 2, "new partition", "ap"),
                key.tombstone(13),
                key.row(25, 1, "new key", "eu"),
                key.row(14, 0, "stale", "ap")); // older: stays in eu
        assertThat(r.rowsChanged()).isEqualTo(5);
        lake.check();
        assertThat(lake.model.get(14L).string("region")).isEqualTo("eu");
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void partitionedKeySpreadOverPartitions(Key key) {
        Lake lake = new Lake(key, 100, List.of("region"));
        // Another writer left key 12 in both partitions; the merge keeps one row, in the partition
        // of the row it writes, and removes the other.
        lake.hold(
                lake.table.file(key.schema, Map.of("region", "eu"), key.row(11, 1, "a", "eu"),
                        key.row(12, 1, "a", "eu")),
                key.row(11, 1, "a", "eu"), key.row(12, 1, "a", "eu"));
        lake.hold(
                lake.table.file(key.schema, Map.of("region", "us"), key.row(12, 1, "b", "us"),
                        key.row(13, 1, "b", "us")),
                key.row(12, 1, "b", "us"), key.row(13, 1, "b", "us"));
        lake.merge(key.row(12, 2, "one", "eu"));
        lake.check();
    }

    @ParameterizedTest
    @EnumSource(Key.class)
    void lookupFindsKeysInTheirFiles(Key key) {
        Lake lake = new Lake(key, 100);
        lake.hold(rows(key, 10, 19, 1));
        lake.hold(rows(key, 30, 39, 1));
        SilverKey silverKey = SilverKey.of(key.schema, key.columns);
        Object k12 = silverKey.of(key.row(12, 0, ""));
        Object k35 = silverKey.of(key.row(35, 0, ""));
        Object k25 = silverKey.of(key.row(25, 0, ""));
        Map<Object, List<Row>> found = lake.merger.lookup(lake.files, Set.of(k12, k35, k25));
        assertThat(found).containsOnlyKeys(k12, k35);
        assertThat(found.get(k12)).containsExactly(lake.model.get(12L));
        assertThat(found.get(k35)).containsExactly(lake.model.get(35L));
    }
}
