package io.streamlake;

import java.time.Duration;

/**
 * A running pipeline. Closing it stops it gracefully: the batch in flight is committed or
 * abandoned, never half-written, and the next start resumes exactly after the last commit.
 *
 * <pre>{@code
 * try (PipelineRun run = pipeline.start()) {
 *     while (!run.awaitTermination(Duration.ofSeconds(2))) {
 *         System.out.println(run.progress());
 *     }
 * }
 * }</pre>
 */
public interface PipelineRun extends AutoCloseable {

    /** @return the current progress */
    PipelineProgress progress();

    /**
     * @return the run's health for readiness and liveness checks: starting, caught up, lagging,
     *     stopped or failed, and when it last committed; cheap, from any thread
     */
    PipelineHealth health();

    /**
     * Waits until the run ends.
     *
     * @throws io.streamlake.exceptions.StreamLakeException if the run failed (the cause is attached)
     */
    void awaitTermination();

    /**
     * Waits until the run ends or the timeout passes.
     *
     * @param timeout how long to wait at most
     * @return true if the run ended
     * @throws io.streamlake.exceptions.StreamLakeException if the run failed
     */
    boolean awaitTermination(Duration timeout);

    /** Asks the run to stop after the current batch; returns at once. */
    void stop();

    /** Stops the run and waits for it to end; rethrows its failure, if any. */
    @Override
    void close();
}
