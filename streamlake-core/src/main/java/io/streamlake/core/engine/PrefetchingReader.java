package io.streamlake.core.engine;

import io.streamlake.source.BatchLimits;
import io.streamlake.source.PositionGap;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.HashMap;
import java.util.Objects;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A source reader that, once {@link #startPrefetching started}, fetches the next batch on a thread
 * of its own while the engine writes the current one: a source's fetch (network, decompression) is
 * single-threaded, and would otherwise leave the cores idle between commits. Without it, each
 * {@link #poll} polls there and then, as the testkit's driver needs ({@code runOneBatch()} must see exactly
 * what was sent before it).
 *
 * <p>The wrapped reader gets the {@link SourceReader} contract: never two calls at once, each call
 * happening-before the next (the fetched batch is handed over through a {@link Future}, whose
 * {@code get} orders the fetch thread's poll before the engine's next call), polls on the fetch
 * thread and every other call on the engine's. So a call that would overlap a fetch waits for it
 * ({@link #rewind}, {@link #close}) or is deferred until it is back ({@link #committed}).
 *
 * <p>A fetch that asks for a committed position ({@link SourceContext#committedPosition}, when a
 * partition is assigned mid-fetch) waits until the batch being written is committed or dropped
 * ({@link #batchSettled}), so the reader never seeks from a marker that the commit in progress is
 * about to move. While a prefetch gathers, the answer is after the records it has gathered from
 * earlier polls, if that is later than the marker: they are handed out, if not yet committed.
 *
 * <p>A prefetch gathers: it polls the wrapped reader again and again, taking what the source delivers
 * while the engine writes the batch before, until the engine asks for it or it is full by the batch
 * limits ({@link #gather}). Each fetch is followed at once, on the same thread, by the
 * reader's {@link SourceReader#recordsBehind()}: the lag it reports belongs to the fetch's last poll,
 * and travels with the batch to the engine, which reads it here ({@link #recordsBehind()}) after its
 * own poll.
 *
 * <p>Where nothing but bronze needs a batch's records ({@link #writeAsFetched}), a prefetch writes
 * them into the batch's bronze file as each poll brings them, instead of gathering them into a list,
 * and hands the engine the written file to commit ({@link #pollBatch}): no record then outlives its
 * poll. Such a batch is not handed over when the engine asks, but when it is full by the limits or
 * its delay has passed, as the engine's thread has nothing else to do with it than commit it.
 *
 * <p>All methods are called by the engine's thread, one at a time.
 */
final class PrefetchingReader implements SourceReader {
    private static final Logger LOG = LoggerFactory.getLogger(PrefetchingReader.class);
    /** The longest a prefetch's poll waits for records before it looks whether the engine wants the batch. */
    static final Duration GATHER_SLICE = Duration.ofMillis(10);
    /**
     * A prefetch gathers for this long at most whatever the pipeline's delay: a batch without a delay
     * ({@code BatchLimits.of}) would otherwise gather while the engine waits on silver for as long as
     * that takes.
     */
    private static final Duration GATHER_DELAY_CAP = Duration.ofSeconds(1);
    /**
     * A batch written as fetched asks its source for at most this many records a poll, so that each
     * poll's records are written (and let go) while the next are fetched: a reader fills a poll up to
     * the batch's limits, which would hold most of the batch in one list.
     */
    static final int WRITE_CHUNK_RECORDS = 4_096;

    private final SourceReader delegate;
    private final Gate gate;
    private final String sourceName;
    // Engine thread only.
    private @Nullable ExecutorService fetcher;
    private @Nullable Future<Fetched> inFlight;
    /**
     * A failure of a gathering poll, thrown by the next fetch instead of the batch gathered before it.
     * Fetches run one at a time, handed over through a future (or on the engine's thread), so a plain
     * field is safe.
     */
    private @Nullable RuntimeException deferred;
    /** Set when the engine asks for the fetch in flight: the fetch stops gathering and hands over what it has. */
    private @Nullable AtomicBoolean inFlightWanted;
    /**
     * Set before prefetching starts, when batches are written as fetched; read by fetch tasks, which
     * the executor's submit orders after it.
     */
    private @Nullable Supplier<BronzeStage.StreamedBatch> writer;
    /** Set by the engine's thread while it drops the fetch in flight: a batch being written stops at once. */
    private volatile boolean dropping;
    /** The lag reported with the batch {@link #poll} returned last. */
    private Map<SourcePartition, Long> behind = Map.of();
    /** Positions committed while a fetch was in flight, told to the reader when it is back. */
    private final Map<SourcePartition, Long> uncommunicated = new LinkedHashMap<>();

    private PrefetchingReader(SourceReader delegate, Gate gate, String sourceName) {
        this.delegate = delegate;
        this.gate = gate;
        this.sourceName = sourceName;
    }

    /**
     * Opens the source's reader, behind the gate that holds its marker reads during a commit.
     *
     * @param source the source
     * @param context where committed positions come from
     * @return the reader, polling in the caller's thread until {@link #startPrefetching}
     */
    static PrefetchingReader open(Source source, SourceContext context) {
        Gate gate = new Gate(context);
        return new PrefetchingReader(source.open(gate), gate, source.name());
    }

    /**
     * From now on, each poll that returns records starts fetching the next batch at once.
     *
     * @param threadName the fetch thread's name
     */
    void startPrefetching(String threadName) {
        if (fetcher == null) {
            fetcher = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                gate.fetchThread = t;
                return t;
            });
        }
    }

    /**
     * From now on, each prefetch writes its batch as it fetches it ({@link BronzeStage#writeAsFetched}),
     * and {@link #pollBatch} returns the written batch instead of its records. Only where nothing but
     * bronze's file needs the records; called before {@link #startPrefetching}.
     *
     * @param batches starts a batch's file, on the fetch thread
     */
    void writeAsFetched(Supplier<BronzeStage.StreamedBatch> batches) {
        writer = batches;
    }

    /**
     * The fetched batch if one is in flight, else a poll now. When it returns records and prefetching
     * is on, the next fetch starts before this returns; an empty poll starts nothing, so that
     * {@link #caughtUp()} and {@link #close()} find the reader idle.
     *
     * @throws IllegalStateException if the fetch wrote its batch ({@link #writeAsFetched}): the engine
     *     asks {@link #pollBatch} then
     */
    @Override
    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
        return poll(BatchLimits.of(maxRecords, maxWait));
    }

    /**
     * The fetched batch if one is in flight, else a poll now, within the limits; the next fetch, when
     * one starts, uses the same limits.
     */
    @Override
    public List<SourceRecord> poll(BatchLimits limits) {
        Fetched fetched = pollBatch(limits);
        if (fetched.written() != null || fetched.writeFailure() != null) {
            throw new IllegalStateException("a batch written as fetched is taken with pollBatch, not poll");
        }
        return fetched.records();
    }

    /**
     * As {@link #poll(BatchLimits)}, but a batch the fetch wrote as it fetched comes as written.
     *
     * @param limits the batch's limits, also the next fetch's
     * @return the records, or the written batch, or the failure to write it (thrown by the engine as its
     *     own, not the source's)
     */
    Fetched pollBatch(BatchLimits limits) {
        Future<Fetched> f = inFlight;
        inFlight = null;
        Fetched fetched = f == null ? fetch(limits, NOW) : join(f, Objects.requireNonNull(inFlightWanted));
        behind = fetched.behind();
        tellCommitted();
        ExecutorService p = fetcher;
        if (p != null && (!fetched.records().isEmpty() || fetched.written() != null)) {
            gate.settled = new CompletableFuture<>();
            AtomicBoolean wanted = new AtomicBoolean();
            inFlightWanted = wanted;
            inFlight = p.submit(() -> fetch(limits, wanted));
        }
        return fetched;
    }

    /** The engine waits for the batch: nothing more is gathered. */
    private static final AtomicBoolean NOW = new AtomicBoolean(true); // never set false: safe to share

    /**
     * Polls the wrapped reader and, at once on the same thread, asks it how far behind it is. A
     * prefetch keeps gathering until the engine asks for its batch ({@code wanted}) or the batch is
     * full by the limits (records, bytes, or its first record's delay): a reader stops a poll once it
     * has caught up, and a prefetch that handed over only that would hold records the source delivered
     * since, for the rest of the engine's write and commit, and the whole next one; an event would wait
     * about two commits, not half of one.
     */
    private Fetched fetch(BatchLimits limits, AtomicBoolean wanted) {
        RuntimeException failed = deferred;
        if (failed != null) {
            deferred = null;
            throw failed;
        }
        long start = System.nanoTime();
        Supplier<BronzeStage.StreamedBatch> w = wanted == NOW ? null : writer;
        int chunk = w == null ? Integer.MAX_VALUE : WRITE_CHUNK_RECORDS;
        List<SourceRecord> records = delegate.poll(w == null ? limits : chunked(limits, chunk));
        BronzeStage.@Nullable WrittenBatch written = null;
        RuntimeException writeFailure = null;
        if (!records.isEmpty() && w != null) {
            try {
                written = writeGathering(w, records, limits, start, wanted);
            } catch (RuntimeException e) {
                writeFailure = e;
            } finally {
                gate.gathered.clear();
            }
            records = List.of();
        } else if (!records.isEmpty() && !wanted.get()) {
            try {
                Gathered g = new Gathered(records);
                gather(records, limits, chunk, start, full -> wanted.get(), g::add);
                records = g.records();
            } finally {
                gate.gathered.clear();
            }
        }
        Map<SourcePartition, Long> lag;
        try {
            lag = delegate.recordsBehind();
        } catch (RuntimeException e) {
            LOG.debug("source '{}' could not tell how far behind it is", sourceName, e);
            lag = Map.of();
        }
        return new Fetched(records, lag, written, writeFailure);
    }

    /**
     * Writes the first poll's records and those gathered after them into one bronze file. Gathers until
     * the batch is full by the limits or its delay has passed, or the engine asks for it and the source
     * is caught up ({@link #caughtUpAfter}): the engine, with only a commit to do, asks almost at once,
     * and a backlog taken whenever it asks would make batches of a few records. Stops at once when the
     * batch is dropped.
     *
     * @return the written batch, or null when it was dropped
     */
    private BronzeStage.@Nullable WrittenBatch writeGathering(Supplier<BronzeStage.StreamedBatch> batches,
            List<SourceRecord> first, BatchLimits limits, long start, AtomicBoolean wanted) {
        BronzeStage.StreamedBatch batch = batches.get();
        try {
            batch.add(first);
            gather(first, limits, WRITE_CHUNK_RECORDS, start,
                    full -> dropping || (wanted.get() && caughtUpAfter(full)), batch::add);
            if (dropping) {
                batch.abandon();
                return null;
            }
            return batch.finish();
        } catch (RuntimeException | Error e) {
            try {
                batch.abandon();
            } catch (RuntimeException | Error again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /**
     * More polls of the wrapped reader into one batch, each of at most {@code chunk} records and handed
     * to {@code take}, until {@code stop} says so (asked after each poll, the first included) or the
     * batch is full. Each waits at most {@link #GATHER_SLICE} for records, so that the engine, once it
     * asks, waits that long at most. The delay is counted from the start of the first poll, before the
     * first record came: a batch is never held past it. The bytes bound may be passed by one record, as
     * a reader's first record always is.
     */
    private void gather(List<SourceRecord> first, BatchLimits limits, int chunk, long start, Stop stop,
            Consumer<List<SourceRecord>> take) {
        int size = first.size();
        boolean full = size >= Math.min(chunk, limits.maxRecords());
        long bytes = -1;
        long delay = limits.maxDelay().compareTo(GATHER_DELAY_CAP) > 0 ? GATHER_DELAY_CAP.toNanos()
                : limits.maxDelay().toNanos();
        while (!stop.now(full)) {
            long delayLeft = delay - (System.nanoTime() - start);
            if (size >= limits.maxRecords() || delayLeft <= 0) {
                break;
            }
            if (bytes < 0) {
                bytes = MicroBatchEngine.bytes(first); // counted once a second poll may come: a caught-up batch is small
                gate.gathered(first);
            }
            if (bytes >= limits.maxBytes()) {
                break;
            }
            long slice = Math.min(delayLeft, GATHER_SLICE.toNanos());
            int ask = Math.min(chunk, limits.maxRecords() - size);
            List<SourceRecord> more;
            try {
                more = delegate.poll(new BatchLimits(ask, limits.maxBytes() - bytes, Duration.ofNanos(slice),
                        Duration.ofNanos(slice)));
            } catch (RuntimeException e) {
                // What was gathered is good (a gap, a lost connection come after it): it is committed,
                // and the failure is the next fetch's, as it would have been without gathering.
                deferred = e;
                break;
            }
            full = more.size() >= ask;
            if (!more.isEmpty()) {
                take.accept(more);
                size += more.size();
                bytes += MicroBatchEngine.bytes(more);
                gate.gathered(more);
            }
        }
    }

    /**
     * @param full whether the last poll brought all it asked for
     * @return whether the reader says it is caught up on every partition it reports, or, when it reports
     *     none (it cannot tell), whether the last poll brought less than it asked for
     */
    private boolean caughtUpAfter(boolean full) {
        Map<SourcePartition, Long> lag;
        try {
            lag = delegate.recordsBehind();
        } catch (RuntimeException e) {
            LOG.debug("source '{}' could not tell how far behind it is", sourceName, e);
            return !full;
        }
        if (lag.isEmpty()) {
            return !full;
        }
        for (long behind : lag.values()) {
            if (behind > 0) {
                return false;
            }
        }
        return true;
    }

    /** When a gathering batch is handed over, besides being full. */
    @FunctionalInterface
    private interface Stop {
        /**
         * @param full whether the last poll brought all it asked for (the source had more)
         * @return true to hand the batch over now
         */
        boolean now(boolean full);
    }

    /** @return the limits, asking for at most {@code chunk} records */
    private static BatchLimits chunked(BatchLimits limits, int chunk) {
        return limits.maxRecords() <= chunk ? limits
                : new BatchLimits(chunk, limits.maxBytes(), limits.maxWait(), limits.maxDelay());
    }

    /** A batch gathered into a list: the first poll's own list while no other poll brought records. */
    private static final class Gathered {
        private final List<SourceRecord> first;
        private @Nullable List<SourceRecord> out;

        Gathered(List<SourceRecord> first) {
            this.first = first;
        }

        void add(List<SourceRecord> more) {
            List<SourceRecord> o = out;
            if (o == null) {
                o = new ArrayList<>(first.size() + more.size() * 4);
                o.addAll(first);
                out = o;
            }
            o.addAll(more);
        }

        List<SourceRecord> records() {
            return out == null ? first : out;
        }
    }

    /** @return the records behind per partition that the wrapped reader reported with the batch {@link #poll} returned last */
    @Override
    public Map<SourcePartition, Long> recordsBehind() {
        return behind;
    }

    /** The batch last returned by {@link #poll} is committed or dropped: a fetch waiting on a marker may go on. */
    void batchSettled() {
        gate.settled.complete(null);
    }

    /** Drops any fetched batch (nothing of it was committed), then rewinds the reader. */
    /** Asked from any thread: the delegate answers from a field its own callbacks keep. */
    @Override
    public boolean holdsFirstPartition() {
        return delegate.holdsFirstPartition();
    }

    @Override
    public void rewind() {
        batchSettled(); // the fetch may be waiting on a marker
        discardInFlight();
        // A deferred failure stays: a reader may have changed its state before it threw (the hand-over
        // drops a partition's gap check as it fails it), so reading again might not meet it again.
        tellCommitted();
        delegate.rewind();
    }

    /** @throws IllegalStateException if a fetch is in flight: only an empty poll, which starts none, may ask */
    @Override
    public boolean caughtUp() {
        if (inFlight != null) {
            throw new IllegalStateException("caughtUp() asked while a fetch is in flight; ask after an empty poll");
        }
        return delegate.caughtUp();
    }

    /**
     * Tells the reader now, or once the fetch in flight is back. A failure is logged, never thrown:
     * positions told here are copies for monitoring, the Delta log is the truth.
     */
    @Override
    public void committed(Map<SourcePartition, Long> lastPositions) {
        uncommunicated.putAll(lastPositions);
        if (inFlight == null) {
            tellCommitted();
        }
    }

    private void tellCommitted() {
        if (uncommunicated.isEmpty()) {
            return;
        }
        try {
            delegate.committed(new LinkedHashMap<>(uncommunicated));
        } catch (RuntimeException e) {
            LOG.warn("source '{}' could not record committed positions for monitoring: {}", sourceName, e.toString());
        }
        uncommunicated.clear();
    }

    @Override
    public void close() {
        try {
            batchSettled();
            discardInFlight();
        } finally {
            if (fetcher != null) {
                fetcher.shutdown();
            }
            try {
                tellCommitted();
            } finally {
                delegate.close();
            }
        }
    }

    /** Waits for a fetch in flight and drops what it read. */
    private void discardInFlight() {
        Future<Fetched> f = inFlight;
        inFlight = null;
        if (f != null) {
            dropping = true;
            try {
                join(f, Objects.requireNonNull(inFlightWanted));
            } catch (RuntimeException e) {
                LOG.debug("a prefetched poll failed while its batch was being dropped", e);
            } finally {
                dropping = false;
            }
        }
    }

    private Fetched join(Future<Fetched> f, AtomicBoolean wanted) {
        wanted.set(true);
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw EngineErrors.thrownBy(e, cause -> EngineErrors.prefetchFailed(sourceName, cause));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineErrors.interruptedWaitingForBatch(sourceName, e);
        }
    }

    /**
     * A fetch's batch and the lag the reader reported right after it.
     *
     * @param records the batch's records; empty when it was written as fetched
     * @param behind the lag
     * @param written the batch written as fetched ({@link #writeAsFetched}), or null
     * @param writeFailure why the batch written as fetched could not be, or null: bronze's failure, not
     *     the source's
     */
    record Fetched(List<SourceRecord> records, Map<SourcePartition, Long> behind,
            BronzeStage.@Nullable WrittenBatch written, @Nullable RuntimeException writeFailure) {
    }

    /**
     * The context the wrapped reader sees: the engine's, except that a marker read from the fetch
     * thread waits for the batch being written to settle.
     */
    private static final class Gate implements SourceContext {
        private final SourceContext context;
        /** Set once, when the fetch thread is made; read on any thread. */
        private volatile @Nullable Thread fetchThread;
        /** Replaced by the engine thread per batch; completed by it, awaited by the fetch thread. */
        private volatile CompletableFuture<@Nullable Void> settled = CompletableFuture.completedFuture(null);

        Gate(SourceContext context) {
            this.context = context;
        }

        @Override
        public String pipelineName() {
            return context.pipelineName();
        }

        /**
         * Fetch thread only: per partition, the last position of the records the fetch in progress has
         * gathered from earlier polls. They are the reader's, handed out but not yet committed, so a
         * reader that asks for its committed position mid-fetch (a partition assigned again, the
         * hand-over from an archive) is answered after them: it must neither read them again into the
         * same batch nor take them for missing.
         */
        private final Map<SourcePartition, Long> gathered = new HashMap<>();

        @Override
        public OptionalLong committedPosition(SourcePartition partition) {
            if (Thread.currentThread() != fetchThread) {
                return context.committedPosition(partition);
            }
            settled.join(); // a marker read ahead of the commit in progress would be stale
            OptionalLong committed = context.committedPosition(partition);
            Long handedOut = gathered.get(partition);
            return handedOut != null && (committed.isEmpty() || handedOut > committed.getAsLong())
                    ? OptionalLong.of(handedOut) : committed;
        }

        /** Notes the records a gathering poll handed out: runs of one partition, in position order. */
        void gathered(List<SourceRecord> records) {
            SourcePartition p = null;
            long last = 0;
            for (int i = 0; i < records.size(); i++) {
                SourceRecord r = records.get(i);
                if (!r.partition().equals(p)) {
                    if (p != null) {
                        gathered.merge(p, last, Math::max);
                    }
                    p = r.partition();
                }
                last = r.position();
            }
            if (p != null) {
                gathered.merge(p, last, Math::max);
            }
        }

        @Override
        public void reportGap(PositionGap gap) {
            context.reportGap(gap);
        }

        @Override
        public Map<String, String> storageOptions() {
            return context.storageOptions();
        }
    }
}
