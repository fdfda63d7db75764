package io.streamlake.exceptions;

import io.streamlake.source.SourcePartition;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Reading from a source failed: the broker is unreachable, a position no longer exists, a record could not be fetched.
 *
 * <p>{@link #source()} and {@link #partition()} name what failed when it is known, so a caller can
 * act on it (alert on that source, skip that partition) without parsing the message. The engine
 * names the source of a failure it reports; a source implementation names the partition.
 *
 * <pre>{@code
 * catch (SourceException e) { // check the broker, then restart: progress is safe in the Delta log
 *     log.error("source {} partition {} failed", e.source().orElse("?"), e.partition().map(Object::toString).orElse("-"), e);
 * }
 * // in a SourceReader:
 * throw new SourceException("offset 41 of orders/3 expired; ...", cause, "orders", new SourcePartition("orders", 3));
 * }</pre>
 */
public class SourceException extends StreamLakeException {
    private static final long serialVersionUID = 1L;

    private final @Nullable String source;
    private final @Nullable SourcePartition partition;

    /** @param message what failed, why, and what to do */
    public SourceException(String message) {
        super(message);
        this.source = null;
        this.partition = null;
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public SourceException(String message, @Nullable Throwable cause) {
        this(message, cause, null, null);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure, or null
     * @param source the source's name ({@code Source.name()}), or null if unknown
     * @param partition the partition that failed, or null if the failure is not tied to one
     */
    public SourceException(String message, @Nullable Throwable cause, @Nullable String source,
            @Nullable SourcePartition partition) {
        super(message, cause);
        this.source = source;
        this.partition = partition;
    }

    /** @return the name of the source that failed ({@code Source.name()}), empty if not known */
    public Optional<String> source() {
        return Optional.ofNullable(source);
    }

    /** @return the source partition that failed, empty if the failure is not tied to one or it is not known */
    public Optional<SourcePartition> partition() {
        return Optional.ofNullable(partition);
    }
}
