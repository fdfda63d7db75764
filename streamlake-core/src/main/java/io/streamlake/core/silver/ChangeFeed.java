package io.streamlake.core.silver;

import io.streamlake.core.util.CommitNotes;
import io.streamlake.core.util.FileSequence;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.merge.HistoryStrategy;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.ChangeFeedLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.FileChanges;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableCommit;
import io.streamlake.table.TableSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Silver's change feed ({@code Pipeline.withChangeFeed}): an append-only table of the rows each
 * silver version inserted, updated (before and after) and deleted, in the row shape of Delta's change
 * data feed ({@link ChangeFeedLayout}).
 *
 * <p><b>A change is the difference between two versions.</b> For each silver version that changed
 * data, the rows of the files it removed are compared, key by key, with the rows of the files it
 * added (every other file kept its rows). So the feed holds whatever changed silver: merges, truncates,
 * quarantine replays, and another writer's DML, and a compaction ({@code dataChange = false}) adds
 * nothing. Silver's files are sorted by key with disjoint ranges, so both sides are read as one
 * key-ordered stream each ({@link SortedRows}), holding a file or two at a time, not the version's
 * rows; files another engine wrote out of key order are compared in memory instead. Rows of a key
 * are paired by identity: the key, and for SCD type 2 also {@code __START_AT}, so closing a version
 * is an update of that version and a new version an insert, as Delta's MERGE reports them.
 *
 * <p><b>Exactly once.</b> The feed has its own progress marker, the last silver version whose
 * changes it holds, set in the same commit as those changes. It is written after each silver commit
 * (from the files the merge just staged) and, on start, for every silver version after its marker
 * (from silver's log), so a crash between the two commits costs the diff of one version again and
 * never a change twice. Delta (protocol 1, 2, which is what delta-standalone writes) has no change
 * feed of its own: one inside silver would need protocol (1, 4) and {@code cdc} actions, so the feed
 * is a table beside silver.
 *
 * <p>Threads: {@link #open} and {@link #catchUp} are called one at a time, by the thread that
 * commits silver (open before any merge); the object holds no state between calls but its settings.
 */
final class ChangeFeed {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);
    /** The feed's progress marker: the last silver version whose changes it holds. */
    static final String MARKER = "streamlake.changeFeed";
    /** The change types, in the order the commit note counts them. */
    private static final List<String> TYPES = List.of(ChangeFeedLayout.INSERT, ChangeFeedLayout.UPDATE_PREIMAGE,
            ChangeFeedLayout.UPDATE_POSTIMAGE, ChangeFeedLayout.DELETE);

    private final Table silver;
    private final Table feed;
    private final List<String> keyColumns;
    /** Tells a key's rows apart, for SCD type 2: {@code __START_AT}; null when a key has one row. */
    private final @Nullable String identityColumn;
    private final long targetFileRows;
    private final String pipelineName;

    /**
     * @param history whether silver keeps SCD type 2 versions, several rows per key
     * @param targetFileRows rows per change file at most
     */
    ChangeFeed(Table silver, Table feed, List<String> keyColumns, boolean history, long targetFileRows,
            String pipelineName) {
        this.silver = silver;
        this.feed = feed;
        this.keyColumns = List.copyOf(keyColumns);
        this.identityColumn = history ? HistoryStrategy.START_AT : null;
        this.targetFileRows = targetFileRows;
        this.pipelineName = pipelineName;
    }

    /**
     * Creates the feed if it does not exist, starting after silver's current version (earlier versions
     * are not backfilled); otherwise writes the changes of the silver versions it misses, such as
     * those of a commit a crash left without its changes.
     *
     * @param silverVersion silver's version, after silver was opened
     */
    void open(long silverVersion) {
        Schema stored = stored();
        TableSnapshot before = feed.snapshot();
        boolean started = before.version() >= 0 && before.transaction(MARKER).isPresent();
        feed.create(ChangeFeedLayout.schema(stored));
        if (started) {
            catchUp(silverVersion, null);
            return;
        }
        try {
            feed.newCommit().expectTransaction(MARKER, -1).setTransaction(MARKER, silverVersion)
                    .withUserMetadata(CommitNotes.changeFeed(pipelineName, silverVersion + 1, silverVersion, Map.of()))
                    .commit("WRITE");
        } catch (CommitConflictException e) {
            LOG.info("the change feed {} was started by another instance ({})", feed.location(), e.getMessage());
        }
    }

    /**
     * Writes the changes of every silver version after the feed's marker up to {@code silverVersion}.
     *
     * @param silverVersion the silver version to reach
     * @param committed the files of silver's commit of {@code silverVersion} as the merge staged it,
     *     which spares reading them back from the log; null to read every version from the log
     */
    void catchUp(long silverVersion, @Nullable Staged committed) {
        long marker = feed.snapshot().transaction(MARKER).orElse(-1L);
        if (marker >= silverVersion) {
            return;
        }
        List<FileChanges> versions = new ArrayList<>();
        long fromLog = committed == null ? silverVersion : silverVersion - 1;
        if (fromLog > marker) {
            versions.addAll(silver.fileChanges(marker + 1, fromLog));
        }
        if (committed != null && !(committed.removed().isEmpty() && committed.added().isEmpty())) {
            versions.add(new FileChanges(silverVersion, commitTime(silverVersion), committed.removed(),
                    committed.added()));
        }
        if (versions.isEmpty()) {
            return; // no data changed (markers, compactions): the marker moves with the next change
        }
        Schema stored = stored();
        Schema schema = ChangeFeedLayout.schema(stored);
        feed.create(schema); // evolves with silver's schema
        SilverKey key = SilverKey.of(stored, keyColumns);
        Set<Long> unsorted = new HashSet<>();
        while (true) {
            Changes out = new Changes(schema, stored);
            List<DataFile> files;
            try {
                for (FileChanges c : versions) {
                    compare(c, stored, key, unsorted.contains(c.version()), out);
                }
                files = out.finish();
            } catch (SortedRows.NotSorted e) {
                out.close();
                unsorted.add(e.version);
                LOG.info("silver version {} of {} has files that are not sorted by key ({}); its changes are found"
                        + " in memory", e.version, silver.location(), e.getMessage());
                continue;
            } catch (RuntimeException | Error e) {
                out.close();
                throw e;
            }
            commit(files, marker, silverVersion, out.counts());
            return;
        }
    }

    /** Writes the changes of one silver version. */
    private void compare(FileChanges c, Schema stored, SilverKey key, boolean inMemory, Changes out) {
        out.version = c;
        try {
            if (inMemory) {
                compareInMemory(c, stored, key, out);
            } else {
                compareSorted(c, stored, key, out);
            }
        } catch (SortedRows.NotSorted e) {
            e.version = c.version();
            throw e;
        } catch (StreamLakeException e) {
            throw SilverErrors.changeFeedCannotRead(silver.location(), c.version(), e);
        }
    }

    /** The files of one silver commit, as its merge staged them: with their statistics. */
    record Staged(List<DataFile> removed, List<DataFile> added) {
    }

    private Schema stored() {
        Schema stored = silver.snapshot().schema().orElseThrow(
                () -> new IllegalStateException("silver table " + silver.location() + " does not exist yet"));
        for (String column : ChangeFeedLayout.COLUMNS) {
            if (stored.indexOf(column) >= 0) {
                throw SilverErrors.changeFeedColumnTaken(silver.location(), column);
            }
        }
        return stored;
    }

    private Instant commitTime(long version) {
        List<TableCommit> commits = silver.history(version, version);
        if (commits.isEmpty()) {
            throw new IllegalStateException("silver version " + version + " of " + silver.location()
                    + " has no commit in its log");
        }
        return commits.get(0).timestamp();
    }

    private void compareSorted(FileChanges c, Schema stored, SilverKey key, Changes out) {
        List<Row> before = new ArrayList<>();
        List<Row> after = new ArrayList<>();
        try (SortedRows removed = new SortedRows(silver, c.removed(), stored, key);
                SortedRows added = new SortedRows(silver, c.added(), stored, key)) {
            while (true) {
                Object kb = removed.peekKey();
                Object ka = added.peekKey();
                if (kb == null && ka == null) {
                    return;
                }
                Object k = kb == null ? ka : ka == null ? kb : ValueOrder.NATURAL.compare(kb, ka) <= 0 ? kb : ka;
                before.clear();
                after.clear();
                if (kb != null && ValueOrder.NATURAL.compare(kb, k) == 0) {
                    removed.take(k, before);
                }
                if (ka != null && ValueOrder.NATURAL.compare(ka, k) == 0) {
                    added.take(k, after);
                }
                out.key(before, after);
            }
        }
    }

    /** For files out of key order: both sides' rows by key, in memory. */
    private void compareInMemory(FileChanges c, Schema stored, SilverKey key, Changes out) {
        Map<Object, List<Row>> before = byKey(c.removed(), stored, key);
        Map<Object, List<Row>> after = byKey(c.added(), stored, key);
        List<Object> keys = new ArrayList<>();
        List<Object> keyless = new ArrayList<>();
        for (Map<Object, List<Row>> side : List.of(before, after)) {
            for (Object k : side.keySet()) {
                if (side == before || !before.containsKey(k)) {
                    (k instanceof NullKey ? keyless : keys).add(k);
                }
            }
        }
        keys.sort(ValueOrder.NATURAL);
        keys.addAll(keyless);
        for (Object k : keys) {
            out.key(before.getOrDefault(k, List.of()), after.getOrDefault(k, List.of()));
        }
    }

    private Map<Object, List<Row>> byKey(List<DataFile> files, Schema stored, SilverKey key) {
        Map<Object, List<Row>> rows = new HashMap<>();
        for (DataFile f : files) {
            Iterator<Row> it = silver.read(f, stored);
            while (it.hasNext()) {
                Row r = it.next();
                // a row without a key is no row silver wrote; it is still a row that changed
                Object k = key.of(r);
                rows.computeIfAbsent(k == null ? new NullKey(f.path()) : k, x -> new ArrayList<>()).add(r);
            }
        }
        return rows;
    }

    /** Stands for a missing key in a file: such rows are paired only with those of the same file. */
    private record NullKey(String file) {
    }

    private void commit(List<DataFile> files, long marker, long silverVersion, Map<String, Long> counts) {
        PendingCommit commit = feed.newCommit();
        files.forEach(commit::add);
        try {
            commit.expectTransaction(MARKER, marker).setTransaction(MARKER, silverVersion)
                    .withUserMetadata(CommitNotes.changeFeed(pipelineName, marker + 1, silverVersion, counts))
                    .commit("WRITE");
        } catch (CommitConflictException e) {
            // another instance wrote these versions' changes first; ours are orphans, which vacuum removes
            LOG.info("the change feed {} was written up to silver version {} by another instance ({})",
                    feed.location(), silverVersion, e.getMessage());
        }
    }

    /** The change rows of one catch-up, written into files as they come. One thread. */
    private final class Changes implements AutoCloseable {
        private final Schema schema;
        private final int columns;
        private final int identity;
        private final FileSequence files;
        /** Rows written by change type, in {@link #TYPES}' order: no boxing per row. */
        private final long[] counts = new long[TYPES.size()];
        /** Which of a key's rows before were paired with a row after; reused for every key. */
        private final BitSet paired = new BitSet();
        /** The version being compared; set before its first row. */
        @Nullable FileChanges version;

        Changes(Schema schema, Schema stored) {
            this.schema = schema;
            this.columns = stored.size();
            this.identity = identityColumn == null ? -1 : stored.indexOf(identityColumn);
            this.files = new FileSequence(() -> feed.newDataFile(schema));
        }

        /** Writes the changes of one key: its rows before and after the version. */
        void key(List<Row> before, List<Row> after) {
            paired.clear();
            for (Row a : after) {
                int match = -1;
                for (int i = 0; i < before.size() && match < 0; i++) {
                    if (!paired.get(i) && sameIdentity(before.get(i), a)) {
                        match = i;
                    }
                }
                if (match < 0) {
                    write(a, ChangeFeedLayout.INSERT);
                } else {
                    paired.set(match);
                    Row b = before.get(match);
                    if (!b.equals(a)) {
                        write(b, ChangeFeedLayout.UPDATE_PREIMAGE);
                        write(a, ChangeFeedLayout.UPDATE_POSTIMAGE);
                    }
                }
            }
            for (int i = 0; i < before.size(); i++) {
                if (!paired.get(i)) {
                    write(before.get(i), ChangeFeedLayout.DELETE);
                }
            }
        }

        private boolean sameIdentity(Row b, Row a) {
            return identity < 0 || Objects.equals(b.value(identity), a.value(identity));
        }

        private void write(Row row, String type) {
            Object[] values = new Object[columns + 3];
            for (int i = 0; i < columns; i++) {
                values[i] = row.value(i);
            }
            FileChanges v = Objects.requireNonNull(version);
            values[columns] = type;
            values[columns + 1] = v.version();
            values[columns + 2] = v.timestamp();
            DataFileWriter w = files.current();
            w.write(Row.of(schema, values));
            counts[TYPES.indexOf(type)]++;
            if (w.rowCount() >= targetFileRows) {
                files.cut();
            }
        }

        List<DataFile> finish() {
            return files.finish();
        }

        /** @return the rows written by change type, those of none left out */
        Map<String, Long> counts() {
            Map<String, Long> byType = new LinkedHashMap<>();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] > 0) {
                    byType.put(TYPES.get(i), counts[i]);
                }
            }
            return byType;
        }

        /** Abandons the file being written; finished files are orphans, which vacuum removes. */
        @Override
        public void close() {
            files.close();
        }
    }
}
