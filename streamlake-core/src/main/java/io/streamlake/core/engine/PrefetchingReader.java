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
 * limits ({@link #gatherUntilWanted}). Each fetch is followed at once, on the same thread, by the
 * reader's {@link SourceReader#recordsBehind()}: the lag it reports belongs to the fetch's last poll,
 * and travels with the batch to the engine, which reads it here ({@link #recordsBehind()}) after its
 * own poll.
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
     * The fetched batch if one is in flight, else a poll now. When it returns records and prefetching
     * is on, the next fetch starts before this returns; an empty poll starts nothing, so that
     * {@link #caughtUp()} and {@link #close()} find the reader idle.
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
        Future<Fetched> f = inFlight;
        inFlight = null;
        Fetched fetched = f == null ? fetch(limits, NOW) : join(f, Objects.requireNonNull(inFlightWanted));
        behind = fetched.behind();
        tellCommitted();
        ExecutorService p = fetcher;
        if (p != null && !fetched.records().isEmpty()) {
            gate.settled = new CompletableFuture<>();
            AtomicBoolean wanted = new AtomicBoolean();
            inFlightWanted = wanted;
            inFlight = p.submit(() -> fetch(limits, wanted));
        }
        return fetched.records();
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
        List<SourceRecord> records = delegate.poll(limits);
        if (!records.isEmpty() && !wanted.get()) {
            try {
                records = gatherUntilWanted(records, limits, start, wanted);
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
        return new Fetched(records, lag);
    }

    /**
     * More polls of the wrapped reader into one batch, each waiting at most {@link #GATHER_SLICE} for
     * records, so that the engine, once it asks, waits that long at most. The delay is counted from the
     * start of the first poll, before the first record came: a batch is never held past it. The bytes
     * bound may be passed by one record, as a reader's first record always is.
     */
    private List<SourceRecord> gatherUntilWanted(List<SourceRecord> first, BatchLimits limits, long start,
            AtomicBoolean wanted) {
        List<SourceRecord> out = null;
        long bytes = -1;
        long delay = limits.maxDelay().compareTo(GATHER_DELAY_CAP) > 0 ? GATHER_DELAY_CAP.toNanos()
                : limits.maxDelay().toNanos();
        while (!wanted.get()) {
            int size = out == null ? first.size() : out.size();
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
            List<SourceRecord> more;
            try {
                more = delegate.poll(new BatchLimits(limits.maxRecords() - size, limits.maxBytes() - bytes,
                        Duration.ofNanos(slice), Duration.ofNanos(slice)));
            } catch (RuntimeException e) {
                // What was gathered is good (a gap, a lost connection come after it): it is committed,
                // and the failure is the next fetch's, as it would have been without gathering.
                deferred = e;
                break;
            }
            if (!more.isEmpty()) {
                if (out == null) {
                    out = new ArrayList<>(first.size() + more.size() * 4);
                    out.addAll(first);
                }
                out.addAll(more);
                bytes += MicroBatchEngine.bytes(more);
                gate.gathered(more);
            }
        }
        return out == null ? first : out;
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
            try {
                join(f, Objects.requireNonNull(inFlightWanted));
            } catch (RuntimeException e) {
                LOG.debug("a prefetched poll failed while its batch was being dropped", e);
            }
        }
    }

    private Fetched join(Future<Fetched> f, AtomicBoolean wanted) {
        wanted.set(true);
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw EngineErrors.prefetchFailed(sourceName, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineErrors.interruptedWaitingForBatch(sourceName, e);
        }
    }

    /** A poll's records and the lag the reader reported right after it. */
    private record Fetched(List<SourceRecord> records, Map<SourcePartition, Long> behind) {
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
