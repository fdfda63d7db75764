package io.streamlake.exceptions;

/**
 * Base of every exception StreamLake throws. Unchecked, so that pipelines read cleanly; catch it
 * at the edge of your application. Messages say what failed, why, and what to do, and never contain
 * secrets (connection strings, keys, tokens).
 *
 * <pre>{@code
 * try (PipelineRun run = pipeline.start()) {
 *     run.awaitTermination();
 * } catch (StreamLakeException e) {
 *     log.error("ingestion stopped: {}", e.getMessage());
 * }
 * }</pre>
 */
public class StreamLakeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, why, and what to do */
    public StreamLakeException(String message) {
        super(message);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public StreamLakeException(String message, Throwable cause) {
        super(message, cause);
    }
}
