package io.streamlake.core.engine;

import io.streamlake.Pipeline;
import io.streamlake.PipelineHealth;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.spi.BatchResult;
import io.streamlake.spi.PipelineTables;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * <p>Threads: the volatile fields are written by one thread each (bronze's figures by the
 * pipeline's thread, silver's by the silver thread) and read by any thread through
 * {@link #progress()} and {@link #health()}.
 */
final class EngineRun implements PipelineRun {
    private static final Logger LOG = LoggerFactory.getLogger(EngineRun.class);
    /** Looking for small files costs a listing of the table: do it every few batches, not every one. */
    private static final int COMPACTION_CHECK_BATCHES = 10;

    private final Pipeline pipeline;
    private final RunMode mode;
    private final PipelineTables tables;
    private final Thread thread;
    private final CountDownLatch done = new CountDownLatch(1);
    private final long startNanos = System.nanoTime();
    private volatile boolean stopRequested;
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
            try {
                ingest(engine);
            } finally {
                // silver merges what bronze committed, then ends (after a failure of bronze too: the
                // tables are consistent either way, and a restart has less to catch up)
                engine.finishSilver();
                if (merger != null) {
                    joinUninterruptibly(merger);
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
                    engine.compactBronze();
                    bronzeVersion = engine.bronzeVersion();
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
            while (engine.awaitSilverWork()) {
                silverRows += engine.mergeSilver();
                silverVersion = engine.silverVersion();
                if (++merges % COMPACTION_CHECK_BATCHES == 0) {
                    engine.compactSilver();
                    silverVersion = engine.silverVersion();
                }
            }
        } catch (Throwable t) {
            engine.silverFailed(t);
        }
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
    public void stop() {
        stopRequested = true;
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
