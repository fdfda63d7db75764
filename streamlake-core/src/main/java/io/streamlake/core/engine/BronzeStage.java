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
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bronze's part of a micro-batch: keeps only records after each partition's committed marker, writes
 * them (and the archive, if the pipeline keeps one) on all cores, and commits the files with a
 * marker per source partition, fenced by the markers the batch was read from. Called by the engine's
 * thread, except {@link #committedPosition}, which a source's fetch thread may call too, and a
 * {@link StreamedBatch}, which the fetch thread writes (it reads the markers, a concurrent map, as
 * {@link #keepNew}; everything else it touches is its own).
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
        // computeIfAbsent, not get-then-put: a batch written on the fetch thread asks here while the
        // engine's thread may be storing the markers its commit just moved, and a put of the value
        // read before that commit would overwrite the newer one (the next commit's fence then fails)
        return expectedMarkers.computeIfAbsent(p,
                q -> bronze.snapshot().transaction(Markers.bronze(pipeline.name(), q)).orElse(-1));
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
        // the markers this commit expects to replace, for the archive's chain of files
        Map<SourcePartition, Long> before = new LinkedHashMap<>();
        for (SourcePartition p : archive == null ? List.<SourcePartition>of() : lastPositions.keySet()) {
            before.put(p, expectedMarkers.getOrDefault(p, -1L));
        }
        long writeStart = System.nanoTime();
        List<DataFile> files = write(records, now, before);
        return commitFiles(files, System.nanoTime() - writeStart, lastPositions, records.size(), notes, run, batch);
    }

    /**
     * Commits a batch that {@link #writeAsFetched} wrote on the fetch thread, as {@link #commit} commits
     * the files it writes.
     *
     * @param written the batch, with at least one record
     * @param notes what the commit records about its batch
     * @param run the run's id
     * @param batch the batch's number in the run
     * @return the new bronze version, or empty if another instance moved a marker
     */
    OptionalLong commitWritten(WrittenBatch written, Notes notes, String run, long batch) {
        return commitFiles(List.of(Objects.requireNonNull(written.file(), "an empty batch has no file")),
                written.writeNanos(), written.lastPositions(), written.records(), notes, run, batch);
    }

    private OptionalLong commitFiles(List<DataFile> files, long writtenIn, Map<SourcePartition, Long> lastPositions,
            int records, Notes notes, String run, long batch) {
        PendingCommit commit = bronze.newCommit();
        files.forEach(commit::add);
        filesWritten = files.size();
        commit.withUserMetadata(notes.of(filesWritten, writtenIn));
        long commitStart = System.nanoTime();
        writeNanos = writtenIn;
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
                    + " the committed positions", bronze.location(), e.getMessage(), records);
            expectedMarkers.clear();
            return OptionalLong.empty();
        }
        expectedMarkers.putAll(lastPositions);
        return OptionalLong.of(version);
    }

    /**
     * @return whether batches can be written as they are fetched ({@link #writeAsFetched}): the table
     *     writes records straight into files and the pipeline keeps no archive (which needs the batch's
     *     records whole). The engine uses it only where nothing else needs the records: no silver.
     */
    boolean canWriteAsFetched() {
        return bronze instanceof BronzeFiles && archive == null;
    }

    /**
     * Starts a batch that is written into one bronze file as its records are fetched, so that no
     * record lives much longer than the poll that brought it: a batch held whole until the engine's
     * thread wrote it outlived several young collections, which is most of what bronze's collector
     * did and why the heap grew. The fetch thread keeps records by {@link #keepNew}, as the engine's
     * batches are, against the same markers, and hands them to bronze's writer thread in the chunks its
     * polls brought, a few chunks ahead at most; the engine commits the result with {@link #commitWritten}.
     *
     * @return the batch, owned by the calling thread until {@link StreamedBatch#finish} or
     *     {@link StreamedBatch#abandon}
     */
    StreamedBatch writeAsFetched() {
        return new StreamedBatch(Instant.now());
    }

    /** At most this many polls' records wait for bronze's writer thread: the fetch thread waits beyond. */
    private static final int CHUNKS_AHEAD = 8;

    /**
     * Bronze's writer thread, for batches written as fetched: made on first use, gone after 30 s
     * without work or once the engine closes ({@link #close}). One thread: a file is one thread's, and
     * each batch's tasks run in the order they were handed over.
     */
    private final ThreadPoolExecutor writerThread = writerThread();

    private ThreadPoolExecutor writerThread() {
        ThreadPoolExecutor t = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread th = new Thread(r, "streamlake-bronze-writer-" + pipeline.name());
            th.setDaemon(true);
            return th;
        });
        t.allowCoreThreadTimeOut(true);
        return t;
    }

    /** Lets bronze's writer thread end once it is idle, with the buffers its thread keeps pooled. */
    void close() {
        writerThread.shutdown();
    }

    /**
     * A batch being written as it is fetched. Its methods are called by one thread, the fetch thread;
     * its file is written by bronze's writer thread alone, in the order the chunks were handed over.
     */
    final class StreamedBatch {
        private final Instant ingestion;
        private final Semaphore room = new Semaphore(CHUNKS_AHEAD);
        // the fetch thread's
        private final Map<SourcePartition, Long> last = new LinkedHashMap<>();
        private int records;
        private long bytes;
        // the writer thread's: each task runs after the one handed over before it; the fetch thread
        // reads them after the last task, through its future
        private BronzeFiles.@Nullable RecordFileWriter writer;
        private long writeNanos;
        /** The writer thread's first failure; the fetch thread throws it at its next call. */
        private volatile @Nullable Throwable failed;

        private StreamedBatch(Instant ingestion) {
            this.ingestion = ingestion;
        }

        /**
         * Keeps the records after each partition's marker (and after those this batch already holds) and
         * hands them to the writer thread, waiting while {@value #CHUNKS_AHEAD} chunks wait for it.
         */
        void add(List<SourceRecord> polled) {
            List<SourceRecord> kept = keepNew(polled, last);
            if (kept.isEmpty()) {
                return;
            }
            rethrowFailure();
            records += kept.size();
            bytes += MicroBatchEngine.bytes(kept);
            try {
                room.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw EngineErrors.interruptedWritingBronze(pipeline.name(), e);
            }
            writerThread.execute(() -> {
                long taskStart = System.nanoTime();
                try {
                    if (failed == null) {
                        BronzeFiles.RecordFileWriter w = writer;
                        if (w == null) {
                            w = ((BronzeFiles) bronze).newBronzeFile(ingestion);
                            writer = w;
                        }
                        for (int i = 0; i < kept.size(); i++) {
                            w.write(kept.get(i));
                        }
                    }
                } catch (RuntimeException | Error e) {
                    failed = e;
                } finally {
                    writeNanos += System.nanoTime() - taskStart;
                    room.release();
                }
            });
        }

        /**
         * @return the written batch; without a file when every record was at or before its marker
         * @throws RuntimeException what writing it failed with (the file abandoned)
         */
        WrittenBatch finish() {
            if (records == 0) {
                return new WrittenBatch(null, Map.of(), 0, 0, 0);
            }
            DataFile file = onWriterThread(() -> {
                BronzeFiles.RecordFileWriter w = writer;
                if (failed != null) {
                    if (w != null) {
                        w.close();
                    }
                    rethrowFailure();
                }
                long finishStart = System.nanoTime();
                DataFile f = Objects.requireNonNull(w).finish();
                writeNanos += System.nanoTime() - finishStart;
                return f;
            });
            return new WrittenBatch(file, last, records, bytes, writeNanos);
        }

        /** Drops the file (a failure, a rewind or a close while it was written). */
        void abandon() {
            if (records > 0) {
                onWriterThread(() -> {
                    BronzeFiles.RecordFileWriter w = writer;
                    if (w != null) {
                        w.close();
                    }
                    return null;
                });
            }
        }

        private void rethrowFailure() {
            Throwable t = failed;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
        }

        /** Runs a step after every chunk handed over, and waits for it. */
        private <T> T onWriterThread(Callable<T> step) {
            Future<T> f = writerThread.submit(step);
            try {
                return f.get();
            } catch (ExecutionException e) {
                throw EngineErrors.thrownBy(e, IllegalStateException::new);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw EngineErrors.interruptedWritingBronze(pipeline.name(), e);
            }
        }
    }

    /**
     * A batch written on the fetch thread, handed to the engine's to commit.
     *
     * @param file its data file, null when no record was kept
     * @param lastPositions the last position per partition in it
     * @param records how many records it holds
     * @param bytes their keys' and values' bytes, as {@link MicroBatchEngine#bytes} counts them
     * @param writeNanos the writer thread's time on the file, overlapped with the fetch
     */
    record WrittenBatch(@Nullable DataFile file, Map<SourcePartition, Long> lastPositions, int records, long bytes,
            long writeNanos) {
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
