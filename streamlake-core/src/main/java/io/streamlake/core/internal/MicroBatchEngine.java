package io.streamlake.core.internal;

import io.streamlake.Pipeline;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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

    private final Pipeline pipeline;
    private final Table bronze;
    private final @Nullable SilverStage silver;
    private final List<Compactor> compactors = new ArrayList<>();
    private final @Nullable RecordArchive archive;
    /** The marker each partition's reader position was derived from: the fence for the next commit. */
    private final Map<SourcePartition, Long> expectedMarkers = new ConcurrentHashMap<>();
    private final List<PositionGap> gaps = new CopyOnWriteArrayList<>();
    private @Nullable SourceReader reader;
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
        this.pipeline = pipeline;
        this.bronze = bronze;
        this.silver = silver == null ? null : new SilverStage(pipeline, bronze, silver, quarantine);
        this.archive = pipeline.captureArchive().isPresent() ? openArchive(pipeline) : null;
        if (pipeline.compactionMinFiles() > 0) {
            compactors.add(new Compactor(bronze, BronzeRows.SCHEMA, pipeline.targetFileRows(),
                    pipeline.compactionMinFiles(), null));
            if (silver != null) {
                compactors.add(new Compactor(silver, pipeline.silverSchema().orElseThrow(), pipeline.targetFileRows(),
                        pipeline.compactionMinFiles(), pipeline.silverKey().orElseThrow()));
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
     * change no data. Safe between micro-batches; gives way to concurrent writers.
     *
     * @return files replaced
     */
    public int compact() {
        int removed = 0;
        for (Compactor c : compactors) {
            removed += c.compactIfWorthIt();
        }
        return removed;
    }

    /** Creates the tables if needed, finishes any silver work a crash left behind, opens the source. */
    public void open() {
        bronzeVersion = bronze.create(BronzeRows.SCHEMA).version();
        if (silver != null) {
            silver.open();
            // A crash between the bronze and the silver commit leaves silver behind: catch up first.
            silver.catchUp(bronzeVersion, null);
        }
        expectedMarkers.clear();
        reader = pipeline.source().open(new MarkerContext());
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
        List<SourceRecord> polled;
        try {
            polled = r.poll(pipeline.maxBatchRecords(), pollTimeout);
        } catch (RuntimeException e) {
            throw e instanceof SourceException ? e : new SourceException("polling source '" + pipeline.source().name()
                    + "' failed: " + e.getMessage() + "; the pipeline stopped with every committed event safe;"
                    + " fix the source and restart", e);
        }
        lastPollEmpty = polled.isEmpty();
        if (polled.isEmpty()) {
            return BatchResult.EMPTY;
        }
        Map<SourcePartition, Long> lastPositions = new LinkedHashMap<>();
        List<SourceRecord> records = dropAlreadyCommitted(polled, lastPositions);
        if (records.isEmpty()) {
            return BatchResult.EMPTY;
        }

        long start = System.nanoTime();
        Instant now = Instant.now();
        DataFile file;
        RecordArchive a = archive;
        if (a == null) {
            file = writeBronze(records, now);
        } else {
            // The archive is written before the commit (a crash may archive a batch twice, which its
            // reader skips, but never loses one), alongside the bronze file to keep the batch short.
            file = Workers.all(List.<java.util.function.Supplier<@Nullable DataFile>>of(
                    () -> writeBronze(records, now),
                    () -> {
                        a.write(records);
                        return null;
                    })).get(0);
        }
        PendingCommit commit = bronze.newCommit().add(file);
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
            expectedMarkers.clear();
            r.rewind();
            return new BatchResult(0, bronzeVersion, 0, true, 0, 0);
        }
        bronzeVersion = version;
        expectedMarkers.putAll(lastPositions);
        try {
            r.committed(lastPositions);
        } catch (RuntimeException e) {
            LOG.warn("source '{}' could not record committed positions for monitoring: {}",
                    pipeline.source().name(), e.toString());
        }
        long silverStart = System.nanoTime();
        long silverChanged = silver == null ? 0 : silver.catchUp(version, records);
        long end = System.nanoTime();
        return new BatchResult(records.size(), version, silverChanged, false, silverStart - start, end - silverStart);
    }

    private DataFile writeBronze(List<SourceRecord> records, Instant now) {
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
        Map<SourcePartition, Long> floor = new HashMap<>();
        for (int i = 0; i < polled.size(); i++) {
            SourceRecord rec = polled.get(i);
            long min = floor.computeIfAbsent(rec.partition(), this::expectedMarker);
            Long prev = last.get(rec.partition());
            boolean keep = rec.position() > min && (prev == null || rec.position() > prev);
            if (keep) {
                last.put(rec.partition(), rec.position());
                if (kept != null) {
                    kept.add(rec);
                }
            } else if (kept == null) {
                kept = new ArrayList<>(polled.subList(0, i));
            }
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
        if (r != null) {
            r.close();
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
            OptionalLong v = bronze.snapshot().transaction(Markers.bronze(pipeline.name(), partition));
            expectedMarkers.put(partition, v.orElse(-1));
            return v;
        }
    }
}
