package io.streamlake.exceptions;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Writing or reading a table failed: storage unreachable, a data file unreadable, a table written by a newer Delta protocol than this library supports.
 *
 * <p>{@link #tableLocation()} names the table when the failure is tied to one, so a caller can act
 * on it (alert on, or fail over, that table) without parsing the message. A commit whose outcome is
 * unknown is the subclass {@link CommitStateUnknownException}.
 *
 * <pre>{@code
 * catch (SinkException e) { // fix storage, restart: no committed data is lost
 *     log.error("table {} failed", e.tableLocation().orElse("?"), e);
 * }
 * }</pre>
 */
public class SinkException extends StreamLakeException {
    private static final long serialVersionUID = 1L;

    private final @Nullable String tableLocation;

    /** @param message what failed, why, and what to do */
    public SinkException(String message) {
        super(message);
        this.tableLocation = null;
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public SinkException(String message, @Nullable Throwable cause) {
        this(message, cause, null);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure, or null
     * @param tableLocation the table's location without credentials (as {@code Table.location()} gives
     *     it), or null if the failure is not tied to one table
     */
    public SinkException(String message, @Nullable Throwable cause, @Nullable String tableLocation) {
        super(message, cause);
        this.tableLocation = tableLocation;
    }

    /**
     * @return the location of the table that failed, without credentials, as {@code Table.location()}
     *     gives it; empty if the failure is not tied to one table
     */
    public Optional<String> tableLocation() {
        return Optional.ofNullable(tableLocation);
    }
}
