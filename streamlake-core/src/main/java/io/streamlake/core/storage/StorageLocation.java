package io.streamlake.core.storage;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.jspecify.annotations.Nullable;

/**
 * A folder on the storage the tables use: a local folder or a Hadoop URI, the storage options as the
 * Hadoop configuration (the fast local file system for local folders), and secrets kept out of every
 * message. A Delta table is opened on one, and so are plugins that keep files next to the tables, such
 * as the Capture archive, so that an {@code abfss://} archive needs no settings of its own. Resolving
 * one touches no storage and checks no credential: the Azure plugin's
 * {@code io.streamlake.core.azure.AzureStorage#locate} checks Azure's settings before it resolves one.
 *
 * <pre>{@code
 * StorageLocation archive = StorageLocation.of("abfss://capture@acct.dfs.core.windows.net/", pipeline.storageOptions());
 * FileSystem fs = archive.fileSystem();
 * }</pre>
 */
public final class StorageLocation {
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");

    private final String location;
    private final Path path;
    /**
     * Shared by every file and reader of the location, on any thread: safe because nothing writes to
     * it after {@link #of} built it (Hadoop synchronizes the lazy loading of its properties).
     */
    private final Configuration conf;
    private final Redactor redactor;
    private final boolean local;

    private StorageLocation(String location, Path path, Configuration conf, Redactor redactor, boolean local) {
        this.location = location;
        this.path = path;
        this.conf = conf;
        this.redactor = redactor;
        this.local = local;
    }

    /**
     * Resolves a location without touching storage.
     *
     * @param path a local folder, relative or absolute, or a Hadoop URI such as
     *     {@code abfss://container@account.dfs.core.windows.net/dir}, passed to Hadoop untouched
     * @param storageOptions Hadoop configuration for the file system (credentials included); the values
     *     are treated as secrets and never appear in messages, logs or {@code toString()}
     * @return the location
     * @throws io.streamlake.exceptions.ConfigurationException if the path is blank or not a valid location
     */
    public static StorageLocation of(String path, Map<String, String> storageOptions) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(storageOptions, "storageOptions");
        Redactor redactor = new Redactor(storageOptions.values());
        if (path.isBlank()) {
            throw StorageErrors.blankPath();
        }
        Configuration conf = new Configuration();
        storageOptions.forEach((k, v) -> conf.set(Objects.requireNonNull(k, "option name"),
                Objects.requireNonNull(v, () -> "value of option " + k)));
        Path root;
        boolean local;
        try {
            if (SCHEME.matcher(path).matches()) {
                root = new Path(path);
                local = "file".equalsIgnoreCase(root.toUri().getScheme());
            } else {
                java.nio.file.Path absolute = Paths.get(path).toAbsolutePath().normalize();
                root = new Path("file", null, absolute.toUri().getPath());
                local = true;
            }
        } catch (RuntimeException e) {
            throw StorageErrors.invalidLocation(redactor, withoutCredentials(path), e.getMessage());
        }
        if (local) {
            useFastLocalStorage(conf);
        }
        String location = redactor.redact(withoutCredentials(root.toString()));
        return new StorageLocation(location, root, conf, redactor, local);
    }

    /**
     * Local folders: Hadoop's stock local file system forks a shell command for every file status and
     * permission (no native library here). Settings the user gave win.
     */
    private static void useFastLocalStorage(Configuration conf) {
        if (conf.get("fs.file.impl") == null || conf.get("fs.file.impl").equals(LocalFileSystem.class.getName())) {
            conf.set("fs.file.impl", NioLocalFileSystem.class.getName());
            // the file-system cache is keyed by scheme, not by settings: bypass it to get this implementation
            conf.setBoolean("fs.file.impl.disable.cache", true);
        }
    }

    /** Drops {@code user:password@} and query strings; keeps {@code container@account}, which is no secret. */
    private static String withoutCredentials(String uri) {
        String s = uri;
        int query = s.indexOf('?');
        if (query >= 0) {
            s = s.substring(0, query);
        }
        int schemeEnd = s.indexOf("://");
        if (schemeEnd >= 0) {
            int authorityStart = schemeEnd + 3;
            int slash = s.indexOf('/', authorityStart);
            int authorityEnd = slash < 0 ? s.length() : slash;
            String authority = s.substring(authorityStart, authorityEnd);
            int at = authority.lastIndexOf('@');
            if (at >= 0 && authority.substring(0, at).contains(":")) {
                s = s.substring(0, authorityStart) + authority.substring(at + 1) + s.substring(authorityEnd);
            }
        }
        return s;
    }

    /** @return the folder as a qualified Hadoop path */
    public Path path() {
        return path;
    }

    /** @return the Hadoop configuration, storage options included (secrets: do not log it) */
    public Configuration conf() {
        return conf;
    }

    /** @return true for a folder of the local file system ({@code file:}) */
    public boolean isLocal() {
        return local;
    }

    /**
     * @return the file system of the folder
     * @throws IOException if Hadoop cannot create it (a missing driver, bad settings)
     */
    public FileSystem fileSystem() throws IOException {
        return path.getFileSystem(conf);
    }

    /** @return the redactor of the storage options' values, for messages that quote a cause */
    public Redactor redactor() {
        return redactor;
    }

    /**
     * @param text a message that may quote a setting's value
     * @return the text with every storage option value masked
     */
    public String redact(@Nullable String text) {
        return redactor.redact(text);
    }

    /**
     * @param t an exception whose messages may quote a setting's value
     * @return the exception itself when no message holds a secret, otherwise a masked copy of the chain
     */
    public Throwable sanitize(Throwable t) {
        return redactor.sanitize(t);
    }

    /** @return the location without credentials, safe to print */
    @Override
    public String toString() {
        return location;
    }
}
