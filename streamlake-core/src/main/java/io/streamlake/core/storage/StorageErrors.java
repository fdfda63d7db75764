package io.streamlake.core.storage;

import io.streamlake.exceptions.ConfigurationException;
import org.jspecify.annotations.Nullable;

/**
 * The storage package's failures, written once: a location that cannot be resolved. Messages that
 * quote a path or a cause go through the location's redactor. Sites throw what these return:
 *
 * <pre>{@code
 * throw StorageErrors.blankPath();
 * }</pre>
 */
final class StorageErrors {
    private StorageErrors() {
    }

    static ConfigurationException blankPath() {
        // the text predates the Capture archive's use of locations; tests and users know it by these words
        return new ConfigurationException("a Delta table path must not be blank; give a local folder or a Hadoop"
                + " URI such as abfss://container@account.dfs.core.windows.net/dir");
    }

    /**
     * @param path the path as given, without its credentials
     * @param reason why Hadoop refused it
     */
    static ConfigurationException invalidLocation(Redactor redactor, String path, @Nullable String reason) {
        return new ConfigurationException("'" + redactor.redact(path) + "' is not a valid table location: "
                + redactor.redact(reason) + "; give a local folder or a Hadoop URI such as"
                + " abfss://container@account.dfs.core.windows.net/dir");
    }
}
