package io.streamlake.core.engine;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SourceException;
import io.streamlake.exceptions.StreamLakeException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * The engine package's failures, written once: each message says what failed, why, and what to do,
 * and names the pipeline, source or table. Messages quote the failures of sources and tables, which
 * redact their own secrets; nothing here adds one. Sites throw what these return:
 *
 * <pre>{@code
 * throw EngineErrors.pollFailed(pipeline.source().name(), e);
 * }</pre>
 */
final class EngineErrors {
    private EngineErrors() {
    }

    /** A source's poll threw something other than a {@link SourceException}. */
    static SourceException pollFailed(String source, Throwable e) {
        return new SourceException("polling source '" + source + "' failed: " + e.getMessage()
                + "; the pipeline stopped with every committed event safe; fix the source and restart", e, source,
                null);
    }

    /**
     * What a task on another thread threw, to be thrown on the thread that waited for it.
     *
     * @param e the wait's failure
     * @param checked wraps a checked exception, which the waiting method does not declare
     * @return the task's unchecked exception as it was, or the checked one wrapped
     * @throws Error the task's, as it was
     */
    static RuntimeException thrownBy(ExecutionException e, Function<Throwable, RuntimeException> checked) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException re) {
            return re;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return checked.apply(cause);
    }

    /** A prefetched poll ended in a checked exception, which {@code SourceReader.poll} does not declare. */
    static SourceException prefetchFailed(String source, Throwable cause) {
        return new SourceException("polling source '" + source + "' failed: " + cause
                + "; the pipeline stopped with every committed event safe; fix the source and restart", cause,
                source, null);
    }

    static SourceException interruptedWaitingForBatch(String source, InterruptedException e) {
        return new SourceException("interrupted while waiting for the source's next batch", e, source, null);
    }

    /** The fetch thread, writing a batch as fetched, interrupted while it waited for bronze's writer thread. */
    static StreamLakeException interruptedWritingBronze(String pipeline, InterruptedException e) {
        return new StreamLakeException("interrupted while writing a bronze batch of pipeline " + pipeline
                + "; the batch was not committed, and a restart reads its events again from the committed positions",
                e);
    }

    static StreamLakeException interruptedWaitingForPipeline(String pipeline, InterruptedException e) {
        return new StreamLakeException("interrupted while waiting for pipeline " + pipeline, e);
    }

    /** {@code pause()} on a run that ended (stopped, or caught up) before it could pause. */
    static IllegalStateException endedBeforePause(String pipeline) {
        return new IllegalStateException("pipeline " + pipeline + " ended before it could pause; there is nothing"
                + " to resume: start it again when the tables are ready");
    }

    /** A thread of a run interrupted while it waited for the other: bronze for silver's room, silver for work. */
    static StreamLakeException interruptedWaitingForSilver(String pipeline, InterruptedException e) {
        return new StreamLakeException("interrupted while bronze and silver of pipeline " + pipeline
                + " waited for each other", e);
    }

    /** A run that failed with something other than a {@link StreamLakeException}. */
    static StreamLakeException pipelineFailed(String pipeline, Throwable failure) {
        return new StreamLakeException("pipeline " + pipeline + " failed: " + failure.getMessage(), failure);
    }

    /**
     * @param bronze the bronze table's location
     * @param source the source's name
     * @param owner the pipeline that ingests the source into this table
     * @param name the pipeline that tried to
     */
    static ConfigurationException sourceOwnedByAnotherPipeline(String bronze, String source, String owner,
            String name) {
        return new ConfigurationException("bronze table " + bronze + " holds source '" + source + "' as ingested by"
                + " pipeline '" + owner + "', and this pipeline is named '" + name + "': progress is kept by"
                + " pipeline name, so it would ingest every event of the source again. Use withName(\""
                + owner + "\") to continue where '" + owner + "' is, or write to a new bronze table path to"
                + " ingest everything afresh");
    }

    /** An erasure needs silver's key to recognize a record's key. */
    static ConfigurationException eraseWithoutSilver(String pipeline) {
        return new ConfigurationException("pipeline " + pipeline + " has no silver table, so it has no key to"
                + " erase by: erase(keys) finds a record's key as silver's merge does");
    }

    static IllegalStateException notOpen() {
        return new IllegalStateException("open() first");
    }
}
