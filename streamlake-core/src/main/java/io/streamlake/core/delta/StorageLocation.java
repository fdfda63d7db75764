package io.streamlake.core.delta;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.jspecify.annotations.Nullable;

/**
 * A folder on the storage the tables use, resolved exactly as a {@link DeltaTable} path is: a local
 * folder or a Hadoop URI, the storage options as the Hadoop configuration (the fast local file system
 * for local folders), and secrets kept out of every message. For plugins that keep files next to
 * the tables, such as the Capture archive, so that an {@code abfss://} archive needs no settings of its own.
 *
 * <pre>{@code
 * StorageLocation archive = StorageLocation.of("abfss://capture@acct.dfs.core.windows.net/", pipeline.storageOptions());
 * FileSystem fs = archive.fileSystem();
 * }</pre>
 */
public final class StorageLocation {
    private final DeltaTable resolved;

    private StorageLocation(DeltaTable resolved) {
        this.resolved = resolved;
    }

    /**
     * Resolves a location without touching storage.
     *
     * @param path a local folder or a Hadoop URI
     * @param storageOptions Hadoop settings (secrets)
     * @return the location
     * @throws io.streamlake.exceptions.ConfigurationException if the path is blank or not a valid location
     */
    public static StorageLocation of(String path, Map<String, String> storageOptions) {
        return new StorageLocation(DeltaTable.open(path, storageOptions));
    }

    /** @return the folder as a qualified Hadoop path */
    public Path path() {
        return resolved.root();
    }

    /** @return the Hadoop configuration, storage options included (secrets: do not log it) */
    public Configuration conf() {
        return resolved.conf();
    }

    /**
     * @return the file system of the folder
     * @throws IOException if Hadoop cannot create it (a missing driver, bad settings)
     */
    public FileSystem fileSystem() throws IOException {
        return path().getFileSystem(conf());
    }

    /**
     * @param text a message that may quote a setting's value
     * @return the text with every storage option value masked
     */
    public String redact(@Nullable String text) {
        return resolved.redact(text);
    }

    /**
     * @param t an exception whose messages may quote a setting's value
     * @return the exception itself when no message holds a secret, otherwise a masked copy of the chain
     */
    public Throwable sanitize(Throwable t) {
        return resolved.sanitize(t);
    }

    /** @return the location without credentials, safe to print */
    @Override
    public String toString() {
        return resolved.location();
    }
}
