package io.streamlake;

import java.util.Collection;
import io.streamlake.table.Erasure;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.spi.BatchEngine;
import io.streamlake.spi.PipelineTables;
import java.util.Iterator;
import java.util.ServiceLoader;

/**
 * The engine that runs a {@link Pipeline}: a service found with {@link ServiceLoader}, which
 * {@code streamlake-core} provides. Applications start pipelines with {@link Pipeline#start()} and
 * never call this; a test driver (the testkit's {@code PipelineTestDriver}) or a benchmark that must
 * run the real engine one micro-batch at a time over tables of its own uses
 * {@link #tables(Pipeline)}, {@link #batchEngine(Pipeline, PipelineTables)} and
 * {@link #replayQuarantine(Pipeline, PipelineTables)}.
 *
 * <p>Why it sits beside {@link Pipeline}: the description delegates {@code start()} to it (the fluent
 * shape {@code Pipeline.from(hub).bronze(path).silver(path, key).start()}, as Spark's
 * {@code DataStreamWriter.start()}), so the two share a package rather than import each other across
 * two; what an engine hands to a driver lives in {@link io.streamlake.spi}, which names no type of
 * this package.
 *
 * <pre>{@code
 * // META-INF/services/io.streamlake.PipelineEngine in streamlake-core names the implementation
 * PipelineEngine engine = PipelineEngine.load();
 * try (BatchEngine batches = engine.batchEngine(pipeline, engine.tables(pipeline))) {
 *     batches.open();
 *     BatchResult r = batches.runOnce(Duration.ZERO);
 * }
 * }</pre>
 */
public interface PipelineEngine {

    /**
     * @return the engine on the class path
     * @throws ConfigurationException if streamlake-core is missing
     */
    static PipelineEngine load() {
        Iterator<PipelineEngine> engines =
                ServiceLoader.load(PipelineEngine.class, PipelineEngine.class.getClassLoader())
                        .iterator();
        if (!engines.hasNext()) {
            throw new ConfigurationException("no StreamLake engine on the class path: add the dependency"
                    + " io.streamlake:streamlake-core (same version as streamlake-api)");
        }
        return engines.next();
    }

    /**
     * @param pipeline a validated pipeline description
     * @param mode how long to run
     * @return the running pipeline, on a thread of its own
     */
    PipelineRun start(Pipeline pipeline, RunMode mode);

    /**
     * @param pipeline a validated pipeline with silver and quarantine tables
     * @return records that left the quarantine
     */
    long replayQuarantine(Pipeline pipeline);

    /**
     * {@link Pipeline#erase}: erases keys from the tables of a pipeline that is not running here.
     *
     * @param pipeline a pipeline with a silver table
     * @param keys the keys, as {@link PipelineRun#erase} takes them
     * @return what was removed
     */
    Erasure erase(Pipeline pipeline, Collection<?> keys);

    /**
     * @param pipeline a validated pipeline description
     * @return its tables as a run opens them: given instances as they are, paths as Delta tables with
     *     the pipeline's storage options (no I/O until they are used)
     */
    PipelineTables tables(Pipeline pipeline);

    /**
     * The engine a streaming run drives, for a caller that drives it itself: one micro-batch per
     * {@link BatchEngine#runOnce}, on the caller's thread, over the given tables (which the caller may
     * wrap, for fault injection).
     *
     * @param pipeline a validated pipeline description
     * @param tables its tables, from {@link #tables(Pipeline)} or the caller's own
     * @return the engine, not yet open
     */
    BatchEngine batchEngine(Pipeline pipeline, PipelineTables tables);

    /**
     * {@link #replayQuarantine(Pipeline)} over the given tables, on the caller's thread.
     *
     * @param pipeline a validated pipeline with silver and quarantine tables
     * @param tables its tables; silver and quarantine must be set
     * @return records that left the quarantine
     */
    long replayQuarantine(Pipeline pipeline, PipelineTables tables);
}
