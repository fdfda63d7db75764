package io.streamlake.spi;

import java.util.Collection;
import io.streamlake.table.Erasure;
import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.source.PositionGap;
import java.time.Duration;
import java.util.List;

/**
 * The engine of one pipeline over its tables, driven one micro-batch at a time by its caller: what a
 * streaming run does on its own thread, and what the testkit's driver does on the test's. Made by
 * {@link io.streamlake.PipelineEngine#batchEngine}.
 *
 * <p>Threads: {@link #open()}, {@link #runOnce}, {@link #compact()} and {@link #close()} are called by
 * one thread at a time (each call happens-before the next), never while another call runs. The two
 * halves of a batch, {@link #ingestOnce} and {@link #mergeSilver}, may instead run at the same time
 * on two threads, one each, as a streaming run does; the getters may be read from any thread.
 */
public interface BatchEngine extends AutoCloseable {

    /**
     * Creates the tables if needed, finishes any silver work a crash left behind, opens the source.
     * Call once, before the first {@link #runOnce}.
     */
    void open();

    /**
     * Polls and commits one micro-batch: bronze, then silver up to it.
     *
     * @param pollTimeout how long to wait for records
     * @return what happened; {@code events() == 0} when the source had nothing new
     * @throws IllegalStateException before {@link #open()}
     */
    BatchResult runOnce(Duration pollTimeout);

    /**
     * Polls and commits one micro-batch to bronze only, and hands it to silver for the next
     * {@link #mergeSilver()}: the first half of {@link #runOnce}. The batch's {@code BatchCommitted}
     * event is told once silver has it too (at once for a bronze-only pipeline).
     *
     * @param pollTimeout how long to wait for records
     * @return what happened to bronze; {@code events() == 0} when the source had nothing new
     * @throws IllegalStateException before {@link #open()}
     */
    BatchResult ingestOnce(Duration pollTimeout);

    /**
     * Brings silver up to every bronze version handed over by {@link #ingestOnce} since the last merge,
     * in one merge where the merge's bounds allow: the second half of {@link #runOnce}. May run on
     * another thread at the same time as {@link #ingestOnce}, as a streaming run does.
     *
     * @return silver rows changed; 0 without silver or when nothing was handed over
     */
    long mergeSilver();

    /**
     * Combines small files where enough of them piled up and expires silver's delete markers past
     * their retention; safe between micro-batches.
     *
     * @return files replaced
     */
    int compact();

    /**
     * Erases keys from the pipeline's tables ({@link io.streamlake.PipelineRun#erase}), between
     * micro-batches: the caller makes sure neither {@link #ingestOnce} nor {@link #mergeSilver} runs
     * meanwhile.
     *
     * @param keys the keys, one value each for a key of one column, a list of values for several
     * @return what was removed
     * @throws io.streamlake.exceptions.ConfigurationException for a pipeline without silver
     * @throws IllegalStateException before {@link #open()}
     */
    Erasure erase(Collection<?> keys);

    /** @return true when the last poll returned nothing and the source says it is at its end */
    boolean caughtUp();

    /** @return the position gaps the source reported since this engine was made */
    List<PositionGap> gaps();

    /** @return the latest bronze version committed or seen at open */
    long bronzeVersion();

    /** @return the latest silver version, -1 without silver */
    long silverVersion();

    /** @return records quarantined since this engine was made */
    long quarantined();

    /** @return pass and fail counts per expectation (and decoding) since this engine was made */
    List<ExpectationMetrics> expectationMetrics();

    /** Closes the source and the batch's helper threads; the tables stay as committed. */
    @Override
    void close();
}
