package io.streamlake.core.silver;

import io.streamlake.Pipeline;
import io.streamlake.core.util.Markers;
import io.streamlake.core.util.Tables;
import io.streamlake.core.util.Workers;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.Row;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.QuarantineLayout;
import io.streamlake.table.Table;
import io.streamlake.table.TableChange;
import io.streamlake.table.TableSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Sends quarantined records through decode, transforms, expectations and merge again, after the
 * schema, the rules or the records themselves (edited in the quarantine table) were fixed. Records
 * that now pass enter silver; the others stay in quarantine with their new reason.
 *
 * <p>Two tables change, so each gets a marker naming the quarantine version replayed: silver's
 * commit records that it took the records of that version, the quarantine's commit that it let them
 * go. A crash between the two is finished on the next replay without taking any record twice.
 * Internal, not API: applications call {@link Pipeline#replayQuarantine()}.
 */
public final class QuarantineReplay {
    private static final int MAX_CONFLICT_RETRIES = 10;

    private final Table silver;
    private final Table quarantine;
    private final RecordPreparer preparer;
    private final SilverMerger merger;
    private final MergeStrategy pipelineStrategy;
    private final @Nullable DeleteMarkers markers;
    private final Truncation truncation;
    private final String silverAppId;
    private final String taken;
    private final String released;
    /** Closed when the replay ends: a replay is run once. */
    private final Workers workers;

    /**
     * @param pipeline the validated pipeline
     * @param silver its silver table
     * @param quarantine its quarantine table
     * @param deleteMarkers its delete-marker table, or null when the strategy keeps none
     */
    public QuarantineReplay(Pipeline pipeline, Table silver, Table quarantine, @Nullable Table deleteMarkers) {
        this.workers = new Workers(pipeline.writerParallelism(), pipeline.name() + "-replay");
        this.markers = SilverStage.deleteMarkers(pipeline, deleteMarkers, workers);
        this.silverAppId = Markers.silver(pipeline.name());
        this.silver = silver;
        this.quarantine = quarantine;
        this.preparer = new RecordPreparer(pipeline, true, workers);
        this.pipelineStrategy = pipeline.mergeStrategy();
        // The columns the table stores: the caller created it (or a run did) with them.
        SilverColumns columns = SilverColumns.of(pipeline.silverSchema().orElseThrow(), pipeline.mergeStrategy(),
                silver.snapshot().schema().orElse(null));
        this.merger = new SilverMerger(silver, columns, pipeline.silverKeys(),
                pipeline.mergeStrategy(), pipeline.targetFileRows(), pipeline.partitionColumns(), workers,
                SilverFiles.parallelFiles(workers, pipeline.compactionMinFiles()));
        this.truncation = new Truncation(silver, columns, pipeline.mergeStrategy(), merger, workers);
        this.taken = pipeline.name() + "/replay";
        this.released = pipeline.name() + "/replayed";
    }

    /** @return records that left the quarantine (into silver, or filtered or dropped on purpose now) */
    public long run() {
        try {
            int conflicts = 0;
            while (true) {
                try {
                    return attempt();
                } catch (CommitConflictException e) {
                    if (++conflicts > MAX_CONFLICT_RETRIES) {
                        throw e;
                    }
                }
            }
        } finally {
            workers.close();
        }
    }

    private long attempt() {
        TableSnapshot q = quarantine.snapshot();
        TableSnapshot s = silver.snapshot();
        long silverTook = s.transaction(taken).orElse(-1);
        long quarantineReleased = q.transaction(released).orElse(-1);
        if (silverTook > quarantineReleased) {
            // A replay crashed after its silver commit: let go of what silver took, then start afresh.
            Set<String> newer = new HashSet<>();
            for (TableChange c : quarantine.changes(silverTook + 1, q.version())) {
                c.addedFiles().forEach(f -> newer.add(f.path()));
            }
            List<DataFile> replayed = q.files().stream().filter(f -> !newer.contains(f.path())).toList();
            release(replayed, prepare(replayed, new ArrayList<>(), Map.of()).quarantine, quarantineReleased,
                    silverTook);
            q = quarantine.snapshot();
            quarantineReleased = silverTook;
        }
        List<DataFile> files = q.files();
        if (files.isEmpty()) {
            return 0;
        }
        Map<RecordPreparer.Origin, String> mergeFailed = new HashMap<>();
        List<SourceRecord> records;
        RecordPreparer.Prepared prepared;
        Truncation.Batch cut;
        SilverMerger.Result merged;
        do {
            // a record the merge fails on stays in the quarantine, with that reason
            records = new ArrayList<>();
            prepared = prepare(files, records, mergeFailed);
            cut = truncation.begin(s, prepared);
            merged = merge(s, cut, records, prepared);
            RecordPreparer.remember(prepared, merged.failed(), pipelineStrategy, mergeFailed);
        } while (!merged.failed().isEmpty());
        merged = cut.finish(merged);
        cut.record(merged.stage(silver)).expectTransaction(taken, silverTook).setTransaction(taken, q.version())
                .commit("MERGE");
        release(files, prepared.quarantine, quarantineReleased, q.version());
        long recordCount = files.stream().mapToLong(DataFile::rowCount).sum();
        return recordCount - prepared.quarantine.size();
    }

    /**
     * Merges replayed rows into silver. Delete markers are consulted, so a replayed update older
     * than a delete stays out, but not changed: a replay is rare and small, and its own deletes
     * delete as without markers. Silver's truncate watermark applies as to any batch (a replayed
     * event at or below it stays out, a replayed truncate record raises it), through {@code cut}.
     */
    private SilverMerger.Result merge(TableSnapshot s, Truncation.Batch cut, List<SourceRecord> records,
            RecordPreparer.Prepared prepared) {
        DeleteMarkers m = markers;
        Instant latest = records.stream().map(SourceRecord::timestamp).max(Instant::compareTo).orElse(null);
        DeleteMarkers.Batch<?> batch = m == null || latest == null ? null
                : m.begin(prepared.rows, prepared.tombstones, s.transaction(silverAppId).orElse(-1), latest);
        return batch == null ? cut.merger().merge(cut.files(), prepared.rows, prepared.tombstones)
                : cut.merger().merge(batch, cut.files(), prepared.rows, prepared.tombstones);
    }

    private RecordPreparer.Prepared prepare(List<DataFile> files, List<SourceRecord> records,
            Map<RecordPreparer.Origin, String> mergeFailed) {
        List<Long> versions = new ArrayList<>();
        RawRecords.readQuarantine(quarantine, files, records, versions);
        // quarantinedUpTo -1: every record that still fails is quarantined again, with today's reason
        return preparer.prepare(records, versions.stream().mapToLong(Long::longValue).toArray(), -1, mergeFailed);
    }

    private void release(List<DataFile> replayed, List<Row> stillFailing, long expected, long version) {
        PendingCommit commit = quarantine.newCommit();
        replayed.forEach(commit::remove);
        if (!stillFailing.isEmpty()) {
            commit.add(Tables.writeFile(quarantine, QuarantineLayout.SCHEMA, stillFailing));
        }
        commit.expectTransaction(released, expected).setTransaction(released, version).commit("REPLAY");
    }
}
