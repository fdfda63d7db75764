package io.streamlake.exceptions;

/**
 * Writing or reading a table failed: storage unreachable, a data file unreadable, a table written by a newer Delta protocol than this library supports.
 *
 * <pre>{@code
 * catch (SinkException e) { // fix storage, restart: no committed data is lost
 * }
 * }</pre>
 */
public class SinkException extends StreamLakeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, why, and what to do */
    public SinkException(String message) {
        super(message);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public SinkException(String message, Throwable cause) {
        super(message, cause);
    }
}
