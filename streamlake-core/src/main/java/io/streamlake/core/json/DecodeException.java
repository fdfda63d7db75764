package io.streamlake.core.json;

import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.quality.QuarantineReason;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A record's value could not be decoded into a row of the declared schema. Internal, not API:
 * users meet it only as a {@link SchemaMismatchException}, the type the API documents for records
 * that do not fit the schema.
 *
 * <p>The {@link #reason()} lets the silver stage route bad records (count them, quarantine them,
 * fail the run) without parsing messages. The message names the column, the expected type and a
 * short excerpt of what was found, never the whole payload.
 *
 * <pre>{@code
 * try {
 *     row = decoder.decode(record.value());
 * } catch (DecodeException e) {
 *     quarantine(record, e.reason(), e.getMessage());
 * }
 * }</pre>
 */
public final class DecodeException extends SchemaMismatchException {
    private static final long serialVersionUID = 1L;

    private final QuarantineReason reason;
    private final @Nullable String column;

    /**
     * @param reason why the value was rejected: one of the decoding kinds of {@link QuarantineReason}
     * @param column the offending column, or null when the problem is the value as a whole
     * @param message what failed and why, with at most a short excerpt of the payload
     */
    public DecodeException(QuarantineReason reason, @Nullable String column, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.column = column;
    }

    /** @return why the value was rejected, as the quarantine records it */
    public QuarantineReason reason() {
        return reason;
    }

    /** @return the offending column, or null when the problem is the value as a whole */
    public @Nullable String column() {
        return column;
    }

    /**
     * Skips the stack trace: this describes bad data, not a code path, and a stream of bad records
     * would otherwise spend more time filling traces than decoding.
     */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
