package io.streamlake.core.engine;

import io.streamlake.Pipeline;
import io.streamlake.core.util.Markers;
import io.streamlake.core.util.Tables;
import io.streamlake.core.util.Workers;
import io.streamlake.event.PositionRange;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.source.RecordArchive;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeFiles;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bronze's part of a micro-batch: keeps only records after each partition's committed marker, writes
 * them (and the archive, if the pipeline keeps one) on all cores, and commits the files with a
 * marker per source partition, fenced by the markers the batch was read from. Called by the engine's
 * thread, except {@link #committedPosition}, which a source's fetch thread may call too.
 */
final class BronzeStage {
    private static final Logger LOG = LoggerFactory.getLogger(BronzeStage.class);
    // What a bronze commit records as its operation parameters, as Spark's streaming append does.
    private static final String OUTPUT_MODE = "outputMode";
    private static final String APPEND = "Append";
    private static final String QUERY_ID = "queryId";
    private static final String EPOCH_ID = "epochId";

    /**
     * Fewest records worth a bronze file of their own: below this the extra file (and the small-file
     * debt compaction pays later) costs more than the second core saves.
     */
    private static final int MIN_PARALLEL_SLICE = 25_000;

    /** The bronze table property that names the pipeline ingesting a source, per source name. */
    static final String OWNER_PROPERTY = "streamlake.bronze.pipeline.";

    private final Pipeline pipeline;
    private final Table bronze;
    private final @Nullable RecordArchive archive;
    private final Workers workers;
    /**
     * The marker each partition's reader position was derived from: the fence for the next commit.
     * Concurrent: the engine thread commits and the fetch thread reads markers when it is assigned a
     * partition.
     */
    private final Map<SourcePartition, Long> expectedMarkers = new ConcurrentHashMap<>();
    /** Engine thread only. */
    private long version = -1;
    /** How long the last {@link #commit} wrote files and committed them, for the batch's timings. Engine thread only. */
    private long writeNanos;
    /** Data files the last commit added: the engine's thread only, as the timings. */
    private int filesWritten;
    private long commitNanos;

    BronzeStage(Pipeline pipeline, Table bronze, Workers workers) {
        this.pipeline = pipeline;
        this.bronze = bronze;
        this.workers = workers;
        this.archive = pipeline.archive().orElse(null);
    }

    /**
     * Creates the table if needed and checks it is this pipeline's.
     *
     * @return the bronze version
     */
    long open() {
        version = checkOwner(bronze.create(BronzeLayout.SCHEMA));
        expectedMarkers.clear();
        return version;
    }

    /**
     * Progress markers are keyed by the pipeline's name, so a pipeline renamed over an existing bronze
     * table finds none of its markers and ingests every event of its source a second time. Bronze
     * records which pipeline ingests each source on first start (tables written before this check get
     * it recorded then) and refuses another name for the same source.
     *
     * @return the bronze version after the check
     */
    private long checkOwner(TableSnapshot snapshot) {
        return Tables.recordOrRefuse(bronze, snapshot, Map.of(OWNER_PROPERTY + pipeline.source().name(),
                pipeline.name()),
                (property, owner, name) -> EngineErrors.sourceOwnedByAnotherPipeline(bronze.location(),
                        pipeline.source().name(), owner, name));
    }

    /** @return the latest bronze version committed or seen at open */
    long version() {
        return version;
    }

    /**
     * Reads a partition's marker from the Delta log, the only truth, and fences the next commit with it.
     *
     * @return the last committed position of the partition, empty if none
     */
    OptionalLong committedPosition(SourcePartition partition) {
        OptionalLong v = bronze.snapshot().transaction(Markers.bronze(pipeline.name(), partition));
        expectedMarkers.put(partition, v.orElse(-1));
        return v;
    }

    /**
     * Keeps only records after each partition's committed marker, so a source that replays (after a
     * rebalance, a retry) can never duplicate a row in bronze; collects the last position per partition.
     *
     * @param polled a poll's records
     * @param last filled with the last kept position per partition
     * @return the records kept ({@code polled} itself when all are)
     */
    List<SourceRecord> keepNew(List<SourceRecord> polled, Map<SourcePartition, Long> last) {
        List<SourceRecord> kept = null;
        // Records come in runs of one partition: the run's marker and last position live in locals,
        // written back when the partition changes, instead of two lookups and a boxed put per record.
        SourcePartition current = null;
        long marker = 0;
        long lastKept = Long.MIN_VALUE;
        boolean keptAny = false;
        for (int i = 0; i < polled.size(); i++) {
            SourceRecord rec = polled.get(i);
            SourcePartition p = rec.partition();
            if (p != current && !p.equals(current)) {
                if (keptAny) {
                    last.put(current, lastKept);
                }
                current = p;
                marker = expectedMarker(p);
                Long prev = last.get(p);
                lastKept = prev == null ? Long.MIN_VALUE : prev;
                keptAny = false;
            }
            if (rec.position() > marker && rec.position() > lastKept) {
                lastKept = rec.position();
                keptAny = true;
                if (kept != null) {
                    kept.add(rec);
                }
            } else if (kept == null) {
                kept = new ArrayList<>(polled.subList(0, i));
            }
        }
        if (keptAny) {
            last.put(current, lastKept);
        }
        return kept == null ? polled : kept;
    }

    /**
     * @param lastPositions the batch's last position per partition, before {@link #commit}
     * @return each partition's range: from the marker the commit expects to replace to the batch's last
     */
    List<PositionRange> positionRanges(Map<SourcePartition, Long> lastPositions) {
        List<PositionRange> ranges = new ArrayList<>(lastPositions.size());
        lastPositions
                .forEach((p, last) -> ranges.add(new PositionRange(p, expectedMarkers.getOrDefault(p, -1L), last)));
        return ranges;
    }

    /** @return the bronze table's location, without credentials */
    String location() {
        return bronze.location();
    }

    private long expectedMarker(SourcePartition p) {
        Long known = expectedMarkers.get(p);
        if (known != null) {
            return known;
        }
        long committed = bronze.snapshot().transaction(Markers.bronze(pipeline.name(), p)).orElse(-1);
        expectedMarkers.put(p, committed);
        return committed;
    }

    /**
     * Writes and commits the batch with its markers.
     *
     * @param records the batch, after {@link #keepNew}
     * @param lastPositions the last position per partition in it
     * @param notes what the commit records about its batch ({@link io.streamlake.core.util.CommitNotes}), given
     *     the number of data files it adds and how long writing them took
     * @param run the run's id, which the commit records as Spark's streaming append records its query's
     * @param batch the batch's number in the run (1, 2, ...), recorded as Spark records its {@code epochId}
     * @return the new bronze version, or empty if another instance moved a marker: the batch is
     *     dropped, and the fences forgotten so that they are read again
     */
    OptionalLong commit(List<SourceRecord> records, Map<SourcePartition, Long> lastPositions,
            Notes notes, String run, long batch) {
        Instant now = Instant.now();
        PendingCommit commit = bronze.newCommit();
        // the markers this commit expects to replace, for the archive's chain of files
        Map<SourcePartition, Long> before = new LinkedHashMap<>();
        for (SourcePartition p : archive == null ? List.<SourcePartition>of() : lastPositions.keySet()) {
            before.put(p, expectedMarkers.getOrDefault(p, -1L));
        }
        long writeStart = System.nanoTime();
        List<DataFile> files = write(records, now, before);
        files.forEach(commit::add);
        filesWritten = files.size();
        commit.withUserMetadata(notes.of(filesWritten, System.nanoTime() - writeStart));
        long commitStart = System.nanoTime();
        writeNanos = commitStart - writeStart;
        commitNanos = 0;
        for (Map.Entry<SourcePartition, Long> e : lastPositions.entrySet()) {
            String appId = Markers.bronze(pipeline.name(), e.getKey());
            commit.expectTransaction(appId, expectedMarkers.getOrDefault(e.getKey(), -1L))
                    .setTransaction(appId, e.getValue());
        }
        try {
            // as Spark's streaming append records it. Each run is a query of its own (a scaled-out
            // pipeline's instances run at once, and keep no batch counter they could share without
            // their commits conflicting), so the batch number is the run's.
            version = commit.withOperationDetails(Map.of(OUTPUT_MODE, APPEND, QUERY_ID, run, EPOCH_ID,
                    Long.toString(batch)), Map.of()).commit("STREAMING UPDATE");
            commitNanos = System.nanoTime() - commitStart;
        } catch (CommitConflictException e) {
            LOG.info("bronze commit on {} conflicted ({}); dropping the batch of {} events and re-reading from"
                    + " the committed positions", bronze.location(), e.getMessage(), records.size());
            expectedMarkers.clear();
            return OptionalLong.empty();
        }
        expectedMarkers.putAll(lastPositions);
        return OptionalLong.of(version);
    }

    /** What a bronze commit records about its batch, once its files are written. */
    interface Notes {
        String of(int files, long writeNanos);
    }

    /** @return the data files the last {@link #commit} added */
    int filesWritten() {
        return filesWritten;
    }

    /** @return how long the last {@link #commit} spent writing the batch's files */
    long writeNanos() {
        return writeNanos;
    }

    /** @return how long the last successful {@link #commit} spent in the commit itself */
    long commitNanos() {
        return commitNanos;
    }

    /**
     * Writes the batch's rows, and its archive if the pipeline keeps one: a large batch as contiguous
     * slices, one data file each, encoded on all cores (Parquet encoding is most of bronze's cost and
     * the source's fetch is single-threaded). The archive is written before the commit (a crash may
     * archive a batch twice, which its reader skips, but never loses one), alongside the slices. The
     * files are returned in slice order, so a catch-up that reads them back sees arrival order.
     */
    private List<DataFile> write(List<SourceRecord> records, Instant now, Map<SourcePartition, Long> before) {
        int slices = (int) Math.max(1, Math.min(workers.parallelism(), records.size() / MIN_PARALLEL_SLICE));
        List<Supplier<@Nullable DataFile>> tasks = new ArrayList<>(slices + 1);
        for (int i = 0; i < slices; i++) {
            List<SourceRecord> slice = records.subList(
                    (int) ((long) records.size() * i / slices), (int) ((long) records.size() * (i + 1) / slices));
            tasks.add(() -> writeSlice(slice, now));
        }
        RecordArchive a = archive;
        if (a != null) {
            tasks.add(() -> {
                a.write(records, before);
                return null;
            });
        }
        if (tasks.size() == 1) {
            return List.of(Objects.requireNonNull(tasks.get(0).get()));
        }
        List<DataFile> files = new ArrayList<>(slices);
        for (DataFile f : workers.all(tasks)) {
            if (f != null) {
                files.add(f);
            }
        }
        return files;
    }

    private DataFile writeSlice(List<SourceRecord> records, Instant now) {
        if (bronze instanceof BronzeFiles files) {
            // a table that can writes columns straight from the records, without a Row each
            try (BronzeFiles.RecordFileWriter w = files.newBronzeFile(now)) {
                for (SourceRecord rec : records) {
                    w.write(rec);
                }
                return w.finish();
            }
        }
        try (DataFileWriter w = bronze.newDataFile(BronzeLayout.SCHEMA)) {
            for (SourceRecord rec : records) {
                w.write(BronzeLayout.toRow(rec, now));
            }
            return w.finish();
        }
    }
}
