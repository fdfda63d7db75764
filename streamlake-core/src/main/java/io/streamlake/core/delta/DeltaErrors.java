package io.streamlake.core.delta;

import io.streamlake.exceptions.CommitStateUnknownException;

/**
 * The delta package's failures, written once: each message says what failed, why, and what to do,
 * names the table, and goes through the table's redactor, so no credential reaches a message or a
 * cause. (Modelled on Delta Kernel's {@code DeltaErrors}.) Sites throw what these return:
 *
 * <pre>{@code
 * throw DeltaErrors.commitStateUnknown(table, readVersion + 1, e);
 * }</pre>
 */
final class DeltaErrors {
    private DeltaErrors() {
    }

    /**
     * Writing a commit's log entry failed after it may have reached storage.
     *
     * @param table the table committed to
     * @param attemptedVersion the version the commit tried to write
     * @param cause what storage or delta-standalone threw
     */
    static CommitStateUnknownException commitStateUnknown(DeltaTable table, long attemptedVersion, Throwable cause) {
        return new CommitStateUnknownException(table.redact("commit of version " + attemptedVersion
                + " to Delta table " + table.location() + " failed with an unknown outcome: " + describe(cause)
                + ". The commit may or may not have been applied; resume from the committed markers, which tell"
                + " what the table holds (a StreamLake pipeline does so on restart)"),
                table.sanitize(cause), table.location(), attemptedVersion);
    }

    /** @return the failure's class and message, as messages quote a cause */
    static String describe(Throwable t) {
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message.trim());
    }
}
