package io.streamlake.source;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The running side of a {@link Source}, polled one micro-batch at a time.
 *
 * <p>Threads: the engine never calls two methods of a reader at once, and each call happens-before
 * the next, but calls may come from different threads: a streaming run polls on a fetch thread of
 * its own (to fetch the next batch while the current one is written) and calls the other methods
 * on the pipeline's thread. So a reader needs no locking, and must not tie state to a thread (no
 * {@code ThreadLocal}, no check of the calling thread; Kafka's consumer, for one, accepts calls from
 * several threads as long as they never overlap). {@link #committed} may come late: while a poll is
 * in flight, the engine tells the reader once that poll is back.
 *
 * <pre>{@code
 * try (SourceReader reader = source.open(context)) {
 *     List<SourceRecord> batch = reader.poll(10_000, Duration.ofMillis(500));
 *     // ... write and commit the batch ...
 *     reader.committed(lastPositions);
 * }
 * }</pre>
 */
public interface SourceReader extends AutoCloseable {

    /**
     * Returns the next records, in position order within each partition.
     *
     * @param maxRecords at most this many records
     * @param maxWait how long to wait when nothing is available
     * @return the records, possibly empty
     */
    List<SourceRecord> poll(int maxRecords, Duration maxWait);

    /**
     * Returns the next records, in position order within each partition, within the given bounds.
     * The engine calls this one, with limits built from the pipeline's settings.
     *
     * <p>A reader that can should stop gathering once the batch holds {@link BatchLimits#maxRecords}
     * records or {@link BatchLimits#maxBytes} bytes of keys and values ({@link BatchLimits#admits}), and
     * once the first record it gathered has waited {@link BatchLimits#maxDelay} for more
     * ({@link BatchLimits#delayPassed}). A record it leaves out must come first in the next poll, as a
     * record beyond {@code maxRecords} does. A single record larger than {@code maxBytes} still makes a
     * batch of one. {@link BatchLimits#maxWait} stays how long to wait when nothing is available.
     *
     * <p>The default calls {@link #poll(int, Duration)} with the records and the wait, so a reader
     * written before this method keeps working, bounded by records only.
     *
     * <pre>{@code
     * List<SourceRecord> batch = reader.poll(BatchLimits.of(10_000, Duration.ofMillis(500)).withMaxBytes(16L << 20));
     * }</pre>
     *
     * @param limits the batch's bounds
     * @return the records, possibly empty
     */
    default List<SourceRecord> poll(BatchLimits limits) {
        return poll(limits.maxRecords(), limits.maxWait());
    }

    /**
     * Discards whatever was read but not committed and seeks every partition again to the position
     * after its committed marker. Called when a batch was abandoned (a commit conflict, a failed write).
     */
    void rewind();

    /**
     * Only a run that must end asks this (a run until caught up, or the test driver's
     * {@code runUntilCaughtUp}); a streaming run never does. So a reader that cannot find out, because
     * its source has stopped answering for longer than it allows, throws here, and a streaming run
     * goes on polling until the source answers again.
     *
     * @return true when the last poll reached the end of every partition known to this reader; the
     *     engine stops a run-until-caught-up pipeline when this is true and a poll returned nothing
     * @throws io.streamlake.exceptions.SourceException when the source cannot tell, and will not
     *     within the time the reader allows
     */
    boolean caughtUp();

    /**
     * Tells the reader a batch is committed, for example to mirror offsets to a consumer group for
     * monitoring. The Delta log stays the truth; failures here must not fail the pipeline.
     *
     * @param lastPositions the last committed position per partition in the batch
     */
    default void committed(Map<SourcePartition, Long> lastPositions) {
    }

    /**
     * The lag: how many records each partition holds beyond the last one the latest {@link #poll}
     * handed out (or, for a partition it handed nothing from, beyond its reading position). The
     * engine calls it right after each poll, on the thread that polled, and hands the snapshot on with
     * the batch ({@code BatchCommitted.recordsBehind}, {@code PipelineProgress.recordsBehind}, the
     * metrics' {@code streamlake.source.records.behind}).
     *
     * <p>It must answer from what the reader already knows (the last fetch's end offsets, say), never
     * with a call to the source: it runs once per poll. A partition it cannot tell about is left out;
     * the default knows none. A failure here is logged and ignored: the figure is for monitoring.
     *
     * <pre>{@code
     * List<SourceRecord> batch = reader.poll(10_000, Duration.ofMillis(500));
     * Map<SourcePartition, Long> lag = reader.recordsBehind(); // e.g. {orders/0=1200, orders/1=0}
     * }</pre>
     *
     * @return records behind per partition, as of the latest poll; empty when unknown
     */
    default Map<SourcePartition, Long> recordsBehind() {
        return Map.of();
    }

    /**
     * Whether this reader holds the source's first partition (Kafka: partition 0 of the first
     * subscribed topic, by name), which a consumer group gives to one member at a time. When several
     * instances of a pipeline share a source, the engine lets only that instance merge silver; the
     * others ingest bronze, and the holder merges their commits too. When the holder dies, the group
     * gives the partition to another member, which takes over silver.
     *
     * <p>Called from the engine's threads, often: it must answer from what the reader already knows (a
     * field its assignment callbacks keep), never with a call to the source. The default, true, suits a
     * source that one instance reads alone; where every instance says true, each merges silver and
     * Delta's commit race keeps the result right, at the cost of the losers' work.
     *
     * @return true if this instance is the one to merge silver
     */
    default boolean holdsFirstPartition() {
        return true;
    }

    /** Releases connections. */
    @Override
    void close();
}
