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

    /**
     * Pauses the run between batches, so that an operator can change its tables from another engine
     * (Spark DML on silver, an {@code OPTIMIZE}, a schema change) without racing it: waits until
     * bronze has committed the batch it was writing and silver has merged every bronze commit, then
     * returns with nothing being written to any of the pipeline's tables until {@link #resume()}.
     * The source is not polled meanwhile, so events wait in it. A paused run reports
     * {@link PipelineHealth.Status#PAUSED} and {@link PipelineProgress.State#PAUSED}; it can be stopped
     * while paused. Pausing a paused run does nothing.
     *
     * <pre>{@code
     * run.pause();
     * spark.sql("DELETE FROM delta.`lake/silver/orders` WHERE customer_id = 'c-42'");
     * run.resume();   // merges go on from the table as Spark left it
     * }</pre>
     *
     * <p>With Kafka, a pause longer than the consumer's {@code max.poll.interval.ms} (5 minutes by
     * default) makes the consumer leave its group; on resume it joins again and goes on after bronze's
     * last commit, as after any rebalance.
     *
     * @throws io.streamlake.exceptions.StreamLakeException if the run failed before it could pause
     * @throws IllegalStateException if the run ended before it could pause
     */
    void pause();

    /** Lets a {@link #pause() paused} run go on; does nothing if it is not paused. */
    void resume();

    /** Asks the run to stop after the current batch; returns at once. */
    void stop();

    /** Stops the run and waits for it to end; rethrows its failure, if any. */
    @Override
    void close();
}
