package io.streamlake.testkit;

/**
 * A table of the medallion pipeline, to aim fault injection at.
 *
 * <pre>{@code
 * driver.crashAfterNextCommit(Stage.BRONZE);   // the crash between the bronze and silver commits
 * }</pre>
 */
public enum Stage {
    /** The raw-event table. */
    BRONZE,
    /** The parsed, upserted table. */
    SILVER,
    /** The table of records that could not enter silver. */
    QUARANTINE,
    /**
     * The table of silver's delete markers (a {@code latestBy} strategy's recently deleted keys),
     * committed after the quarantine and before silver.
     */
    DELETE_MARKERS,
    /** The event log ({@code Pipeline.withEventLog}). */
    EVENT_LOG,
    /** Silver's change feed ({@code Pipeline.withChangeFeed}), committed after each silver commit. */
    CHANGE_FEED
}
