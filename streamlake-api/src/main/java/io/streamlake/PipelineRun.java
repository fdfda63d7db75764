package io.streamlake;

import java.util.Collection;
import io.streamlake.table.Erasure;
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

    /**
     * Erases keys from every table of the pipeline, for a data subject's right to erasure (GDPR
     * article 17): silver's rows, bronze's events (the files that hold them are rewritten without
     * them), the delete markers and the quarantined records of those keys. The run {@link #pause()
     * pauses} while it erases, so it never races ingestion, and goes on afterwards (a run paused
     * before stays paused). Each table gets a {@code DELETE} commit in its Delta log, whose note
     * names the erasure by number but holds no key.
     *
     * <pre>{@code
     * Erasure e = run.erase(List.of("c-42", "c-77"));                 // key column customer_id
     * Erasure f = run.erase(List.of(List.of("eu", 42L)));             // key (region, customer_no)
     * }</pre>
     *
     * <p>A record's key is found as silver's merge finds it: decoded, transformed, then its key
     * columns; a tombstone's from its record key. Records that have no key (they could not be
     * decoded) cannot be found by it. The silver change feed gets a {@code delete} change for every
     * silver row removed; changes it already holds stay, as in Delta's own change data feed.
     *
     * <p><b>Erased for good.</b> Bronze keeps the erasure (a salted hash of each key, not the key,
     * and the last bronze version it covers) in its table properties. A silver merge that reads a
     * bronze version the erasure covers leaves the key out, so a replay of bronze's history (a new
     * silver table built from bronze, the files a compaction replaced) does not bring it back; events
     * of the key that arrive later are new events and enter as usual. The old files stay on storage
     * until {@code VACUUM} removes them after the table's retention (the pipeline's own vacuum does,
     * {@link Pipeline#withVacuum}). Events still in the source (a Kafka topic, an Event Hub) are the
     * source's to expire: StreamLake cannot delete them there.
     *
     * <p><b>Crashes.</b> Bronze's commit comes first and records the erasure; silver, the markers and
     * the quarantine each apply it in one commit of their own, and a pipeline that starts finishes
     * what a crash left undone. If this method throws, call it again with the same keys.
     *
     * @param keys the keys to erase: for a silver key of one column, its values (a {@code Long} or
     *     {@code Integer} for a number column, a {@code String} for text); for several columns, a
     *     {@code List} of the columns' values each, most significant first
     * @return what was removed, table by table
     * @throws io.streamlake.exceptions.ConfigurationException if the pipeline has no silver table
     *     (there is no key to find records by)
     * @throws IllegalArgumentException if a key does not fit the key columns (the message names the
     *     column, never the value)
     * @throws IllegalStateException if the run ended before it could pause
     */
    Erasure erase(Collection<?> keys);

    /** Asks the run to stop after the current batch; returns at once. */
    void stop();

    /** Stops the run and waits for it to end; rethrows its failure, if any. */
    @Override
    void close();
}
