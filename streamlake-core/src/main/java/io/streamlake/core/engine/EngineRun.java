package io.streamlake.core.engine;

import io.streamlake.table.Erasure;
import io.streamlake.Pipeline;
import io.streamlake.PipelineHealth;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.spi.BatchResult;
import io.streamlake.spi.PipelineTables;
import io.streamlake.table.Vacuumed;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pipeline running on its own threads: the pipeline's thread ({@code streamlake-<name>}) polls and
 * commits bronze one micro-batch after another, and for a pipeline with silver a second thread
 * ({@code streamlake-silver-<name>}) merges silver beside it, over every bronze commit since its last
 * merge ({@link MicroBatchEngine#mergeSilver()}). Bronze waits when silver is the pipeline's
 * {@code maxSilverLag} commits behind. A stop lets silver merge what bronze committed before the run
 * ends; a failure of either thread ends both, and the run fails with the first failure (the
 * other's, if any, suppressed in it).
 *
 * <p>A third thread ({@code streamlake-maintenance-<name>}) compacts bronze when the pipeline's thread
 * asks and vacuums the tables every interval, beside both.
 *
 * <p>A {@link #pause()} holds each thread between its batches: bronze at the top of its loop, before
 * it polls, and silver once it has merged every bronze commit (bronze being held, no more come); the
 * caller returns when both are there.
 *
 * <p>Threads: the volatile fields are written by one thread each (bronze's figures by the
 * pipeline's thread, silver's by the silver thread) and read by any thread through
 * {@link #progress()} and {@link #health()}. The pause's fields are guarded by {@link #pauseLock},
 * which the operator's thread and the pipeline's thread take, and {@link #silverBusy} is written by the
 * silver thread only.
 */
final class EngineRun implements PipelineRun {
    private static final Logger LOG = LoggerFactory.getLogger(EngineRun.class);
    /** Looking for small files costs a listing of the table: do it every few batches, not every one. */
    private static final int COMPACTION_CHECK_BATCHES = 10;
    /** The first vacuum of a run comes this long after it starts, or after the interval if shorter. */
    private static final long FIRST_VACUUM_DELAY_MILLIS = 60_000;
    /**
     * How long silver's thread waits for a batch of its own before it looks for other instances'
     * bronze commits to merge (scale-out): a bronze snapshot, a listing of the log, each time.
     */
    private static final Duration IDLE_MERGE_CHECK = Duration.ofSeconds(1);
    /** How often a waiting pause looks again at a run that may have ended meanwhile. */
    private static final long PAUSE_RECHECK_MILLIS = 50;

    private final Pipeline pipeline;
    private final RunMode mode;
    private final PipelineTables tables;
    private final Thread thread;
    private final CountDownLatch done = new CountDownLatch(1);
    private final long startNanos = System.nanoTime();
    private volatile boolean stopRequested;
    /** Guards the pause's state; each wait on it is for a change the other side signals under it. */
    private final Object pauseLock = new Object();
    private boolean pauseRequested;
    /** The pipeline's thread waits at the pause, between batches. */
    private boolean bronzeHeld;
    /** The silver thread is merging or compacting (not waiting for work). */
    private volatile boolean silverBusy;
    /** Bronze's compaction is due: the pipeline's thread asks, the maintenance thread does it. */
    private boolean bronzeCompactionDue;
    /** The maintenance thread is compacting or vacuuming. */
    private boolean maintenanceBusy;
    /** The run's work ended: the maintenance thread ends. */
    private boolean maintenanceEnds;
    private volatile PipelineProgress.State state = PipelineProgress.State.STARTING;
    private volatile @Nullable Throwable failure;
    /** Set once the failure reached the caller, so close() after a failed await does not throw it twice. */
    private volatile boolean failureSurfaced;
    private volatile long batches;
    private volatile long events;
    /** Written by the thread that merges silver (the pipeline's thread before that thread starts). */
    private volatile long silverRows;
    private volatile long bronzeVersion = -1;
    private volatile long silverVersion = -1;
    private volatile @Nullable MicroBatchEngine engine;
    private volatile @Nullable Instant startedAt;
    private volatile @Nullable Instant lastCommitAt;
    /** The last micro-batch was full: the source holds a backlog. */
    private volatile boolean lagging;

    EngineRun(Pipeline pipeline, RunMode mode, PipelineTables tables) {
        this.pipeline = pipeline;
        this.mode = mode;
        this.tables = tables;
        this.thread = new Thread(this::run, "streamlake-" + pipeline.name());
    }

    void begin() {
        thread.start();
    }

    private void run() {
        try (MicroBatchEngine engine = new MicroBatchEngine(pipeline, tables)) {
            this.engine = engine;
            engine.prefetchNextBatch();
            engine.open();
            bronzeVersion = engine.bronzeVersion();
            silverVersion = engine.silverVersion();
            startedAt = Instant.now();
            state = PipelineProgress.State.RUNNING;
            LOG.info("{} started ({}, batches of up to {} records, poll timeout {}), bronze v{}, silver v{}",
                    pipeline, mode, pipeline.maxBatchRecords(), pipeline.pollTimeout(), bronzeVersion, silverVersion);
            Thread merger = pipeline.silver().isEmpty() ? null
                    : new Thread(() -> mergeSilver(engine), "streamlake-silver-" + pipeline.name());
            if (merger != null) {
                merger.setDaemon(thread.isDaemon());
                merger.start();
            }
            Thread maintenance = pipeline.vacuumInterval().isEmpty() && pipeline.compactionMinFiles() == 0 ? null
                    : new Thread(() -> maintain(engine), "streamlake-maintenance-" + pipeline.name());
            if (maintenance != null) {
                maintenance.setDaemon(thread.isDaemon());
                maintenance.start();
            }
            try {
                ingest(engine);
            } finally {
                // silver merges what bronze committed, then ends (after a failure of bronze too: the
                // tables are consistent either way, and a restart has less to catch up)
                engine.finishSilver();
                if (merger != null) {
                    joinUninterruptibly(merger);
                }
                synchronized (pauseLock) {
                    maintenanceEnds = true;
                    pauseLock.notifyAll();
                }
                if (maintenance != null) {
                    joinUninterruptibly(maintenance);
                }
            }
            // the merging thread's failure, if any, is the run's too
            engine.rethrowSilverFailure();
            state = PipelineProgress.State.STOPPED;
            LOG.info("{} stopped after {} events in {} batches in {} s: {} silver rows changed, {} records"
                    + " quarantined, bronze v{}, silver v{}", pipeline.name(), events, batches,
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startNanos) / 1e9), silverRows,
                    engine.quarantined(), bronzeVersion, silverVersion);
        } catch (Throwable t) {
            failure = t;
            state = PipelineProgress.State.FAILED;
            LOG.error("{} failed: {}", pipeline.name(), t.getMessage(), t);
        } finally {
            done.countDown();
        }
    }

    /** The pipeline's thread: bronze, one micro-batch after another, until stopped, caught up or failed. */
    private void ingest(MicroBatchEngine engine) {
        while (!stopRequested) {
            holdWhilePaused();
            if (stopRequested) {
                break;
            }
            if (!engine.awaitSilverRoom(() -> stopRequested)) {
                break;
            }
            BatchResult r = engine.ingestOnce(pipeline.pollTimeout());
            // a full batch, or more than a batch still waiting in the source, is a backlog
            lagging = r.events() >= pipeline.maxBatchRecords()
                    || engine.recordsBehind().values().stream().mapToLong(Long::longValue).sum() >= pipeline
                            .maxBatchRecords();
            if (r.events() > 0) {
                lastCommitAt = Instant.now();
                // The batch's figures first: progress() read during a compaction shows the batch counted
                // with its events and versions, not one without the other.
                events += r.events();
                bronzeVersion = engine.bronzeVersion();
                if (++batches % COMPACTION_CHECK_BATCHES == 0) {
                    // on the maintenance thread: a compaction's rewrite must not hold up the next poll
                    synchronized (pauseLock) {
                        bronzeCompactionDue = true;
                        pauseLock.notifyAll();
                    }
                }
            } else if (mode == RunMode.UNTIL_CAUGHT_UP && !r.conflict() && engine.caughtUp()) {
                break;
            }
        }
    }

    /**
     * The silver thread: merges whatever bronze handed over since its last merge, until bronze is
     * done and everything is merged. A failure is handed to the engine, which ends bronze with it.
     */
    private void mergeSilver(MicroBatchEngine engine) {
        try {
            long merges = 0;
            while (true) {
                int work = engine.awaitSilverWork(IDLE_MERGE_CHECK);
                if (work < 0) {
                    // the run ends: what this instance committed goes into silver before it does
                    silverRows += engine.finishMerging();
                    silverVersion = engine.silverVersion();
                    break;
                }
                if (work == 0) {
                    // no batch of ours: merge other instances' bronze commits, if this instance merges silver
                    synchronized (pauseLock) {
                        if (pauseRequested) {
                            continue;
                        }
                        silverBusy = true;
                    }
                    silverRows += engine.mergeOthers();
                    silverVersion = engine.silverVersion();
                    silverBusy = false;
                    synchronized (pauseLock) {
                        pauseLock.notifyAll();
                    }
                    continue;
                }
                silverBusy = true;
                silverRows += engine.mergeSilver();
                silverVersion = engine.silverVersion();
                if (++merges % COMPACTION_CHECK_BATCHES == 0) {
                    engine.compactSilver();
                    silverVersion = engine.silverVersion();
                }
                silverBusy = false;
                synchronized (pauseLock) {
                    pauseLock.notifyAll(); // a pause may be waiting for silver to be idle
                }
            }
        } catch (Throwable t) {
            silverBusy = false;
            engine.silverFailed(t);
        }
    }

    /**
     * The maintenance thread, until the run's work ends: compacts bronze when the pipeline's thread
     * asks (every few batches), and vacuums the tables every interval. Neither holds up a batch: a
     * vacuum commits nothing, and a compaction's commit only rearranges files, so it commits beside
     * bronze's appends (or gives way to them). A paused run does neither, and a pause waits for the one
     * in progress. A failure is logged and the next one tries again.
     */
    private void maintain(MicroBatchEngine engine) {
        long every = pipeline.vacuumInterval().map(Duration::toMillis).orElse(Long.MAX_VALUE);
        long nextVacuum = every == Long.MAX_VALUE ? Long.MAX_VALUE
                : System.currentTimeMillis() + Math.min(every, FIRST_VACUUM_DELAY_MILLIS);
        try {
            while (true) {
                boolean compact;
                boolean vacuum;
                synchronized (pauseLock) {
                    while (!maintenanceEnds && (pauseRequested
                            || !bronzeCompactionDue && System.currentTimeMillis() < nextVacuum)) {
                        long untilVacuum = nextVacuum - System.currentTimeMillis();
                        pauseLock.wait(pauseRequested ? 0 : Math.max(1, Math.min(untilVacuum, Integer.MAX_VALUE)));
                    }
                    if (maintenanceEnds) {
                        return;
                    }
                    compact = bronzeCompactionDue;
                    bronzeCompactionDue = false;
                    vacuum = System.currentTimeMillis() >= nextVacuum;
                    maintenanceBusy = true;
                }
                try {
                    if (compact) {
                        engine.compactBronzeBeside();
                    }
                    if (vacuum) {
                        nextVacuum = System.currentTimeMillis() + every;
                        Vacuumed v = engine.vacuum();
                        LOG.debug("{} vacuumed {} files, {} bytes", pipeline.name(), v.files(), v.bytes());
                    }
                } finally {
                    synchronized (pauseLock) {
                        maintenanceBusy = false;
                        pauseLock.notifyAll(); // a pause may wait for it
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the thread ends; the next run maintains
        } catch (RuntimeException e) {
            LOG.warn("{}: the maintenance thread stopped; the next run maintains the tables again: {}",
                    pipeline.name(), e.getMessage(), e);
        }
    }

    /** The pipeline's thread, between batches: waits while the run is paused, until resumed or stopped. */
    private void holdWhilePaused() {
        synchronized (pauseLock) {
            if (!pauseRequested) {
                return;
            }
            bronzeHeld = true;
            pauseLock.notifyAll();
            try {
                while (pauseRequested && !stopRequested) {
                    pauseLock.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopRequested = true; // an interrupted pipeline thread ends the run, as a stop does
            } finally {
                bronzeHeld = false;
            }
        }
    }

    @Override
    public void pause() {
        synchronized (pauseLock) {
            pauseRequested = true;
            pauseLock.notifyAll();
            try {
                // bronze held between batches, and silver idle: with bronze held, nothing comes to merge
                while (!(bronzeHeld && !silverBusy && !maintenanceBusy && silverLagZero())) {
                    if (done.getCount() == 0) {
                        pauseRequested = false;
                        rethrowFailure();
                        throw EngineErrors.endedBeforePause(pipeline.name());
                    }
                    // silver's end of a merge notifies; the timeout also sees a run that ends meanwhile
                    pauseLock.wait(PAUSE_RECHECK_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pauseRequested = false;
                pauseLock.notifyAll();
                throw EngineErrors.interruptedWaitingForPipeline(pipeline.name(), e);
            }
            state = PipelineProgress.State.PAUSED;
        }
        LOG.info("{} paused: bronze v{}, silver v{}", pipeline.name(), bronzeVersion, silverVersion);
    }

    private boolean silverLagZero() {
        MicroBatchEngine e = engine;
        return e == null || e.silverLag() == 0;
    }

    @Override
    public void resume() {
        synchronized (pauseLock) {
            if (!pauseRequested) {
                return;
            }
            pauseRequested = false;
            if (state == PipelineProgress.State.PAUSED) {
                state = PipelineProgress.State.RUNNING;
            }
            pauseLock.notifyAll();
        }
        LOG.info("{} resumed", pipeline.name());
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public PipelineProgress progress() {
        Throwable f = failure;
        MicroBatchEngine e = engine;
        return new PipelineProgress(state, batches, events, silverRows, bronzeVersion, silverVersion,
                Duration.ofNanos(System.nanoTime() - startNanos), f == null ? null : String.valueOf(f.getMessage()),
                e == null ? List.of() : e.gaps(), e == null ? 0 : e.quarantined(),
                e == null ? List.of() : e.expectationMetrics(), e == null ? Map.of() : e.recordsBehind());
    }

    @Override
    public PipelineHealth health() {
        Throwable f = failure;
        PipelineHealth.Status status = switch (state) {
            case STARTING -> PipelineHealth.Status.STARTING;
            // a backlog in the source, or bronze held back by silver, is lagging
            case RUNNING -> lagging || silverHoldsBronze() ? PipelineHealth.Status.LAGGING
                    : PipelineHealth.Status.CAUGHT_UP;
            case PAUSED -> PipelineHealth.Status.PAUSED;
            case STOPPED -> PipelineHealth.Status.STOPPED;
            case FAILED -> PipelineHealth.Status.FAILED;
        };
        return new PipelineHealth(status, f == null ? null : String.valueOf(f.getMessage()), startedAt, lastCommitAt);
    }

    private boolean silverHoldsBronze() {
        MicroBatchEngine e = engine;
        return e != null && e.silverLag() >= pipeline.maxSilverLag();
    }

    @Override
    public void awaitTermination() {
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineErrors.interruptedWaitingForPipeline(pipeline.name(), e);
        }
        rethrowFailure();
    }

    @Override
    public boolean awaitTermination(Duration timeout) {
        boolean ended;
        try {
            ended = done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineErrors.interruptedWaitingForPipeline(pipeline.name(), e);
        }
        if (ended) {
            rethrowFailure();
        }
        return ended;
    }

    private void rethrowFailure() {
        Throwable f = failure;
        if (f != null) {
            failureSurfaced = true;
        }
        if (f instanceof StreamLakeException e) {
            throw e;
        } else if (f instanceof Error e) {
            throw e;
        } else if (f != null) {
            throw EngineErrors.pipelineFailed(pipeline.name(), f);
        }
    }

    @Override
    public Erasure erase(Collection<?> keys) {
        Objects.requireNonNull(keys, "keys");
        boolean wasPaused;
        synchronized (pauseLock) {
            wasPaused = pauseRequested;
        }
        pause();
        try {
            MicroBatchEngine e = Objects.requireNonNull(engine, "a paused run has its engine");
            Erasure erased = e.erase(keys);
            silverVersion = e.silverVersion();
            return erased;
        } finally {
            if (!wasPaused) {
                resume();
            }
        }
    }

    @Override
    public void stop() {
        stopRequested = true;
        synchronized (pauseLock) {
            pauseLock.notifyAll(); // a paused pipeline thread ends its wait
        }
    }

    @Override
    public void close() {
        stop();
        if (failureSurfaced) {
            awaitQuietly();
        } else {
            awaitTermination();
        }
    }

    private void awaitQuietly() {
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
