package io.streamlake.core.silver;

import io.streamlake.table.Erasure;
import io.streamlake.Pipeline;
import io.streamlake.core.util.CommitNotes;
import io.streamlake.core.util.Markers;
import io.streamlake.core.util.MemoryBudget;
import io.streamlake.core.util.Tables;
import io.streamlake.core.util.Workers;
import io.streamlake.event.RowChanges;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.DeleteMarkerStrategy;
import io.streamlake.merge.HistoryStrategy;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.QuarantineLayout;
import io.streamlake.table.Table;
import io.streamlake.table.TableChange;
import io.streamlake.table.TableSnapshot;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings silver up to a bronze version: prepare (decode, transform, check), quarantine what cannot
 * enter, merge by key, commit with a marker that records the bronze version consumed. Because the
 * marker and the data land in one commit, replaying bronze into silver after any crash neither
 * loses nor repeats a row.
 *
 * <p>The quarantine table has its own marker, written in the same commit as its rows and before the
 * silver commit: after a crash between the two, the replay skips the records the quarantine already
 * holds, so no bad record is quarantined twice. Delete markers ({@link DeleteMarkers}) are committed
 * between the two, in the same way.
 *
 * <p>Threads: {@link #open()} runs first, alone; then {@link #catchUp}, {@link #lastWork()} and
 * {@link #expireDeleteMarkers()} are called by one thread at a time, the one that merges silver (in a
 * streaming run its own thread, beside the pipeline's). {@link #version()}, {@link #quarantined()} and
 * {@link #metrics()} may be read from any thread: they are volatile, and the run totals behind them
 * change under this object's lock ({@link #count}).
 */
public final class SilverStage {
    private static final Logger LOG = LoggerFactory.getLogger(SilverStage.class);
    private static final int MAX_CONFLICT_RETRIES = 10;

    private final Table bronze;
    private final Table silver;
    private final @Nullable Table quarantine;
    private final Schema schema;
    private final String pipelineName;
    private final String appId;
    private final String quarantineAppId;
    private final RecordPreparer preparer;
    private final Workers workers;
    private final long targetFileRows;
    private final List<String> partitionColumns;
    private final @Nullable DeleteMarkers markers;
    /** The delete markers' table, null when the strategy keeps none: checked at open. */
    private final @Nullable Table deleteMarkerTable;
    /** Silver's change feed, null when the pipeline writes none. */
    private final @Nullable ChangeFeed changeFeed;
    /** Built by {@link #open()}, which decides the stored columns from the table; it holds the batch merger. */
    private @Nullable Truncation truncation;
    private final KeyEraser eraser;
    /** The table property that records the silver key: its columns, comma-separated (Delta column names hold no comma). */
    static final String KEY_PROPERTY = "streamlake.silver.key";
    /** The table property that records the layout: {@value #SCD1} (one row per key) or {@value #SCD2} (history). */
    static final String LAYOUT_PROPERTY = "streamlake.silver.layout";
    static final String SCD1 = "scd1";
    static final String SCD2 = "scd2";
    private final List<String> key;
    /** The merge's condition as Spark's MERGE writes it in the history: the key's columns, target to source. */
    private final String mergePredicate;
    private final String layout;
    private final MergeStrategy strategy;
    /** One merge takes at most this many records, and this many bytes of them (at least one bronze version). */
    private final long mergeMaxRecords;
    private final long mergeMaxBytes;
    private final int parallelFiles;
    private volatile long silverVersion = -1;

    // Run totals, updated only after a successful commit so retried batches are not counted twice.
    private long decoded;
    private long decodeFailed;
    private final long[] passed;
    private final long[] failed;
    private volatile long quarantined;
    private volatile List<ExpectationMetrics> metrics = List.of();
    /**
     * Where the last {@link #catchUp} spent its time (summed over its attempts and chunks), and what
     * its commits changed, for the batch's event: the caller's thread only, the one that calls catchUp.
     */
    private long decodeNanos;
    private long mergeNanos;
    private long commitNanos;
    private RowChanges changes = RowChanges.NONE;
    private int filesAdded;
    private int filesRemoved;
    private int retries;
    // the last catchUp's own record counts, as count() keeps the run's
    private long decodedNow;
    private long decodeFailedNow;
    private long quarantinedNow;
    private final long[] passedNow;
    private final long[] failedNow;

    public SilverStage(Pipeline pipeline, Table bronze, Table silver, @Nullable Table quarantine,
            @Nullable Table deleteMarkers, @Nullable Table changeFeed, Workers workers) {
        this.bronze = bronze;
        this.silver = silver;
        this.quarantine = quarantine;
        this.schema = pipeline.silverSchema().orElseThrow();
        this.key = pipeline.silverKeys();
        this.mergePredicate = String.join(" AND ", key.stream().map(c -> "target." + c + " = source." + c).toList());
        this.strategy = pipeline.mergeStrategy();
        this.layout = strategy instanceof HistoryStrategy ? SCD2 : SCD1;
        this.pipelineName = pipeline.name();
        this.appId = Markers.silver(pipeline.name());
        this.quarantineAppId = Markers.quarantine(pipeline.name());
        this.preparer = new RecordPreparer(pipeline, quarantine != null, workers);
        this.partitionColumns = pipeline.partitionColumns();
        this.workers = workers;
        this.targetFileRows = pipeline.targetFileRows();
        this.markers = deleteMarkers(pipeline, deleteMarkers, workers);
        this.deleteMarkerTable = markers == null ? null : deleteMarkers;
        this.changeFeed = changeFeed == null ? null
                : new ChangeFeed(silver, changeFeed, key, strategy instanceof HistoryStrategy, targetFileRows,
                        pipelineName);
        strategy.validate(schema, key); // fail on construction, as before the merger was built in open()
        this.eraser = new KeyEraser(bronze, silver, quarantine, deleteMarkers, this.changeFeed, preparer, schema, key,
                pipelineName, appId);
        this.mergeMaxRecords = (long) pipeline.maxBatchRecords() * pipeline.maxSilverLag();
        this.mergeMaxBytes = mergeBytes(pipeline);
        this.parallelFiles = SilverFiles.parallelFiles(workers, pipeline.compactionMinFiles());
        this.passed = new long[preparer.ruleCount()];
        this.failed = new long[preparer.ruleCount()];
        this.passedNow = new long[preparer.ruleCount()];
        this.failedNow = new long[preparer.ruleCount()];
        this.metrics = preparer.metrics(0, 0, passed, failed);
    }

    /**
     * The bytes of raw records one merge takes at most: as many batches as silver may lag behind, as
     * the bound on its records is, but no more than a 24th of the heap, and never less than one
     * batch. A merge rewrites every silver file its keys touch, so in a backlog fewer, larger merges
     * rewrite the table fewer times; on a small heap the merge stays at one batch, whose decoded rows
     * fit beside the files being merged.
     *
     * @return the bound, which the silver feed also keeps batches in memory up to
     */
    public static long mergeBytes(Pipeline pipeline) {
        long batch = pipeline.maxBatchBytes();
        long lagged = batch > Long.MAX_VALUE / pipeline.maxSilverLag() ? Long.MAX_VALUE
                : batch * pipeline.maxSilverLag();
        return Math.max(batch, Math.min(lagged, MemoryBudget.JVM.mergeBytes()));
    }

    /**
     * @return the delete markers of the pipeline's strategy, or null when it keeps none
     * @throws ConfigurationException if the strategy keeps markers and there is no table for them
     */
    static @Nullable DeleteMarkers deleteMarkers(Pipeline pipeline, @Nullable Table table, Workers workers) {
        if (!(pipeline.mergeStrategy() instanceof DeleteMarkerStrategy s) || !s.keepsKeyState()) {
            return null;
        }
        if (table == null) {
            throw SilverErrors.noDeleteMarkerTable(s, pipeline.name());
        }
        return new DeleteMarkers(table, pipeline.silverSchema().orElseThrow(), pipeline.silverKeys(), s,
                Markers.deletes(pipeline.name()), pipeline.targetFileRows(), workers);
    }

    public void open() {
        // before create(), which would already evolve the schema of a table of the other kind
        TableSnapshot before = silver.snapshot();
        if (Tables.appendOnly(before.properties())) {
            // before bronze commits anything: every merge would be refused after it did
            throw Tables.appendOnlyRefuses(silver.location(), "the file rewrites of every silver merge");
        }
        TableSnapshot markerTable = deleteMarkerTable == null ? null : deleteMarkerTable.snapshot();
        if (markerTable != null && markerTable.version() >= 0 && Tables.appendOnly(markerTable.properties())) {
            // the markers of re-inserted keys and expired ones are removed, by merges and compactions
            throw Tables.appendOnlyRefuses(Objects.requireNonNull(deleteMarkerTable).location(),
                    "the removal of delete markers that a key's re-insert clears or that expired");
        }
        Tables.refuseMismatch(before, recorded(), this::mismatch);
        SilverColumns beforeColumns = SilverColumns.of(schema, strategy, before.schema().orElse(null));
        new Truncation(silver, beforeColumns, strategy, merger(beforeColumns), workers).refuseMismatch(before);
        SilverColumns.Opened opened = SilverColumns.open(silver, schema, strategy, partitionColumns, before);
        truncation = new Truncation(silver, opened.columns(), strategy, merger(opened.columns()), workers);
        silverVersion = checkKey(opened.snapshot());
        if (changeFeed != null) {
            // before any merge: the changes of a silver commit that a crash left without them
            changeFeed.open(silverVersion);
        }
        if (quarantine != null) {
            quarantine.create(QuarantineLayout.SCHEMA);
        }
        // an erasure a crash (or another instance's failure) left applied to bronze only
        if (!eraser.applyPending().equals(KeyEraser.Applied.NONE)) {
            silverVersion = silver.snapshot().version();
        }
    }

    /**
     * Erases keys from bronze, silver, the delete markers and the quarantine ({@link KeyEraser}). The
     * caller makes sure no merge runs meanwhile (the run is paused).
     *
     * @param keys the keys, one value each for a key of one column, a list of values for several
     * @return what was removed
     */
    public Erasure erase(Collection<?> keys) {
        opened();
        Erasure e = eraser.erase(keys);
        silverVersion = silver.snapshot().version();
        return e;
    }

    private SilverMerger merger(SilverColumns columns) {
        return new SilverMerger(silver, columns, key, strategy, targetFileRows, partitionColumns, workers,
                parallelFiles);
    }

    public long version() {
        return silverVersion;
    }

    /**
     * A silver table belongs to one key and one layout: merged by another key, its rows would no
     * longer be one per key and rows of the old key would seem to vanish; merged by SCD type 2 after
     * SCD type 1 (or back), history rows would be read as current rows. Both are recorded in the table
     * on first start (tables written before this check get them recorded then) and compared on every
     * later one.
     *
     * @return the silver version after the check
     */
    private long checkKey(TableSnapshot snapshot) {
        return Tables.recordOrRefuse(silver, snapshot, recorded(), this::mismatch);
    }

    private Map<String, String> recorded() {
        return Map.of(KEY_PROPERTY, String.join(",", key), LAYOUT_PROPERTY, layout);
    }

    private ConfigurationException mismatch(String property, String recorded, String wanted) {
        if (property.equals(KEY_PROPERTY)) {
            return SilverErrors.otherKey(silver.location(), describeKey(recorded), describeKey(wanted));
        }
        return SilverErrors.otherLayout(silver.location(), describeLayout(recorded), describeLayout(wanted));
    }

    /** @return a recorded key as users name it: {@code 'order_id'}, or {@code ('tenant_id', 'order_id')} */
    private static String describeKey(String recorded) {
        String quoted = "'" + recorded.replace(",", "', '") + "'";
        return recorded.contains(",") ? "(" + quoted + ")" : "column " + quoted;
    }

    private static String describeLayout(String layout) {
        return layout.equals(SCD2) ? "SCD type 2 history (versions with __START_AT and __END_AT)" : "one row per key";
    }

    public long quarantined() {
        return quarantined;
    }

    public List<ExpectationMetrics> metrics() {
        return metrics;
    }

    /**
     * Brings silver up to a bronze version, over every version since its marker: in one merge when
     * they fit the merge's bounds (the pipeline's batch bounds, records times the silver lag and
     * bytes), else in as few merges as do.
     *
     * @param bronzeVersion the bronze version to reach
     * @param held records of bronze versions the caller still holds in memory, so the common case
     *     needs no read of bronze files; null or empty otherwise. The stage takes them out as it
     *     decodes them, so that their raw bytes can be collected while the merge runs: the caller
     *     must hold no other reference.
     * @return silver rows changed
     */
    public long catchUp(long bronzeVersion, @Nullable HeldBatches held) {
        HeldBatches recent = held == null ? new HeldBatches() : held;
        long changed = 0;
        int conflicts = 0;
        // Records the merge failed on, found by an earlier attempt at the same batch.
        Map<RecordPreparer.Origin, String> mergeFailed = new HashMap<>();
        decodeNanos = 0;
        mergeNanos = 0;
        commitNanos = 0;
        changes = RowChanges.NONE;
        filesAdded = 0;
        filesRemoved = 0;
        retries = 0;
        decodedNow = 0;
        decodeFailedNow = 0;
        quarantinedNow = 0;
        Arrays.fill(passedNow, 0);
        Arrays.fill(failedNow, 0);
        long lastConsumed = Long.MIN_VALUE;
        while (true) {
            TableSnapshot snapshot = silver.snapshot();
            long consumed = snapshot.transaction(appId).orElse(-1);
            if (consumed >= bronzeVersion) {
                return changed;
            }
            if (consumed > lastConsumed) {
                // the races lost so far moved silver on: only races lost without progress count
                conflicts = 0;
                lastConsumed = consumed;
            }
            recent.dropThrough(consumed);
            MergeInput in = gather(consumed, bronzeVersion, recent);
            List<SourceRecord> records = in.records();
            long[] versions = in.versions();
            long upTo = in.upTo();
            in = null;
            try {
                long quarantinedUpTo = quarantine == null ? Long.MAX_VALUE
                        : quarantine.snapshot().transaction(quarantineAppId).orElse(-1);
                // read for each attempt: an erasure by another instance leaves out what it erased
                Erasures erasures = eraser.current();
                preparer.erasures(erasures);
                long decodeStart = System.nanoTime();
                RecordPreparer.Prepared prepared = preparer.prepare(records, versions, quarantinedUpTo, mergeFailed);
                long mergeStart = System.nanoTime();
                decodeNanos += mergeStart - decodeStart;
                // Decoded: the raw records are not needed again (a retry reads bronze), and holding
                // them through the merge would make the collector copy them over and over.
                records = null;
                // Before the delete markers see the batch: events a truncate keeps out leave no marker.
                Truncation.Batch cut = opened().begin(snapshot, prepared);
                Instant batchTime = prepared.latestTime;
                DeleteMarkers.Batch<?> deletes = markers == null || batchTime == null ? null
                        : markers.begin(prepared.rows, prepared.tombstones, consumed, batchTime);
                SilverMerger.Result merged = deletes == null
                        ? cut.merger().merge(cut.files(), prepared.rows, prepared.tombstones)
                        : cut.merger().merge(deletes, cut.files(), prepared.rows, prepared.tombstones);
                long mergedAt = System.nanoTime();
                mergeNanos += mergedAt - mergeStart;
                if (!merged.failed().isEmpty()) {
                    // Nothing is committed yet: the same records again, with these quarantined (the
                    // files this merge wrote are orphans, which vacuum removes).
                    RecordPreparer.remember(prepared, merged.failed(), strategy, mergeFailed);
                    LOG.warn("the merge strategy of {} threw on {} records of bronze versions up to {}; they go to the"
                            + " quarantine", silver.location(), merged.failed().size(), upTo);
                    continue;
                }
                // The quarantine commits after the merge, so that records the merge fails on join it.
                commitQuarantine(prepared.quarantine, quarantinedUpTo, upTo);
                if (deletes != null) {
                    // Before silver's commit: the marker rows say which batch wrote them, so a crash
                    // in between is replayed from the markers the batch started from.
                    deletes.commit(upTo);
                }
                long finishStart = System.nanoTime();
                merged = cut.finish(merged);
                long commitStart = System.nanoTime();
                mergeNanos += commitStart - finishStart;
                silverVersion = cut.record(merged.stage(silver)).expectTransaction(appId, consumed)
                        .setTransaction(appId, upTo)
                        .withUserMetadata(CommitNotes.silver(pipelineName, consumed + 1, upTo, merged.changes(),
                                merged.added().size(), merged.removed().size(), prepared.quarantine.size(),
                                preparer.metrics(prepared.decoded, prepared.decodeFailed, prepared.passed,
                                        prepared.failed),
                                mergedAt - decodeStart + commitStart - finishStart))
                        .withOperationDetails(Map.of("predicate", mergePredicate),
                                Map.of("numSourceRows", (long) prepared.rows.size(),
                                        "numTargetRowsInserted", merged.changes().inserted(),
                                        "numTargetRowsUpdated", merged.changes().updated(),
                                        "numTargetRowsDeleted", merged.changes().deleted(),
                                        "numTargetFilesAdded", (long) merged.added().size(),
                                        "numTargetFilesRemoved", (long) merged.removed().size()))
                        .commit("MERGE");
                if (changeFeed != null) {
                    changeFeed.catchUp(silverVersion, new ChangeFeed.Staged(merged.removed(), merged.added()));
                }
                // an erasure committed to bronze (by another instance) after this attempt read the
                // erasures may have been applied to silver before this merge put its keys back
                if (eraser.reapplyAfter(erasures.lastId())) {
                    silverVersion = silver.snapshot().version();
                }
                commitNanos += System.nanoTime() - commitStart;
                if (markers != null && batchTime != null) {
                    markers.committed(batchTime);
                }
                changed += merged.rowsChanged();
                changes = changes.plus(merged.changes());
                filesAdded += merged.added().size();
                filesRemoved += merged.removed().size();
                count(prepared);
                mergeFailed.clear();
            } catch (CommitConflictException e) {
                // Another instance advanced silver (or the quarantine) first; its commit already holds
                // those bronze versions, so start again from the new markers. Scaled out, a starting
                // instance's catch-up can win many races in a row, each one progress: only a run of
                // losses in which silver did not move ends the catch-up.
                if (++conflicts > MAX_CONFLICT_RETRIES) {
                    throw e;
                }
                retries = conflicts;
                LOG.info("silver commit on {} lost a race ({}); retrying from the new marker", silver.location(),
                        e.getMessage());
            }
        }
    }

    /**
     * What the last {@link #catchUp} did, for its batch's event.
     *
     * @param decodeNanos how long it decoded, transformed and checked records
     * @param mergeNanos how long it merged rows into silver's files
     * @param commitNanos how long it spent in silver's commits
     * @param changes the keys its commits changed, by kind
     * @param filesAdded the data files its commits added to silver
     * @param filesRemoved the data files its commits removed from silver
     * @param retries how many times it lost silver's commit race and merged again
     * @param quarantined the records its commits quarantined
     * @param expectations each expectation's counts (and decoding's) over the records it merged
     */
    public record Work(long decodeNanos, long mergeNanos, long commitNanos, RowChanges changes, int filesAdded,
            int filesRemoved, int retries, long quarantined, List<ExpectationMetrics> expectations) {
        /** A catch-up that merged nothing. */
        public static final Work NONE = new Work(0, 0, 0, RowChanges.NONE, 0, 0, 0, 0, List.of());
    }

    /** @return what the last {@link #catchUp} did; the caller's thread only, the one that calls catchUp */
    public Work lastWork() {
        return new Work(decodeNanos, mergeNanos, commitNanos, changes, filesAdded, filesRemoved, retries,
                quarantinedNow, preparer.metrics(decodedNow, decodeFailedNow, passedNow, failedNow));
    }

    private Truncation opened() {
        Truncation t = truncation;
        if (t == null) {
            throw new IllegalStateException("silver stage of " + silver.location() + " is not open: open() it first");
        }
        return t;
    }

    /**
     * Removes delete markers past their retention; the engine calls it with compaction.
     *
     * @return markers removed
     */
    public long expireDeleteMarkers() {
        DeleteMarkers m = markers;
        if (m == null) {
            return 0;
        }
        try {
            return m.expire(silver.snapshot().transaction(appId).orElse(-1));
        } catch (CommitConflictException e) {
            LOG.info("expiring delete markers of {} gave way to a concurrent writer ({})", silver.location(),
                    e.getMessage());
            return 0;
        }
    }

    private void commitQuarantine(List<Row> rows, long quarantinedUpTo, long upTo) {
        Table q = quarantine;
        if (rows.isEmpty()) {
            return;
        }
        Map<String, Long> byRule = countsByRule(rows);
        if (q != null) {
            q.newCommit().add(Tables.writeFile(q, QuarantineLayout.SCHEMA, rows))
                    .expectTransaction(quarantineAppId, quarantinedUpTo)
                    .setTransaction(quarantineAppId, upTo)
                    .withUserMetadata(CommitNotes.quarantine(pipelineName, quarantinedUpTo + 1, upTo, byRule))
                    .commit("WRITE");
        }
        // One line per batch, never per record: the rows themselves are in the quarantine table.
        StringJoiner text = new StringJoiner(", ");
        byRule.forEach((rule, n) -> text.add(rule + ": " + n));
        LOG.warn("{} records of bronze versions up to {} did not fit silver ({}) and were {}", rows.size(), upTo,
                text, q == null ? "dropped (no quarantine table)" : "quarantined in " + q.location());
    }

    /** @return the count of each rule that quarantined records, in the order first met */
    private static Map<String, Long> countsByRule(List<Row> rows) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Row row : rows) {
            counts.merge(String.valueOf(row.string(QuarantineLayout.RULE)), 1L, Long::sum);
        }
        return counts;
    }

    private synchronized void count(RecordPreparer.Prepared p) {
        decoded += p.decoded;
        decodeFailed += p.decodeFailed;
        decodedNow += p.decoded;
        decodeFailedNow += p.decodeFailed;
        quarantinedNow += p.quarantine.size();
        for (int i = 0; i < passed.length; i++) {
            passed[i] += p.passed[i];
            failed[i] += p.failed[i];
            passedNow[i] += p.passed[i];
            failedNow[i] += p.failed[i];
        }
        quarantined += p.quarantine.size();
        metrics = preparer.metrics(decoded, decodeFailed, passed, failed);
    }

    /**
     * The records of the next merge after {@code consumed}: the versions held in memory where they
     * are, the others read back from bronze (versions without records, such as bronze's own
     * compactions, join the merge at no cost), until the merge's bounds or {@code bronzeVersion}.
     */
    private MergeInput gather(long consumed, long bronzeVersion, HeldBatches held) {
        MergeInput in = new MergeInput(mergeMaxRecords, mergeMaxBytes);
        long next = consumed + 1;
        while (next <= bronzeVersion && !in.full()) {
            long after = held.takeInto(in, next);
            if (after > next) {
                next = after;
                continue;
            }
            long firstHeld = held.firstVersion();
            if (firstHeld == next) {
                break; // the next held batch does not fit this merge: it starts the next one
            }
            // read what is not held, up to the first version that is
            long readTo = firstHeld > next ? Math.min(bronzeVersion, firstHeld - 1) : bronzeVersion;
            next = readBronze(next, readTo, in) + 1;
        }
        in.end(next - 1);
        return in;
    }

    /**
     * Reads bronze versions from..to in order into the merge, stopping after the version that fills
     * it; returns the last version read.
     */
    private long readBronze(long from, long to, MergeInput in) {
        Map<String, SourcePartition> partitions = new HashMap<>();
        for (TableChange change : bronze.changes(from, to)) {
            for (DataFile file : change.addedFiles()) {
                Iterator<Row> it = bronze.read(file, BronzeLayout.SCHEMA);
                while (it.hasNext()) {
                    in.add(RawRecords.fromRow(it.next(), partitions), change.version());
                }
            }
            if (in.full()) {
                return change.version();
            }
        }
        return to;
    }
}
