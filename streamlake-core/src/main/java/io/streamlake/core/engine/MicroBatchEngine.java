package io.streamlake.core.engine;

import io.streamlake.Pipeline;
import io.streamlake.core.silver.HeldBatches;
import io.streamlake.table.Erasure;
import io.streamlake.core.silver.SilverStage;
import io.streamlake.core.util.CommitNotes;
import io.streamlake.core.util.Workers;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.BatchTimings;
import io.streamlake.event.CommitConflicted;
import io.streamlake.event.PipelineFailed;
import io.streamlake.event.PipelineListener;
import io.streamlake.event.PipelineStarted;
import io.streamlake.event.PipelineStopped;
import io.streamlake.event.PositionRange;
import io.streamlake.event.PositionsSkipped;
import io.streamlake.exceptions.SourceException;
import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.source.BatchLimits;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.spi.BatchEngine;
import io.streamlake.spi.BatchResult;
import io.streamlake.spi.PipelineTables;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.Table;
import io.streamlake.table.Vacuumed;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of a run, in two steps: {@link #ingestOnce(Duration)} polls one micro-batch and commits
 * it to bronze with a marker per source partition ({@link BronzeStage}), then hands it to silver
 * ({@link SilverFeed}); {@link #mergeSilver()} brings silver up to every bronze version handed over
 * since its last merge, in one merge ({@link SilverStage}). {@link #runOnce(Duration)} does both in
 * turn; a streaming run ({@link EngineRun}) does them on two threads, so that silver merges while
 * bronze ingests. The testkit's driver uses the same steps, so tests exercise the real path.
 * Internal, not API.
 *
 * <p>Threads: {@link #ingestOnce} (with {@link #awaitSilverRoom}, {@link #compactBronze} and
 * {@link #finishSilver}) is called by one thread at a time, the ingesting one; {@link #mergeSilver}
 * (with {@link #awaitSilverWork}, {@link #mergeOthers} and {@link #compactSilver}) by one thread at a
 * time, the merging one, which may be the same thread or another running at the same time;
 * {@link #compactBronzeBeside} and {@link #vacuum} by a third (a run's maintenance thread), beside both,
 * as their commits only rearrange or remove nothing the others read. {@link #open()},
 * {@link #runOnce}, {@link #compact()} and {@link #close()} are called while neither step runs. The
 * two steps share only what is safe to share: the tables (safe for concurrent use), the
 * {@link SilverFeed} (its monitor), the {@link Workers} (any number of callers), the listeners
 * ({@link Listeners} delivers one event at a time) and the failure (an atomic reference). The
 * batch's work fans out to {@link Workers}, and with {@link #prefetchNextBatch()} the source's polls
 * run on a fetch thread of their own ({@link PrefetchingReader}); {@link #gaps()} and the metrics
 * getters may be read from any thread.
 */
public final class MicroBatchEngine implements BatchEngine {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatchEngine.class);

    /** This engine's run as the bronze commits' {@code queryId} names it: each run is a query of its own. */
    private final String runId = UUID.randomUUID().toString();
    private final Pipeline pipeline;
    /** Every table of the pipeline, for {@link #vacuum()}. */
    private final List<Table> tables;
    private final BronzeStage bronze;
    private final Table bronzeTable;
    /**
     * The latest bronze version this instance committed (a batch or a compaction) or saw at open:
     * written by the ingesting thread, read by the merging one ({@link #mergeOthers}).
     */
    private volatile long ownBronzeVersion = -1;
    private final @Nullable SilverStage silver;
    private final @Nullable Compactor bronzeCompactor;
    private final @Nullable Compactor silverCompactor;
    /** The hand-over to silver, made by {@link #open()}; null without silver. */
    private volatile @Nullable SilverFeed feed;
    /** Reported by the source from the fetch thread, read by monitoring from any thread. */
    private final List<PositionGap> gaps = new CopyOnWriteArrayList<>();
    /** The batch's helper threads, at the pipeline's writer parallelism; closed with the engine. */
    private final Workers workers;
    private final Listeners listeners;
    /** Gaps reported on the fetch thread, handed to the listeners on the engine's thread. */
    private final Queue<PositionGap> unreportedGaps = new ConcurrentLinkedQueue<>();
    /**
     * The lag the source reported with the last poll: replaced (an immutable map) by the engine's
     * thread, read by monitoring from any thread, hence volatile.
     */
    private volatile Map<SourcePartition, Long> recordsBehind = Map.of();
    // The ingesting thread only (open() and close() run while neither step does).
    private @Nullable PrefetchingReader reader;
    private boolean prefetch;
    private boolean lastPollEmpty;
    private boolean opened;
    /**
     * What the first call that failed threw: the engine ends with it, for the listeners. Both steps
     * may fail at once, on two threads: the first failure wins and carries the other as suppressed.
     */
    private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    // the ingesting thread writes them; close() reads them after both steps ended
    private long batches;
    private long events;

    private static final BatchResult EMPTY = new BatchResult(0, -1, 0, false, 0, 0);

    /**
     * @param pipeline the validated description
     * @param tables its tables ({@link DefaultPipelineEngine#tables}, or wrapped by a test)
     */
    public MicroBatchEngine(Pipeline pipeline, PipelineTables tables) {
        this.pipeline = pipeline;
        this.tables = java.util.stream.Stream.of(tables.bronze(), tables.silver(), tables.quarantine(),
                tables.deleteMarkers(), tables.changeFeed(), tables.eventLog()).filter(Objects::nonNull).toList();
        this.workers = new Workers(pipeline.writerParallelism(), pipeline.name());
        Table eventLog = tables.eventLog();
        List<PipelineListener> all = new ArrayList<>(pipeline.listeners());
        if (eventLog != null) {
            // the event log hears what the listeners hear, after them, on the same thread
            all.add(new EventLog(pipeline.name(), eventLog, tables.bronze(), tables.silver(), tables.quarantine()));
        }
        this.listeners = new Listeners(pipeline.name(), all);
        this.bronze = new BronzeStage(pipeline, tables.bronze(), workers);
        this.bronzeTable = tables.bronze();
        Table silverTable = tables.silver();
        this.silver = silverTable == null ? null
                : new SilverStage(pipeline, tables.bronze(), silverTable, tables.quarantine(), tables.deleteMarkers(),
                        tables.changeFeed(), workers);
        boolean compacting = pipeline.compactionMinFiles() > 0;
        this.bronzeCompactor = !compacting ? null
                : new Compactor(tables.bronze(), BronzeLayout.SCHEMA, pipeline.targetFileRows(),
                        pipeline.compactionMinFiles(), List.of());
        this.silverCompactor = !compacting || silverTable == null ? null
                : new Compactor(silverTable, pipeline.silverSchema().orElseThrow(), pipeline.targetFileRows(),
                        pipeline.compactionMinFiles(), pipeline.silverKeys());
    }

    /**
     * Combines small files of bronze and silver where enough of them have piled up, in commits that
     * change no data, and expires silver's delete markers past their retention. Safe between
     * micro-batches; gives way to concurrent writers.
     *
     * @return files replaced
     */
    @Override
    public int compact() {
        return failureRecorded(this::compactTables);
    }

    @Override
    public Erasure erase(Collection<?> keys) {
        SilverStage s = silver;
        if (s == null) {
            throw EngineErrors.eraseWithoutSilver(pipeline.name());
        }
        // not a failure of the run: a key that does not fit is the caller's to fix, and a failed
        // erasure leaves the tables consistent, finished by the next erase or open
        return s.erase(keys);
    }

    private int compactTables() {
        return compactBronzeTable() + compactSilverTable();
    }

    /**
     * Bronze's part of {@link #compact()}, on the ingesting thread.
     *
     * @return files replaced
     */
    public int compactBronze() {
        return failureRecorded(this::compactBronzeTable);
    }

    /**
     * Silver's part of {@link #compact()} (its small files and the delete markers), on the merging
     * thread, where it cannot race silver's own merges.
     *
     * @return files replaced
     */
    public int compactSilver() {
        return failureRecorded(this::compactSilverTable);
    }

    /**
     * Bronze's compaction on a thread beside the ingesting one (the run's maintenance thread): its
     * commit only rearranges files, so bronze's appends go on meanwhile. A failure is logged, not the
     * run's: the next compaction tries again.
     *
     * @return files replaced
     */
    public int compactBronzeBeside() {
        try {
            return compactBronzeTable();
        } catch (RuntimeException e) {
            LOG.warn("compaction of bronze of {} failed; the next one tries again: {}", pipeline.name(),
                    e.getMessage(), e);
            return 0;
        }
    }

    private int compactBronzeTable() {
        int replaced = bronzeCompactor == null ? 0 : bronzeCompactor.compactIfWorthIt();
        if (replaced > 0) {
            // (another instance's commit in between counts as ours: it is merged with the next one)
            ownBronzeVersion = Math.max(ownBronzeVersion, bronzeTable.snapshot().version());
        }
        return replaced;
    }

    private int compactSilverTable() {
        int removed = silverCompactor == null ? 0 : silverCompactor.compactIfWorthIt();
        if (silver != null) {
            silver.expireDeleteMarkers();
        }
        return removed;
    }

    /**
     * Vacuums every table of the pipeline ({@link Table#vacuum()}); on any thread, beside both steps, as
     * it commits nothing. A table that fails is logged and left for the next time, never failing the run.
     *
     * @return what was deleted, all tables together
     */
    public Vacuumed vacuum() {
        long files = 0;
        long bytes = 0;
        for (Table t : tables) {
            try {
                Vacuumed v = t.vacuum();
                files += v.files();
                bytes += v.bytes();
            } catch (RuntimeException e) {
                LOG.warn("vacuum of {} failed; it is tried again at the next interval: {}", t.location(),
                        e.getMessage(), e);
            }
        }
        return new Vacuumed(files, bytes);
    }

    /** Creates the tables if needed, finishes any silver work a crash left behind, opens the source. */
    @Override
    public void open() {
        failureRecorded(() -> {
            openTablesAndSource();
            return null;
        });
        opened = true;
        if (listeners.any()) {
            listeners.fire(new PipelineStarted(pipeline.name(), Instant.now(), bronzeVersion(), silverVersion()));
        }
    }

    private void openTablesAndSource() {
        long bronzeVersion = bronze.open();
        ownBronzeVersion = bronzeVersion;
        if (silver != null) {
            silver.open();
            // A crash between the bronze and the silver commit leaves silver behind: catch up first.
            silver.catchUp(bronzeVersion, null);
            feed = new SilverFeed(pipeline.maxSilverLag(), SilverStage.mergeBytes(pipeline), bronzeVersion);
        }
        PrefetchingReader r = PrefetchingReader.open(pipeline.source(), new MarkerContext());
        if (silver == null && bronze.canWriteAsFetched()) {
            // nothing but bronze's file needs a batch's records: written as fetched, none outlives its poll
            r.writeAsFetched(bronze::writeAsFetched);
        }
        if (prefetch) {
            r.startPrefetching(fetchThreadName());
        }
        reader = r;
    }

    /**
     * Polls and commits one micro-batch to bronze, then brings silver up to it: {@link #ingestOnce}
     * and {@link #mergeSilver} in turn, on the calling thread.
     *
     * @param pollTimeout how long to wait for records
     * @return what happened; {@code events == 0} when the source had nothing
     */
    @Override
    public BatchResult runOnce(Duration pollTimeout) {
        BatchResult bronzeDone = ingestOnce(pollTimeout);
        if (bronzeDone.events() == 0 || silver == null) {
            return bronzeDone;
        }
        long start = System.nanoTime();
        long changed = mergeSilver();
        return new BatchResult(bronzeDone.events(), bronzeDone.bronzeVersion(), changed, false,
                bronzeDone.bronzeNanos(), System.nanoTime() - start);
    }

    /**
     * Polls and commits one micro-batch to bronze, and hands it to silver for the next
     * {@link #mergeSilver()}. Never waits for silver: a caller that runs the two on separate threads
     * waits in {@link #awaitSilverRoom} first.
     *
     * @param pollTimeout how long to wait for records
     * @return what happened to bronze; {@code events == 0} when the source had nothing
     */
    @Override
    public BatchResult ingestOnce(Duration pollTimeout) {
        BatchResult result = failureRecorded(() -> pollAndCommit(pollTimeout));
        reportGaps();
        return result;
    }

    /**
     * Brings silver up to every bronze version handed over since its last merge, in one merge where
     * the merge's bounds allow, and tells the listeners each of those batches is committed.
     *
     * @return silver rows changed; 0 without silver or when nothing was handed over
     */
    @Override
    public long mergeSilver() {
        SilverFeed f = feed;
        if (f == null || silver == null) {
            return 0;
        }
        return failureRecorded(() -> merge(f, silver));
    }

    /**
     * Waits while silver is as many bronze commits behind as the pipeline allows.
     *
     * @param stopped ends the wait when true
     * @return false if the wait ended because of {@code stopped}; true (at once) without silver
     * @throws RuntimeException what the merging thread failed with, if it did
     */
    public boolean awaitSilverRoom(BooleanSupplier stopped) {
        SilverFeed f = feed;
        if (f == null) {
            return true;
        }
        try {
            return f.awaitRoom(stopped);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineErrors.interruptedWaitingForSilver(pipeline.name(), e);
        }
    }

    /**
     * Waits for bronze to hand over a batch, on the merging thread.
     *
     * @return true when there is one to merge; false once {@link #finishSilver()} was called and
     *     everything handed over is merged (or there is no silver)
     */
    public boolean awaitSilverWork() {
        SilverFeed f = feed;
        if (f == null) {
            return false;
        }
        try {
            return f.awaitWork();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineErrors.interruptedWaitingForSilver(pipeline.name(), e);
        }
    }

    /**
     * On the merging thread, once bronze handed over its last batch and the feed is drained: brings
     * silver up to what this instance committed to bronze (and, when it merges silver, to what every
     * instance did), so that a run that stops leaves its events in silver, also when another instance
     * was merging silver meanwhile. A no-op after a failure, or when silver is there already.
     *
     * @return silver rows changed
     */
    public long finishMerging() {
        SilverStage s = silver;
        if (s == null || feed == null || failure.get() != null) {
            return 0;
        }
        return failureRecorded(() -> {
            // bronze's thread wrote its version before it finished the feed, whose monitor this thread took since
            long upTo = bronze.version();
            if (silverWriter()) {
                // other instances' commits too, but not a version of our own compaction: it holds no data
                long latest = bronzeTable.snapshot().version();
                upTo = latest > ownBronzeVersion ? latest : upTo;
            }
            return s.catchUp(upTo, null);
        });
    }

    /** Bronze hands over no more batches: the merging thread ends once it merged what it has. */
    public void finishSilver() {
        SilverFeed f = feed;
        if (f != null) {
            f.finish();
        }
    }

    /**
     * The merging thread failed with this: the engine ends with it, and bronze stops waiting for it.
     *
     * @param t what the merging thread threw
     */
    public void silverFailed(Throwable t) {
        record(t);
        SilverFeed f = feed;
        if (f != null) {
            f.fail(t);
        }
    }

    /** @throws RuntimeException what the merging thread failed with, if it did ({@link #silverFailed}) */
    public void rethrowSilverFailure() {
        SilverFeed f = feed;
        if (f != null) {
            f.rethrowFailure();
        }
    }

    /** @return bronze commits handed to silver and not merged yet; 0 without silver */
    public int silverLag() {
        SilverFeed f = feed;
        return f == null ? 0 : f.lag();
    }

    /** Runs a step, keeping what it throws: the engine then ends with that failure, for the listeners. */
    private <T> T failureRecorded(Supplier<T> step) {
        try {
            return step.get();
        } catch (RuntimeException | Error e) {
            record(e);
            throw e;
        }
    }

    /** Keeps the first failure; a second one, from the other step, is added to it as suppressed. */
    private void record(Throwable t) {
        if (!failure.compareAndSet(null, t)) {
            Throwable first = failure.get();
            if (first != null && first != t && !List.of(first.getSuppressed()).contains(t)) {
                first.addSuppressed(t);
            }
        }
    }

    private BatchResult pollAndCommit(Duration pollTimeout) {
        PrefetchingReader r = reader;
        if (r == null) {
            throw EngineErrors.notOpen();
        }
        long pollStart = System.nanoTime();
        PrefetchingReader.Fetched fetched = poll(r, pollTimeout);
        long pollNanos = System.nanoTime() - pollStart;
        RuntimeException writeFailure = fetched.writeFailure();
        if (writeFailure != null) {
            throw writeFailure; // bronze's own failure, on the fetch thread: not the source's
        }
        BronzeStage.WrittenBatch written = fetched.written();
        List<SourceRecord> polled = fetched.records();
        fetched = null; // see the silver hand-over below
        Map<SourcePartition, Long> behind = r.recordsBehind();
        recordsBehind = behind;
        lastPollEmpty = polled.isEmpty() && written == null;
        if (lastPollEmpty) {
            return EMPTY;
        }
        Map<SourcePartition, Long> lastPositions = new LinkedHashMap<>();
        List<SourceRecord> records = List.of();
        int events;
        long version;
        long start = System.nanoTime();
        List<PositionRange> positions = List.of();
        long bytes = 0;
        try {
            if (written != null) {
                lastPositions.putAll(written.lastPositions());
                events = written.records();
                bytes = written.bytes();
            } else {
                records = bronze.keepNew(polled, lastPositions);
                polled = null; // records holds every record kept; see the silver hand-over below
                events = records.size();
                if (events > 0) {
                    bytes = bytes(records); // a pass over the batch's lengths
                }
            }
            if (events == 0) {
                return EMPTY;
            }
            // what the commit records about its batch (and the listeners hear): one range per partition
            positions = bronze.positionRanges(lastPositions);
            int count = events;
            long size = bytes;
            List<PositionRange> ranges = positions;
            BronzeStage.Notes notes = (files, writeNanos) -> CommitNotes.bronze(pipeline.name(), count, size, ranges,
                    files, writeNanos);
            OptionalLong committed = written != null ? bronze.commitWritten(written, notes, runId, batches + 1)
                    : bronze.commit(records, lastPositions, notes, runId, batches + 1);
            if (committed.isEmpty()) {
                // Another instance took one of these partitions: drop the batch and read again from the markers.
                r.rewind();
                if (listeners.any()) {
                    listeners.fire(new CommitConflicted(pipeline.name(), Instant.now(), bronze.location(), events));
                }
                return new BatchResult(0, bronze.version(), 0, true, 0, 0);
            }
            version = committed.getAsLong();
            ownBronzeVersion = version;
        } finally {
            r.batchSettled();
        }
        r.committed(lastPositions);
        long committedAt = System.nanoTime();
        batches++;
        this.events += events;
        SilverFeed.BronzeDone done = new SilverFeed.BronzeDone(batches, events, positions, pollNanos,
                bronze.writeNanos(), bronze.commitNanos(), committedAt - start, bronze.filesWritten(), committedAt,
                behind);
        SilverFeed f = feed;
        if (f == null) {
            if (listeners.any()) {
                listeners.fire(batchCommitted(done, bytes, version, SilverStage.Work.NONE, 0));
            }
        } else {
            // Handed over with no reference left here, so that silver can let the raw records go once decoded.
            f.offer(version, records, bytes, done);
        }
        return new BatchResult(events, version, 0, false, committedAt - start, 0);
    }

    /**
     * One catch-up over what the feed holds, then each batch's event, in order. The batches count as
     * merged only after their events: a listener that takes its time holds bronze back as a slow merge
     * does, instead of letting events pile up.
     */
    private long merge(SilverFeed f, SilverStage s) {
        HeldBatches held = new HeldBatches();
        List<SilverFeed.Committed> taken = f.take(held);
        try {
            // scaled out, the instance that holds the source's first partition merges for all
            boolean writer = silverWriter();
            long changed = writer ? s.catchUp(f.bronzeVersion(), held) : 0;
            if (listeners.any() && !taken.isEmpty()) {
                SilverStage.Work work = s.lastWork();
                for (int i = 0; i < taken.size(); i++) {
                    SilverFeed.Committed c = taken.get(i);
                    // the catch-up's figures go with the last batch it covered, so that sums over events add up
                    boolean last = i == taken.size() - 1 && writer;
                    listeners.fire(batchCommitted(c.event(), c.bytes(), c.version(),
                            last ? work : SilverStage.Work.NONE, System.nanoTime() - c.event().committedAtNanos()));
                }
            }
            return changed;
        } finally {
            f.merged(taken.size());
        }
    }

    /** @return whether this instance merges silver: it holds the source's first partition (or reads alone) */
    private boolean silverWriter() {
        PrefetchingReader r = reader;
        return r == null || r.holdsFirstPartition();
    }

    /**
     * On the merging thread, while no batch of this instance waits: merges the bronze commits of the
     * pipeline's other instances, when this is the instance that merges silver and bronze has moved
     * past what this one knows of (its own commits and compactions). No {@code BatchCommitted} event:
     * those batches are the other instances'.
     *
     * @return silver rows changed
     */
    public long mergeOthers() {
        SilverStage s = silver;
        if (s == null || feed == null || !silverWriter()) {
            return 0;
        }
        return failureRecorded(() -> {
            long latest = bronzeTable.snapshot().version();
            return latest > ownBronzeVersion ? s.catchUp(latest, null) : 0L;
        });
    }

    /**
     * Waits for a batch to merge, at most {@code timeout}.
     *
     * @return 1 when one is queued, 0 when the time passed, -1 when there will be none (no silver, or
     *     bronze finished and everything is merged, or a step failed)
     */
    public int awaitSilverWork(Duration timeout) {
        SilverFeed f = feed;
        if (f == null) {
            return -1;
        }
        try {
            return f.awaitWork(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineErrors.interruptedWaitingForSilver(pipeline.name(), e);
        }
    }

    private BatchCommitted batchCommitted(SilverFeed.BronzeDone b, long bytes, long bronzeVersion, SilverStage.Work w,
            long silverNanos) {
        BatchTimings timings = new BatchTimings(Duration.ofNanos(b.pollNanos()), Duration.ofNanos(b.writeNanos()),
                Duration.ofNanos(b.commitNanos()), Duration.ofNanos(b.bronzeNanos()),
                Duration.ofNanos(w.decodeNanos()), Duration.ofNanos(w.mergeNanos()), Duration.ofNanos(w.commitNanos()),
                Duration.ofNanos(silverNanos));
        return new BatchCommitted(pipeline.name(), Instant.now(), b.batch(), b.events(), bytes, b.positions(),
                bronzeVersion, silverVersion(), w.changes(), b.bronzeFiles(), w.filesAdded(), w.filesRemoved(),
                w.retries(), w.quarantined(), w.expectations(), timings, b.behind());
    }

    /**
     * @return the bytes of the records' keys and values, as the batch bounds count them; the prefetch
     *     counts what it gathers with it too
     */
    static long bytes(List<SourceRecord> records) {
        long bytes = 0;
        for (int i = 0; i < records.size(); i++) {
            bytes += BatchLimits.bytes(records.get(i));
        }
        return bytes;
    }

    /** Hands the gaps the fetch thread reported to the listeners, here on the engine's thread. */
    private void reportGaps() {
        for (PositionGap gap; (gap = unreportedGaps.poll()) != null;) {
            listeners.fire(new PositionsSkipped(pipeline.name(), Instant.now(), gap));
        }
    }

    /**
     * Lets the next batch be fetched while the current one is written: worth it for a streaming run,
     * where a source's fetch (network, decompression) would otherwise leave the cores idle. Not for
     * the testkit's driver, whose {@code runOneBatch()} must see exactly what was sent before it.
     */
    public void prefetchNextBatch() {
        prefetch = true;
        PrefetchingReader r = reader;
        if (r != null) {
            r.startPrefetching(fetchThreadName());
        }
    }

    private String fetchThreadName() {
        return "streamlake-fetch-" + pipeline.name();
    }

    private PrefetchingReader.Fetched poll(PrefetchingReader r, Duration pollTimeout) {
        try {
            return r.pollBatch(new BatchLimits(pipeline.maxBatchRecords(), pipeline.maxBatchBytes(), pollTimeout,
                    pipeline.maxBatchDelay()));
        } catch (RuntimeException e) {
            throw e instanceof SourceException ? e : EngineErrors.pollFailed(pipeline.source().name(), e);
        }
    }

    /** @return true when the last poll returned nothing and the source says it is at the end */
    @Override
    public boolean caughtUp() {
        SourceReader r = reader;
        return lastPollEmpty && r != null && r.caughtUp();
    }

    /** @return the gaps sources reported since this engine was created */
    @Override
    public List<PositionGap> gaps() {
        return List.copyOf(gaps);
    }

    /** @return the latest bronze version this engine committed or saw at open */
    @Override
    public long bronzeVersion() {
        return bronze.version();
    }

    /** @return records quarantined by this engine */
    @Override
    public long quarantined() {
        return silver == null ? 0 : silver.quarantined();
    }

    /** @return expectation and decode counts of this engine, empty without silver */
    @Override
    public List<ExpectationMetrics> expectationMetrics() {
        return silver == null ? List.of() : silver.metrics();
    }

    /**
     * @return records behind per partition, as the source reported them with the last poll (empty
     *     before the first, or when the source cannot tell); safe from any thread
     */
    public Map<SourcePartition, Long> recordsBehind() {
        return recordsBehind;
    }

    /** @return the latest silver version, -1 without silver */
    @Override
    public long silverVersion() {
        return silver == null ? -1 : silver.version();
    }

    @Override
    public void close() {
        PrefetchingReader r = reader;
        reader = null;
        try {
            if (r != null) {
                r.close();
            }
        } finally {
            workers.close();
            bronze.close(); // after the reader: a batch being written as fetched is dropped by then
        }
        reportGaps();
        Throwable f = failure.get();
        if (f != null) {
            listeners.fire(new PipelineFailed(pipeline.name(), Instant.now(), batches, events, f));
        } else if (opened) {
            listeners.fire(new PipelineStopped(pipeline.name(), Instant.now(), batches, events));
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
            unreportedGaps.add(gap);
        }

        @Override
        public Map<String, String> storageOptions() {
            return pipeline.storageOptions();
        }

        @Override
        public OptionalLong committedPosition(SourcePartition partition) {
            return bronze.committedPosition(partition);
        }
    }
}
