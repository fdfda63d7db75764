package io.streamlake.exceptions;

/**
 * A pipeline, source or table is configured wrongly: a missing schema, an unknown column, an invalid option. Raised before any data moves, when the pipeline starts.
 *
 * <pre>{@code
 * Pipeline.from(source).bronze("lake/bronze").silver("lake/silver", "id").start(); // no schema: ConfigurationException
 * }</pre>
 */
public class ConfigurationException extends StreamLakeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, why, and what to do */
    public ConfigurationException(String message) {
        super(message);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
