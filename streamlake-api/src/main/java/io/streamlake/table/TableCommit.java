package io.streamlake.table;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One commit of a table's history ({@link Table#history}).
 *
 * <pre>{@code
 * for (TableCommit c : bronze.history(0, bronze.snapshot().version())) {
 *     System.out.println(c.version() + " " + c.operation() + " " + c.userMetadata());
 * }
 * }</pre>
 *
 * @param version the table version it made
 * @param timestamp when it was committed
 * @param operation the operation it recorded ({@code STREAMING UPDATE}, {@code OPTIMIZE}, ...)
 * @param userMetadata the text attached with {@link PendingCommit#withUserMetadata}, null if none
 */
public record TableCommit(long version, Instant timestamp, String operation, @Nullable String userMetadata) {

    /** Checks the required components. */
    public TableCommit {
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(operation, "operation");
    }
}
