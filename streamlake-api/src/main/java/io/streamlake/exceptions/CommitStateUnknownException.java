package io.streamlake.exceptions;

import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A commit's outcome is unknown: writing its entry of the Delta log failed in a way that may or
 * may not have made it visible (a network error or timeout during or after the write, a storage
 * call that failed after the object was stored). The data files were written; whether the version
 * that references them exists is not known to the writer.
 *
 * <p>What to do: do not write the batch again on the same reader position, and do not assume it is
 * lost. Re-read the table: its transaction markers (the per-partition positions in bronze, the
 * consumed bronze version in silver) tell whether the batch landed. A StreamLake pipeline does this
 * itself: the run stops with this exception, and on restart its exactly-once replay reads the markers
 * and re-reads from the committed positions, so the batch lands exactly once. Files of a commit that
 * did not land are orphans, removed by vacuum.
 *
 * <p>A {@link SinkException}, so code that catches sink failures keeps working.
 *
 * <pre>{@code
 * try {
 *     run.awaitTermination();
 * } catch (CommitStateUnknownException e) {
 *     log.warn("commit of version {} to {} may or may not have landed; restarting", e.attemptedVersion(),
 *             e.tableLocation().orElse("?"));
 *     pipeline.start(); // replays from the markers: exactly once either way
 * }
 * }</pre>
 */
public class CommitStateUnknownException extends SinkException {
    private static final long serialVersionUID = 1L;

    private final long attemptedVersion;

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public CommitStateUnknownException(String message, Throwable cause) {
        this(message, cause, null, -1);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     * @param tableLocation the table's location, without credentials; null if unknown
     * @param attemptedVersion the table version the commit tried to write, -1 if unknown
     */
    public CommitStateUnknownException(String message, @Nullable Throwable cause, @Nullable String tableLocation,
            long attemptedVersion) {
        super(message, cause, tableLocation);
        this.attemptedVersion = attemptedVersion;
    }

    /**
     * @return the table version the commit tried to write (the version it read plus one), empty if
     *     unknown; if the table has this version, compare its markers with the batch's to tell whether
     *     it is this commit
     */
    public OptionalLong attemptedVersion() {
        return attemptedVersion < 0 ? OptionalLong.empty() : OptionalLong.of(attemptedVersion);
    }

    /** @return the table whose commit has an unknown outcome, empty if unknown */
    @Override
    public Optional<String> tableLocation() {
        return super.tableLocation();
    }
}
