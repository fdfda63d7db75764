package io.streamlake;

/**
 * How long a started pipeline runs.
 *
 * <pre>{@code
 * try (PipelineRun run = pipeline.start(RunMode.UNTIL_CAUGHT_UP)) {
 *     run.awaitTermination();
 * }
 * }</pre>
 */
public enum RunMode {
    /** Run until {@link PipelineRun#stop()} or {@link PipelineRun#close()}: a streaming service. */
    CONTINUOUS,
    /** Drain what the source holds now, commit it, then stop by itself: a batch job. */
    UNTIL_CAUGHT_UP
}
