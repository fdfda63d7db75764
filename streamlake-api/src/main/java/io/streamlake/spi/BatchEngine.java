package io.streamlake.spi;

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
 * one thread at a time (each call happens-before the next); the getters may be read from any thread.
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
     * Combines small files where enough of them piled up and expires silver's delete markers past
     * their retention; safe between micro-batches.
     *
     * @return files replaced
     */
    int compact();

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
