package io.streamlake.core.silver;

import io.streamlake.table.Erasure;
import io.streamlake.core.util.CommitNotes;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourcePartition;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erases keys from every table of a pipeline: bronze's events (found by the key silver's merge would
 * give them), silver's rows, delete markers and quarantined records; the change feed gets a
 * {@code delete} change for each silver row, as it would for any delete.
 *
 * <p><b>Order and crashes.</b> Bronze goes first: one {@code DELETE} commit rewrites the files that
 * hold the keys' events (each file in its place, without them) and records the erasure
 * ({@link Erasures}). Each other table then gets one {@code DELETE} commit that removes the rows of
 * every erasure it has not applied yet and records the last one applied ({@link Erasures#APPLIED}),
 * so a crash anywhere leaves work that {@link #applyPending()}, run by every silver stage when it
 * opens, finishes exactly once. Every commit is retried from a fresh snapshot when another writer
 * commits first; silver's commit also expects silver's progress marker where it read it, so a merge
 * that committed meanwhile (from another instance, which read bronze before the erasure) is looked
 * at again. A merge that read bronze before the erasure and commits after it applies the erasure
 * again itself ({@link #reapplyAfter}), so it cannot put an erased key back.
 *
 * <p><b>Cost.</b> Every file of every table is read once to find the keys, and the files that hold
 * them are read again and rewritten; an erasure is rare and this keeps no index to maintain.
 *
 * <p>Threads: one caller at a time, while the pipeline's writers are paused (or another instance's
 * commits are fenced as above).
 */
final class KeyEraser {
    private static final Logger LOG = LoggerFactory.getLogger(KeyEraser.class);
    private static final int MAX_CONFLICT_RETRIES = 10;

    private final Table bronze;
    private final Table silver;
    private final @Nullable Table quarantine;
    private final @Nullable Table deleteMarkers;
    private final @Nullable ChangeFeed changeFeed;
    private final RecordPreparer preparer;
    private final Schema declared;
    private final List<String> keyColumns;
    private final String pipelineName;
    private final String silverMarker;
    /**
     * The erasures last read from bronze, kept while bronze's log property is the same text: every
     * merge attempt reads them twice, and the text only changes with an erasure. Touched by the
     * merging thread, and by an erasure's caller while the run is paused: never at once.
     */
    private Erasures current = Erasures.NONE;
    private @Nullable String currentLog;

    KeyEraser(Table bronze, Table silver, @Nullable Table quarantine, @Nullable Table deleteMarkers,
            @Nullable ChangeFeed changeFeed, RecordPreparer preparer, Schema declared, List<String> keyColumns,
            String pipelineName, String silverMarker) {
        this.bronze = bronze;
        this.silver = silver;
        this.quarantine = quarantine;
        this.deleteMarkers = deleteMarkers;
        this.changeFeed = changeFeed;
        this.preparer = preparer;
        this.declared = declared;
        this.keyColumns = List.copyOf(keyColumns);
        this.pipelineName = pipelineName;
        this.silverMarker = silverMarker;
    }

    /** Rows removed from the tables other than bronze. */
    record Applied(long silverRows, long quarantineRows, long deleteMarkerRows) {
        static final Applied NONE = new Applied(0, 0, 0);
    }

    /**
     * @param given the keys, as {@link io.streamlake.PipelineRun#erase} takes them
     * @return what was removed
     */
    Erasure erase(Collection<?> given) {
        List<Object> keys = Erasures.keys(given, declared, keyColumns);
        Set<Object> wanted = new HashSet<>(keys);
        for (int attempt = 0;; attempt++) {
            TableSnapshot s = bronze.snapshot();
            if (s.version() < 0 || s.schema().isEmpty()) {
                return new Erasure(0, keys.size(), -1, 0, 0, 0, 0); // nothing was ever ingested: nothing to erase
            }
            Erasures before = Erasures.of(s.properties());
            long id = before.lastId() + 1;
            Map<String, SourcePartition> partitions = new HashMap<>();
            Function<Row, @Nullable Object> keyOf = row -> preparer.keyOf(RawRecords.fromRow(row, partitions));
            Rewrite rw = Rewrite.of(bronze, s, row -> wanted.contains(keyOf.apply(row)));
            PendingCommit c = rw.stage(bronze.newCommit()).setProperties(before.plus(keys, s.version()));
            try {
                commit(c, rw, id, keys.size());
            } catch (CommitConflictException e) {
                retry(attempt, "bronze", e);
                continue;
            }
            Applied applied = applyPending();
            LOG.info("pipeline {}: erasure {} of {} key(s) removed {} bronze event(s), {} silver row(s), {} quarantined"
                    + " record(s) and {} delete marker(s)", pipelineName, id, keys.size(), rw.rows,
                    applied.silverRows(),
                    applied.quarantineRows(), applied.deleteMarkerRows());
            return new Erasure(id, keys.size(), s.version(), rw.rows, applied.silverRows(), applied.quarantineRows(),
                    applied.deleteMarkerRows());
        }
    }

    /**
     * Removes from silver, the delete markers and the quarantine the keys of the erasures recorded in
     * bronze that they have not applied yet; the change feed then takes silver's deletes.
     */
    Applied applyPending() {
        return apply(current(), -1);
    }

    /** @return the erasures bronze's latest snapshot records */
    Erasures current() {
        Map<String, String> properties = bronze.snapshot().properties();
        String log = properties.get(Erasures.LOG);
        if (log == null || !log.equals(currentLog)) {
            current = Erasures.of(properties);
            currentLog = log;
        }
        return current;
    }

    /**
     * After a merge that read the erasures up to {@code seen}: if bronze has later ones, applies them
     * again, whether or not the tables say they did. The merge may have read bronze before such an
     * erasure's bronze commit and committed after the erasure was applied to silver, putting back
     * rows of its keys; applying it again removes them (and finds nothing otherwise).
     *
     * @return whether there were later erasures
     */
    boolean reapplyAfter(long seen) {
        Erasures all = current();
        if (all.lastId() <= seen) {
            return false;
        }
        apply(all, seen);
        return true;
    }

    /**
     * @param from apply the erasures after this one even if a table applied them; -1 for those
     *     each table has not applied
     */
    private Applied apply(Erasures all, long from) {
        if (all.isEmpty()) {
            return Applied.NONE;
        }
        // silver's and the markers' rows hold the key columns; quarantined records are decoded for theirs
        Function<Schema, Function<Row, @Nullable Object>> byKeyColumns = schema -> SilverKey.of(schema, keyColumns)::of;
        long silverRows = apply(silver, all, from, byKeyColumns, true);
        if (changeFeed != null && silverRows > 0) {
            changeFeed.catchUp(silver.snapshot().version(), null);
        }
        long markerRows = deleteMarkers == null ? 0
                : apply(deleteMarkers, all, from, byKeyColumns, false);
        long quarantineRows = 0;
        if (quarantine != null) {
            Map<String, SourcePartition> partitions = new HashMap<>();
            quarantineRows = apply(quarantine, all, from,
                    schema -> row -> preparer.keyOf(RawRecords.fromRow(row, partitions)), false);
        }
        return new Applied(silverRows, quarantineRows, markerRows);
    }

    /** Applies the erasures a table has not applied yet (or all after {@code from}), in one commit; returns the rows removed. */
    private long apply(Table table, Erasures all, long from, Function<Schema, Function<Row, @Nullable Object>> keyOf,
            boolean fenceMerges) {
        for (int attempt = 0;; attempt++) {
            TableSnapshot s = table.snapshot();
            if (s.version() < 0 || s.schema().isEmpty()) {
                return 0;
            }
            long applied = Long.parseLong(s.properties().getOrDefault(Erasures.APPLIED, "0"));
            List<Erasures.Entry> pending = all.after(from >= 0 ? Math.min(from, applied) : applied);
            if (pending.isEmpty()) {
                return 0;
            }
            Erasures.Matcher matcher = all.matcher();
            Function<Row, @Nullable Object> key = keyOf.apply(s.schema().get());
            Rewrite rw = Rewrite.of(table, s, row -> matcher.erased(key.apply(row), pending));
            if (rw.rows == 0 && applied >= all.lastId()) {
                return 0; // applied again after a merge, which put nothing back: no commit
            }
            PendingCommit c = rw.stage(table.newCommit())
                    .setProperties(Map.of(Erasures.APPLIED, Long.toString(all.lastId())));
            if (fenceMerges) {
                c.expectTransaction(silverMarker, s.transaction(silverMarker).orElse(-1));
            }
            try {
                commit(c, rw, all.lastId(), pending.stream().mapToInt(e -> e.hashes().size()).sum());
                return rw.rows;
            } catch (CommitConflictException e) {
                retry(attempt, table.location(), e);
            }
        }
    }

    private void commit(PendingCommit c, Rewrite rw, long id, int keys) {
        // Spark's DELETE names its predicate; an erasure's would hold the keys, so it names the erasure.
        // Files of a commit that fails are orphans that vacuum removes.
        c.withUserMetadata(CommitNotes.erasure(pipelineName, id, keys, rw.rows))
                .withOperationDetails(Map.of("predicate", "[\"streamlake erasure " + id + "\"]"),
                        Map.of("numDeletedRows", rw.rows, "numRemovedFiles", (long) rw.removed,
                                "numAddedFiles", (long) rw.added))
                .commit("DELETE");
    }

    private static void retry(int attempt, String what, CommitConflictException e) {
        if (attempt >= MAX_CONFLICT_RETRIES) {
            throw e;
        }
        LOG.info("an erasure's commit to {} lost a race with another writer; trying again from the new snapshot: {}",
                what, e.getMessage());
    }

    /**
     * The files of a snapshot that hold matching rows, each rewritten without them into a file that
     * takes its place in the table's order (none when every row matches).
     */
    private static final class Rewrite {
        private final List<DataFile> from = new ArrayList<>();
        private final List<List<DataFile>> to = new ArrayList<>();
        private long rows;
        private int removed;
        private int added;

        static Rewrite of(Table table, TableSnapshot s, Predicate<Row> erase) {
            Schema schema = s.schema().orElseThrow();
            Rewrite rw = new Rewrite();
            for (DataFile f : s.files()) {
                long matching = count(table, f, schema, erase);
                if (matching == 0) {
                    continue;
                }
                rw.rows += matching;
                rw.removed++;
                rw.from.add(f);
                if (matching == f.rowCount()) {
                    rw.to.add(List.of());
                    continue;
                }
                DataFileWriter w = table.newDataFile(schema, f.partitionValues());
                try {
                    for (Iterator<Row> it = table.read(f, schema); it.hasNext();) {
                        Row r = it.next();
                        if (!erase.test(r)) {
                            w.write(r);
                        }
                    }
                    rw.to.add(List.of(w.finish()));
                    rw.added++;
                } finally {
                    w.close();
                }
            }
            return rw;
        }

        private static long count(Table table, DataFile f, Schema schema, Predicate<Row> erase) {
            long n = 0;
            for (Iterator<Row> it = table.read(f, schema); it.hasNext();) {
                if (erase.test(it.next())) {
                    n++;
                }
            }
            return n;
        }

        PendingCommit stage(PendingCommit c) {
            for (int i = 0; i < from.size(); i++) {
                c.replace(List.of(from.get(i)), to.get(i));
            }
            return c;
        }
    }
}
