package io.streamlake.exceptions;

/**
 * Reading from a source failed: the broker is unreachable, a position no longer exists, a record could not be fetched.
 *
 * <pre>{@code
 * catch (SourceException e) { // check the broker, then restart: progress is safe in the Delta log
 * }
 * }</pre>
 */
public class SourceException extends StreamLakeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, why, and what to do */
    public SourceException(String message) {
        super(message);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public SourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
