package io.streamlake.exceptions;

import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A table commit lost a race: another writer changed the same source partitions or silver progress since this batch started. The batch is dropped and re-read from the committed positions, so nothing is lost or duplicated; the engine handles this itself and only raises it when retrying is impossible.
 *
 * <p>Fields name what collided, for a caller that acts on it without parsing the message:
 * {@link #tableLocation()}, the table version the commit was based on ({@link #readVersion()}), and
 * for a moved transaction marker its id ({@link #marker()}) with the version the batch expected and
 * the one it found ({@link #expectedMarkerVersion()}, {@link #actualMarkerVersion()}).
 *
 * <pre>{@code
 * catch (CommitConflictException e) { // another instance owns these partitions now
 *     e.marker().ifPresent(m -> log.info("{} moved to {} under us", m, e.actualMarkerVersion()));
 * }
 * }</pre>
 */
public class CommitConflictException extends StreamLakeException {
    private static final long serialVersionUID = 1L;

    private final @Nullable String tableLocation;
    private final long readVersion;
    private final @Nullable String marker;
    private final long expectedMarkerVersion;
    private final long actualMarkerVersion;

    /** @param message what failed, why, and what to do */
    public CommitConflictException(String message) {
        this(message, null, null, -1, null, -1, -1);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public CommitConflictException(String message, @Nullable Throwable cause) {
        this(message, cause, null, -1, null, -1, -1);
    }

    private CommitConflictException(String message, @Nullable Throwable cause, @Nullable String tableLocation,
            long readVersion, @Nullable String marker, long expectedMarkerVersion, long actualMarkerVersion) {
        super(message, cause);
        this.tableLocation = tableLocation;
        this.readVersion = readVersion;
        this.marker = marker;
        this.expectedMarkerVersion = expectedMarkerVersion;
        this.actualMarkerVersion = actualMarkerVersion;
    }

    /**
     * A conflict with a concurrent commit on a table.
     *
     * @param message what failed, why, and what to do
     * @param cause the underlying failure, or null
     * @param tableLocation the table's location without credentials
     * @param readVersion the table version the commit was based on, -1 if none (the table was being created)
     * @return the exception
     */
    public static CommitConflictException onTable(String message, @Nullable Throwable cause, String tableLocation,
            long readVersion) {
        return new CommitConflictException(message, cause, tableLocation, readVersion, null, -1, -1);
    }

    /**
     * A transaction marker that moved since the batch started: another writer made progress on it.
     *
     * @param message what failed, why, and what to do
     * @param tableLocation the table's location without credentials
     * @param readVersion the table version the commit was based on
     * @param marker the marker's id (its Delta {@code appId})
     * @param expectedVersion the marker version the batch started from, -1 for no marker
     * @param actualVersion the marker version the table holds, -1 for no marker
     * @return the exception
     */
    public static CommitConflictException onMarker(String message, String tableLocation, long readVersion,
            String marker, long expectedVersion, long actualVersion) {
        return new CommitConflictException(message, null, tableLocation, readVersion, marker,
                Math.max(-1, expectedVersion), Math.max(-1, actualVersion));
    }

    /** @return the table whose commit conflicted, without credentials; empty if not known */
    public Optional<String> tableLocation() {
        return Optional.ofNullable(tableLocation);
    }

    /** @return the table version the refused commit was based on; empty if not known or the table did not exist */
    public OptionalLong readVersion() {
        return readVersion < 0 ? OptionalLong.empty() : OptionalLong.of(readVersion);
    }

    /** @return the id of the transaction marker that moved; empty if the conflict was not on one marker */
    public Optional<String> marker() {
        return Optional.ofNullable(marker);
    }

    /**
     * @return the marker version the batch started from; empty if the batch expected no marker, or
     *     {@link #marker()} is empty
     */
    public OptionalLong expectedMarkerVersion() {
        return expectedMarkerVersion < 0 ? OptionalLong.empty() : OptionalLong.of(expectedMarkerVersion);
    }

    /**
     * @return the marker version the table holds; empty if the table holds no such marker, or
     *     {@link #marker()} is empty
     */
    public OptionalLong actualMarkerVersion() {
        return actualMarkerVersion < 0 ? OptionalLong.empty() : OptionalLong.of(actualMarkerVersion);
    }
}
