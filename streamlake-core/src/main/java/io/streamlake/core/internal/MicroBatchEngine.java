package io.streamlake.core.internal;

import io.streamlake.Pipeline;
import io.streamlake.core.delta.BronzeFileWriter;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.capture.CaptureArchiveWriter;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SourceException;
import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The synchronous heart of a run: one call of {@link #runOnce(Duration)} polls one micro-batch,
 * commits it to bronze with a marker per source partition, and brings silver up to that bronze
 * version. Both the streaming run and the testkit's driver use it, so tests exercise the real path.
 * Internal, not API.
 */
public final class MicroBatchEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatchEngine.class);

    /**
     * Fewest records worth a bronze file of their own: below this the extra file (and the small-file
     * debt compaction pays later) costs more than the second core saves.
     */
    private static final int MIN_PARALLEL_SLICE = 25_000;

    private final Pipeline pipeline;
    private final Table bronze;
    private final @Nullable SilverStage silver;
    private final List<Compactor> compactors = new ArrayList<>();
    private final @Nullable RecordArchive archive;
    /** The marker each partition's reader position was derived from: the fence for the next commit. */
    private final Map<SourcePartition, Long> expectedMarkers = new ConcurrentHashMap<>();
    private final List<PositionGap> gaps = new CopyOnWriteArrayList<>();
    /** The batch's helper threads, at the pipeline's writer parallelism; closed with the engine. */
    private final Workers workers;
    private @Nullable SourceReader reader;
    private @Nullable ExecutorService prefetcher;
    private @Nullable Future<List<SourceRecord>> prefetched;
    private volatile @Nullable Thread fetchThread;
    /** Completed once the batch being written is committed or dropped; the prefetch's marker reads wait for it. */
    private volatile CompletableFuture<@Nullable Void> bronzeSettled = CompletableFuture.completedFuture(null);
    /** Positions committed while the reader was busy prefetching, for its next idle moment. */
    private final Map<SourcePartition, Long> uncommunicated = new LinkedHashMap<>();
    private long bronzeVersion = -1;
    private boolean lastPollEmpty;

    /** What one micro-batch did. */
    public record BatchResult(int events, long bronzeVersion, long silverRowsChanged, boolean conflict,
            long bronzeNanos, long silverNanos) {
        static final BatchResult EMPTY = new BatchResult(0, -1, 0, false, 0, 0);
    }

    /**
     * @param pipeline the validated description
     * @param bronze the bronze table
     * @param silver the silver table, or null for a bronze-only pipeline
     * @param quarantine the quarantine table, or null to stop on records that cannot enter silver
     */
    public MicroBatchEngine(Pipeline pipeline, Table bronze, @Nullable Table silver, @Nullable Table quarantine) {
        this(pipeline, bronze, silver, quarantine, pipeline.deleteMarkers()
                .map(t -> Tables.resolve(t, pipeline.storageOptions())).orElse(null));
    }

    /**
     * @param pipeline the validated description
     * @param bronze the bronze table
     * @param silver the silver table, or null for a bronze-only pipeline
     * @param quarantine the quarantine table, or null to stop on records that cannot enter silver
     * @param deleteMarkers the delete-marker table, or null when the strategy keeps none
     */
    public MicroBatchEngine(Pipeline pipeline, Table bronze, @Nullable Table silver, @Nullable Table quarantine,
            @Nullable Table deleteMarkers) {
        this.pipeline = pipeline;
        this.bronze = bronze;
        this.workers = new Workers(pipeline.writerParallelism(), pipeline.name());
        this.silver = silver == null ? null
                : new SilverStage(pipeline, bronze, silver, quarantine, deleteMarkers, workers);
        this.archive = pipeline.captureArchive().isPresent() ? openArchive(pipeline) : null;
        if (pipeline.compactionMinFiles() > 0) {
            compactors.add(new Compactor(bronze, BronzeRows.SCHEMA, pipeline.targetFileRows(),
                    pipeline.compactionMinFiles(), List.of()));
            if (silver != null) {
                compactors.add(new Compactor(silver, pipeline.silverSchema().orElseThrow(), pipeline.targetFileRows(),
                        pipeline.compactionMinFiles(), pipeline.silverKeys()));
            }
        }
    }

    /** Only here is the Capture archive, and so Avro, loaded: a pipeline without one never needs Avro. */
    private static RecordArchive openArchive(Pipeline pipeline) {
        try {
            return CaptureArchiveWriter.open(pipeline.captureArchive().orElseThrow(), pipeline.captureArchiveNamespace(),
                    pipeline.storageOptions());
        } catch (NoClassDefFoundError e) {
            throw new ConfigurationException("the capture archive of pipeline " + pipeline.name() + " needs Apache"
                    + " Avro, which is not on the class path (" + e.getMessage() + "): add the dependency"
                    + " org.apache.avro:avro (the version streamlake-core declares), or drop withCaptureArchive", e);
        }
    }

    /**
     * Combines small files of bronze and silver where enough of them have piled up, in commits that
     * change no data, and expires silver's delete markers past their retention. Safe between
     * micro-batches; gives way to concurrent writers.
     *
     * @return files replaced
     */
    public int compact() {
        int removed = 0;
        for (Compactor c : compactors) {
            removed += c.compactIfWorthIt();
        }
        if (silver != null) {
            silver.expireDeleteMarkers();
        }
        return removed;
    }

    /** Creates the tables if needed, finishes any silver work a crash left behind, opens the source. */
    public void open() {
        bronzeVersion = checkOwner(bronze.create(BronzeRows.SCHEMA));
        if (silver != null) {
            silver.open();
            // A crash between the bronze and the silver commit leaves silver behind: catch up first.
            silver.catchUp(bronzeVersion, null);
        }
        expectedMarkers.clear();
        reader = pipeline.source().open(new MarkerContext());
    }

    /** The bronze table property that names the pipeline ingesting a source, per source name. */
    static final String OWNER_PROPERTY = "streamlake.bronze.pipeline.";

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
                pipeline.name()), (property, owner, name) -> new ConfigurationException("bronze table "
                        + bronze.location() + " holds source '" + pipeline.source().name() + "' as ingested by"
                        + " pipeline '" + owner + "', and this pipeline is named '" + name + "': progress is kept by"
                        + " pipeline name, so it would ingest every event of the source again. Use withName(\""
                        + owner + "\") to continue where '" + owner + "' is, or write to a new bronze table path to"
                        + " ingest everything afresh"));
    }

    /**
     * Polls and commits one micro-batch.
     *
     * @param pollTimeout how long to wait for records
     * @return what happened; {@code events == 0} when the source had nothing
     */
    public BatchResult runOnce(Duration pollTimeout) {
        SourceReader r = reader;
        if (r == null) {
            throw new IllegalStateException("open() first");
        }
        List<SourceRecord> polled = nextPoll(r, pollTimeout);
        lastPollEmpty = polled.isEmpty();
        if (polled.isEmpty()) {
            return BatchResult.EMPTY;
        }
        if (prefetcher != null) {
            // The next batch is fetched while this one is encoded and committed. An empty poll starts
            // nothing, so caughtUp() and close() find the reader idle. A marker the fetch asks for
            // waits for this batch's commit (see MarkerContext), so sources see every earlier batch.
            bronzeSettled = new CompletableFuture<>();
            prefetched = prefetcher.submit(() -> r.poll(pipeline.maxBatchRecords(), pollTimeout));
        }
        Map<SourcePartition, Long> lastPositions = new LinkedHashMap<>();
        List<SourceRecord> records;
        long version;
        long start = System.nanoTime();
        try {
            records = dropAlreadyCommitted(polled, lastPositions);
            polled = null; // records holds every record kept; see the silver hand-over below
            if (records.isEmpty()) {
                return BatchResult.EMPTY;
            }
            Long committed = commitBronze(r, records, lastPositions);
            if (committed == null) {
                return new BatchResult(0, bronzeVersion, 0, true, 0, 0);
            }
            version = committed;
        } finally {
            bronzeSettled.complete(null);
        }
        int events = records.size();
        // Handed over with no reference left here, so that silver can let the raw records go once decoded.
        AtomicReference<List<SourceRecord>> batch = new AtomicReference<>(records);
        records = null;
        long silverStart = System.nanoTime();
        long silverChanged = silver == null ? 0 : silver.catchUp(version, batch);
        long end = System.nanoTime();
        return new BatchResult(events, version, silverChanged, false, silverStart - start, end - silverStart);
    }

    /**
     * Writes and commits the batch to bronze with its markers.
     *
     * @return the new bronze version, or null if another instance moved a marker (the batch is dropped
     *     and the reader rewound)
     */
    private @Nullable Long commitBronze(SourceReader r, List<SourceRecord> records,
            Map<SourcePartition, Long> lastPositions) {
        Instant now = Instant.now();
        PendingCommit commit = bronze.newCommit();
        // the markers this commit expects to replace, for the archive's chain of files
        Map<SourcePartition, Long> before = new LinkedHashMap<>();
        for (SourcePartition p : archive == null ? List.<SourcePartition>of() : lastPositions.keySet()) {
            before.put(p, expectedMarkers.getOrDefault(p, -1L));
        }
        for (DataFile file : writeBronze(records, now, before)) {
            commit.add(file);
        }
        for (Map.Entry<SourcePartition, Long> e : lastPositions.entrySet()) {
            String appId = Markers.bronze(pipeline.name(), e.getKey());
            commit.expectTransaction(appId, expectedMarkers.getOrDefault(e.getKey(), -1L))
                    .setTransaction(appId, e.getValue());
        }
        long version;
        try {
            version = commit.commit("STREAMING UPDATE");
        } catch (CommitConflictException e) {
            // Another instance took one of these partitions: drop the batch and read again from the markers.
            LOG.info("bronze commit on {} conflicted ({}); dropping the batch of {} events and re-reading from"
                    + " the committed positions", bronze.location(), e.getMessage(), records.size());
            bronzeSettled.complete(null); // the prefetch may wait on it; it is dropped next
            discardPrefetched();
            expectedMarkers.clear();
            r.rewind();
            return null;
        }
        bronzeVersion = version;
        expectedMarkers.putAll(lastPositions);
        if (prefetched == null) {
            reportCommitted(r, lastPositions);
        } else {
            // The reader is busy with the next poll: it hears of this commit when that poll is back.
            uncommunicated.putAll(lastPositions);
        }
        return version;
    }

    /**
     * Lets the next batch be fetched while the current one is written: worth it for a streaming run,
     * where a source's fetch (network, decompression) would otherwise leave the cores idle. Not for
     * the testkit's driver, whose {@code pipe()} must see exactly what was sent before it.
     */
    public void prefetchNextBatch() {
        if (prefetcher == null) {
            prefetcher = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "streamlake-fetch-" + pipeline.name());
                t.setDaemon(true);
                fetchThread = t;
                return t;
            });
        }
    }

    /** The prefetched batch if one is in flight, else a poll now; either way the reader is idle after. */
    private List<SourceRecord> nextPoll(SourceReader r, Duration pollTimeout) {
        Future<List<SourceRecord>> f = prefetched;
        prefetched = null;
        List<SourceRecord> polled;
        try {
            polled = f == null ? r.poll(pipeline.maxBatchRecords(), pollTimeout) : join(f);
        } catch (RuntimeException e) {
            throw e instanceof SourceException ? e : new SourceException("polling source '" + pipeline.source().name()
                    + "' failed: " + e.getMessage() + "; the pipeline stopped with every committed event safe;"
                    + " fix the source and restart", e);
        }
        if (!uncommunicated.isEmpty()) {
            reportCommitted(r, uncommunicated);
            uncommunicated.clear();
        }
        return polled;
    }

    private static List<SourceRecord> join(Future<List<SourceRecord>> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new SourceException("polling failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SourceException("interrupted while waiting for the source's next batch", e);
        }
    }

    /** Waits for an in-flight poll and drops what it read: nothing of it was committed. */
    private void discardPrefetched() {
        Future<List<SourceRecord>> f = prefetched;
        prefetched = null;
        if (f != null) {
            try {
                join(f);
            } catch (RuntimeException e) {
                LOG.debug("a prefetched poll failed while its batch was being dropped", e);
            }
        }
    }

    private void reportCommitted(SourceReader r, Map<SourcePartition, Long> positions) {
        try {
            r.committed(positions);
        } catch (RuntimeException e) {
            LOG.warn("source '{}' could not record committed positions for monitoring: {}",
                    pipeline.source().name(), e.toString());
        }
    }

    /**
     * Writes the batch's bronze rows, and its archive if the pipeline keeps one: a large batch as
     * contiguous slices, one data file each, encoded on all cores (Parquet encoding is most of bronze's
     * cost and the source's fetch is single-threaded). The archive is written before the commit (a
     * crash may archive a batch twice, which its reader skips, but never loses one), alongside the
     * slices. The files are returned in slice order, so a catch-up that reads them back sees arrival order.
     */
    private List<DataFile> writeBronze(List<SourceRecord> records, Instant now, Map<SourcePartition, Long> before) {
        int slices = (int) Math.max(1, Math.min(workers.parallelism(), records.size() / MIN_PARALLEL_SLICE));
        List<Supplier<@Nullable DataFile>> tasks = new ArrayList<>(slices + 1);
        for (int i = 0; i < slices; i++) {
            List<SourceRecord> slice = records.subList(
                    (int) ((long) records.size() * i / slices), (int) ((long) records.size() * (i + 1) / slices));
            tasks.add(() -> writeBronzeSlice(slice, now));
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

    private DataFile writeBronzeSlice(List<SourceRecord> records, Instant now) {
        if (bronze instanceof DeltaTable delta) {
            // the Delta path writes columns straight from the records, without a Row each
            try (BronzeFileWriter w = delta.newBronzeFile(now)) {
                for (SourceRecord rec : records) {
                    w.write(rec);
                }
                return w.finish();
            }
        }
        try (DataFileWriter w = bronze.newDataFile(BronzeRows.SCHEMA)) {
            for (SourceRecord rec : records) {
                w.write(BronzeRows.toRow(rec, now));
            }
            return w.finish();
        }
    }

    /**
     * Keeps only records after each partition's committed marker, so a source that replays (after a
     * rebalance, a retry) can never duplicate a row in bronze; collects the last position per partition.
     */
    private List<SourceRecord> dropAlreadyCommitted(List<SourceRecord> polled, Map<SourcePartition, Long> last) {
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

    private long expectedMarker(SourcePartition p) {
        Long known = expectedMarkers.get(p);
        if (known != null) {
            return known;
        }
        long committed = bronze.snapshot().transaction(Markers.bronze(pipeline.name(), p)).orElse(-1);
        expectedMarkers.put(p, committed);
        return committed;
    }

    /** @return true when the last poll returned nothing and the source says it is at the end */
    public boolean caughtUp() {
        SourceReader r = reader;
        return lastPollEmpty && r != null && r.caughtUp();
    }

    /** @return the gaps sources reported since this engine was created */
    public List<PositionGap> gaps() {
        return List.copyOf(gaps);
    }

    /** @return the latest bronze version this engine committed or saw at open */
    public long bronzeVersion() {
        return bronzeVersion;
    }

    /** @return records quarantined by this engine */
    public long quarantined() {
        return silver == null ? 0 : silver.quarantined();
    }

    /** @return expectation and decode counts of this engine, empty without silver */
    public List<ExpectationMetrics> expectationMetrics() {
        return silver == null ? List.of() : silver.metrics();
    }

    /** @return the latest silver version, -1 without silver */
    public long silverVersion() {
        return silver == null ? -1 : silver.version();
    }

    @Override
    public void close() {
        SourceReader r = reader;
        reader = null;
        try {
            discardPrefetched();
        } finally {
            if (prefetcher != null) {
                prefetcher.shutdown();
            }
            workers.close();
            if (r != null) {
                if (!uncommunicated.isEmpty()) {
                    reportCommitted(r, uncommunicated);
                    uncommunicated.clear();
                }
                r.close();
            }
        }
    }

    /** Reads progress from the bronze Delta log, the only truth, whenever a reader asks. */
    private final class MarkerContext implements SourceContext {
        @Override
        public String pipelineName() {
            return pipeline.name();
        }

        @Override
        public void reportGap(PositionGap gap) {
            LOG.error("DATA LOSS: source '{}' no longer holds positions {} to {} of partition {} ({} events);"
                    + " skipping ahead as configured. Recover them from an archive if you have one.",
                    pipeline.source().name(), gap.fromPosition(), gap.toPosition() - 1, gap.partition(), gap.count());
            gaps.add(gap);
        }

        @Override
        public Map<String, String> storageOptions() {
            return pipeline.storageOptions();
        }

        @Override
        public OptionalLong committedPosition(SourcePartition partition) {
            if (Thread.currentThread() == fetchThread) {
                bronzeSettled.join(); // a marker read ahead of the commit in progress would be stale
            }
            OptionalLong v = bronze.snapshot().transaction(Markers.bronze(pipeline.name(), partition));
            expectedMarkers.put(partition, v.orElse(-1));
            return v;
        }
    }
}
