package io.streamlake.core.engine;

import io.streamlake.core.silver.HeldBatches;
import io.streamlake.event.PositionRange;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The hand-over from the thread that commits bronze to the one that merges silver: the batches
 * bronze committed that silver has not merged yet, with their records while memory allows, and the
 * back-pressure that holds bronze when silver falls {@code maxLag} commits behind.
 *
 * <p>Memory: the records of a queued batch are kept only while the records kept add up to at most
 * {@code maxKeptBytes} (the pipeline's batch byte bound); beyond it a batch is queued without them,
 * and silver reads that version back from bronze's files. So a lagging silver costs reads, never
 * an unbounded heap.
 *
 * <p>Threads: {@link #offer} and {@link #awaitRoom} are called by the ingesting thread,
 * {@link #awaitWork}, {@link #take} and {@link #merged} by the merging one (the same thread when the
 * engine runs synchronously), {@link #finish} and {@link #fail} by either. Every field is guarded by
 * this object's monitor, and each wait is for a condition the other side signals with
 * {@code notifyAll} under it, so neither side can miss the other's change.
 */
final class SilverFeed {
    /** How often a waiting side looks again at a stop flag that is not ours to signal. */
    private static final long RECHECK_MILLIS = 50;

    /**
     * One bronze commit, as handed over.
     *
     * @param version the bronze version
     * @param records its records, or null when the feed could not keep them in memory
     * @param bytes the bytes of its records' keys and values
     * @param event what the batch's {@code BatchCommitted} event needs from bronze
     */
    record Committed(long version, @Nullable List<SourceRecord> records, long bytes, BronzeDone event) {
    }

    /**
     * What bronze did for one batch, for its event once silver has it too.
     *
     * @param batch the batch's number in this run, from 1
     * @param events records committed
     * @param positions one range per partition
     * @param pollNanos the poll that returned the batch
     * @param writeNanos writing bronze's files
     * @param commitNanos bronze's commit
     * @param bronzeNanos from the poll's return to the bronze commit
     * @param bronzeFiles files the commit added
     * @param committedAtNanos {@link System#nanoTime()} at the bronze commit
     * @param behind the source's lag reported with the poll
     */
    record BronzeDone(long batch, int events, List<PositionRange> positions, long pollNanos, long writeNanos,
            long commitNanos, long bronzeNanos, int bronzeFiles, long committedAtNanos,
            Map<SourcePartition, Long> behind) {
    }

    private final int maxLag;
    private final long maxKeptBytes;
    private final ArrayDeque<Committed> queued = new ArrayDeque<>();
    private long keptBytes;
    /** Batches taken by the merging side and not yet merged. */
    private int merging;
    /** The latest bronze version known: at open, then each one offered. */
    private long bronzeVersion;
    /** No more offers will come: the merging side drains what is queued, then ends. */
    private boolean finished;
    private @Nullable Throwable failure;

    /**
     * @param maxLag bronze commits silver may be behind before {@link #awaitRoom} waits
     * @param maxKeptBytes bytes of queued records kept in memory at most
     * @param bronzeVersion the bronze version silver must reach before any batch is offered
     */
    SilverFeed(int maxLag, long maxKeptBytes, long bronzeVersion) {
        this.maxLag = maxLag;
        this.maxKeptBytes = maxKeptBytes;
        this.bronzeVersion = bronzeVersion;
    }

    /** Hands over a batch bronze committed; never waits (the caller waited in {@link #awaitRoom}). */
    synchronized void offer(long version, List<SourceRecord> records, long bytes, BronzeDone event) {
        boolean keep = keptBytes + bytes <= maxKeptBytes || queued.isEmpty() && merging == 0;
        if (keep) {
            keptBytes += bytes;
        }
        queued.addLast(new Committed(version, keep ? records : null, bytes, event));
        bronzeVersion = version;
        notifyAll();
    }

    /**
     * Waits until silver is fewer than the lag bound behind, so that bronze may commit one more.
     *
     * @param stopped checked while waiting: true ends the wait
     * @return false if it stopped waiting because {@code stopped} said so
     * @throws RuntimeException the merging side's failure, if it failed (it cannot take more)
     * @throws InterruptedException if interrupted while waiting
     */
    synchronized boolean awaitRoom(BooleanSupplier stopped) throws InterruptedException {
        while (queued.size() + merging >= maxLag && failure == null) {
            if (stopped.getAsBoolean()) {
                return false;
            }
            wait(RECHECK_MILLIS);
        }
        rethrowFailure();
        return true;
    }

    /**
     * Waits for a batch to merge.
     *
     * @return true when one is queued; false once {@link #finish finished} and drained, or failed
     * @throws InterruptedException if interrupted while waiting
     */
    synchronized boolean awaitWork() throws InterruptedException {
        while (queued.isEmpty() && !finished && failure == null) {
            wait();
        }
        return !queued.isEmpty() && failure == null;
    }

    /**
     * Waits for a batch to merge, at most {@code timeoutMillis}.
     *
     * @return 1 when one is queued, 0 when the time passed without one, -1 once {@link #finish
     *     finished} and drained, or failed
     * @throws InterruptedException if interrupted while waiting
     */
    synchronized int awaitWork(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (queued.isEmpty() && !finished && failure == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return 0;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
        return !queued.isEmpty() && failure == null ? 1 : -1;
    }

    /**
     * Takes every queued batch for one catch-up: their records go into {@code held} (those kept in
     * memory), and the caller reports them {@link #merged} when done.
     *
     * @param held receives the records kept
     * @return the batches, in version order; empty when none is queued
     */
    synchronized List<Committed> take(HeldBatches held) {
        List<Committed> batches = new ArrayList<>(queued);
        queued.clear();
        keptBytes = 0;
        merging += batches.size();
        for (Committed c : batches) {
            List<SourceRecord> records = c.records();
            if (records != null) {
                held.add(c.version(), records, c.bytes());
            }
        }
        return batches;
    }

    /** @return the latest bronze version committed or known at open */
    synchronized long bronzeVersion() {
        return bronzeVersion;
    }

    /** The batches of the last {@link #take} are in silver: bronze may commit again. */
    synchronized void merged(int batches) {
        merging -= batches;
        notifyAll();
    }

    /** No more batches will come: the merging side ends once it merged what is queued. */
    synchronized void finish() {
        finished = true;
        notifyAll();
    }

    /** The merging side failed: bronze stops waiting for it and ends with this failure. */
    synchronized void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
        notifyAll();
    }

    /** @return bronze commits silver has not merged yet */
    synchronized int lag() {
        return queued.size() + merging;
    }

    /** @throws RuntimeException the merging side's failure, if it {@link #fail failed} */
    synchronized void rethrowFailure() {
        Throwable f = failure;
        if (f instanceof RuntimeException e) {
            throw e;
        } else if (f instanceof Error e) {
            throw e;
        } else if (f != null) {
            throw new IllegalStateException("silver's merging thread failed", f);
        }
    }
}
