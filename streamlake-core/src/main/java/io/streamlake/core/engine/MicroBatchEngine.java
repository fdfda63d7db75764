package io.streamlake.core.engine;

import io.streamlake.Pipeline;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The synchronous heart of a run: one call of {@link #runOnce(Duration)} polls one micro-batch,
 * commits it to bronze with a marker per source partition ({@link BronzeStage}), and brings silver
 * up to that bronze version ({@link SilverStage}). Both the streaming run and the testkit's driver
 * use it, so tests exercise the real path. Internal, not API.
 *
 * <p>Threads: every method is called by one thread at a time, the run's (or the test's). The
 * batch's work fans out to {@link Workers}, and with {@link #prefetchNextBatch()} the source's polls
 * run on a fetch thread of their own ({@link PrefetchingReader}); {@link #gaps()} and the metrics
 * getters may be read from any thread.
 */
public final class MicroBatchEngine implements BatchEngine {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatchEngine.class);

    private final Pipeline pipeline;
    private final BronzeStage bronze;
    private final @Nullable SilverStage silver;
    private final List<Compactor> compactors = new ArrayList<>();
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
    // The engine's thread only.
    private @Nullable PrefetchingReader reader;
    private boolean prefetch;
    private boolean lastPollEmpty;
    private boolean opened;
    /** What the last call that failed threw: the engine ends with it, for the listeners. */
    private @Nullable Throwable failure;
    private long batches;
    private long events;

    private static final BatchResult EMPTY = new BatchResult(0, -1, 0, false, 0, 0);

    /**
     * @param pipeline the validated description
     * @param tables its tables ({@link DefaultPipelineEngine#tables}, or wrapped by a test)
     */
    public MicroBatchEngine(Pipeline pipeline, PipelineTables tables) {
        this.pipeline = pipeline;
        this.workers = new Workers(pipeline.writerParallelism(), pipeline.name());
        Table eventLog = tables.eventLog();
        List<PipelineListener> all = new ArrayList<>(pipeline.listeners());
        if (eventLog != null) {
            // the event log hears what the listeners hear, after them, on the same thread
            all.add(new EventLog(pipeline.name(), eventLog, tables.bronze(), tables.silver(), tables.quarantine()));
        }
        this.listeners = new Listeners(pipeline.name(), all);
        this.bronze = new BronzeStage(pipeline, tables.bronze(), workers);
        Table silverTable = tables.silver();
        this.silver = silverTable == null ? null
                : new SilverStage(pipeline, tables.bronze(), silverTable, tables.quarantine(), tables.deleteMarkers(),
                        workers);
        if (pipeline.compactionMinFiles() > 0) {
            compactors.add(new Compactor(tables.bronze(), BronzeLayout.SCHEMA, pipeline.targetFileRows(),
                    pipeline.compactionMinFiles(), List.of()));
            if (silverTable != null) {
                compactors.add(new Compactor(silverTable, pipeline.silverSchema().orElseThrow(),
                        pipeline.targetFileRows(), pipeline.compactionMinFiles(), pipeline.silverKeys()));
            }
        }
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

    private int compactTables() {
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
        if (silver != null) {
            silver.open();
            // A crash between the bronze and the silver commit leaves silver behind: catch up first.
            silver.catchUp(bronzeVersion, null);
        }
        PrefetchingReader r = PrefetchingReader.open(pipeline.source(), new MarkerContext());
        if (prefetch) {
            r.startPrefetching(fetchThreadName());
        }
        reader = r;
    }

    /**
     * Polls and commits one micro-batch.
     *
     * @param pollTimeout how long to wait for records
     * @return what happened; {@code events == 0} when the source had nothing
     */
    @Override
    public BatchResult runOnce(Duration pollTimeout) {
        BatchResult result = failureRecorded(() -> pollAndCommit(pollTimeout));
        reportGaps();
        return result;
    }

    /** Runs a step, keeping what it throws: the engine then ends with that failure, for the listeners. */
    private <T> T failureRecorded(Supplier<T> step) {
        try {
            return step.get();
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        }
    }

    private BatchResult pollAndCommit(Duration pollTimeout) {
        PrefetchingReader r = reader;
        if (r == null) {
            throw EngineErrors.notOpen();
        }
        long pollStart = System.nanoTime();
        List<SourceRecord> polled = poll(r, pollTimeout);
        long pollNanos = System.nanoTime() - pollStart;
        Map<SourcePartition, Long> behind = r.recordsBehind();
        recordsBehind = behind;
        lastPollEmpty = polled.isEmpty();
        if (polled.isEmpty()) {
            return EMPTY;
        }
        Map<SourcePartition, Long> lastPositions = new LinkedHashMap<>();
        List<SourceRecord> records;
        long version;
        long start = System.nanoTime();
        List<PositionRange> positions = List.of();
        long bytes = 0;
        try {
            records = bronze.keepNew(polled, lastPositions);
            polled = null; // records holds every record kept; see the silver hand-over below
            if (records.isEmpty()) {
                return EMPTY;
            }
            // what the commit records about its batch (and the listeners hear): a pass over the batch's
            // lengths and one range per partition
            positions = bronze.positionRanges(lastPositions);
            bytes = bytes(records);
            int count = records.size();
            long size = bytes;
            List<PositionRange> ranges = positions;
            OptionalLong committed = bronze.commit(records, lastPositions,
                    (files, writeNanos) -> CommitNotes.bronze(pipeline.name(), count, size, ranges, files, writeNanos));
            if (committed.isEmpty()) {
                // Another instance took one of these partitions: drop the batch and read again from the markers.
                r.rewind();
                if (listeners.any()) {
                    listeners.fire(new CommitConflicted(pipeline.name(), Instant.now(), bronze.location(),
                            records.size()));
                }
                return new BatchResult(0, bronze.version(), 0, true, 0, 0);
            }
            version = committed.getAsLong();
        } finally {
            r.batchSettled();
        }
        r.committed(lastPositions);
        int events = records.size();
        // Handed over with no reference left here, so that silver can let the raw records go once decoded.
        AtomicReference<List<SourceRecord>> batch = new AtomicReference<>(records);
        records = null;
        long silverStart = System.nanoTime();
        long silverChanged = silver == null ? 0 : silver.catchUp(version, batch);
        long end = System.nanoTime();
        BatchResult result = new BatchResult(events, version, silverChanged, false, silverStart - start,
                end - silverStart);
        batches++;
        this.events += events;
        if (listeners.any()) {
            listeners.fire(batchCommitted(result, positions, bytes, pollNanos, behind));
        }
        return result;
    }

    private BatchCommitted batchCommitted(BatchResult r, List<PositionRange> positions, long bytes, long pollNanos,
            Map<SourcePartition, Long> behind) {
        SilverStage.Work w = silver == null ? SilverStage.Work.NONE : silver.lastWork();
        BatchTimings timings = new BatchTimings(Duration.ofNanos(pollNanos), Duration.ofNanos(bronze.writeNanos()),
                Duration.ofNanos(bronze.commitNanos()), Duration.ofNanos(r.bronzeNanos()),
                Duration.ofNanos(w.decodeNanos()), Duration.ofNanos(w.mergeNanos()), Duration.ofNanos(w.commitNanos()),
                Duration.ofNanos(r.silverNanos()));
        return new BatchCommitted(pipeline.name(), Instant.now(), batches, r.events(), bytes, positions,
                r.bronzeVersion(), silverVersion(), w.changes(), bronze.filesWritten(), w.filesAdded(),
                w.filesRemoved(), w.retries(), w.quarantined(), w.expectations(), timings, behind);
    }

    private static long bytes(List<SourceRecord> records) {
        long bytes = 0;
        for (int i = 0; i < records.size(); i++) {
            SourceRecord r = records.get(i);
            byte[] key = r.key();
            byte[] value = r.value();
            bytes += (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
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

    private List<SourceRecord> poll(SourceReader r, Duration pollTimeout) {
        try {
            return r.poll(new BatchLimits(pipeline.maxBatchRecords(), pipeline.maxBatchBytes(), pollTimeout,
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
        }
        reportGaps();
        Throwable f = failure;
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
