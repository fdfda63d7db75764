package io.streamlake.exceptions;

/**
 * A table commit lost a race: another writer changed the same source partitions or silver progress since this batch started. The batch is dropped and re-read from the committed positions, so nothing is lost or duplicated; the engine handles this itself and only raises it when retrying is impossible.
 *
 * <pre>{@code
 * catch (CommitConflictException e) { // another instance owns these partitions now
 * }
 * }</pre>
 */
public class CommitConflictException extends StreamLakeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, why, and what to do */
    public CommitConflictException(String message) {
        super(message);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public CommitConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
