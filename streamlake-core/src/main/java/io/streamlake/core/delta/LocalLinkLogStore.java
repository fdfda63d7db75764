package io.streamlake.core.delta;

import io.delta.storage.HadoopFileSystemLogStore;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The Delta log store for local tables, safe for writers in several processes. A Delta commit must
 * create its log file only if no other writer created it first. delta-storage's local store renames
 * a temporary file into place, which on POSIX silently replaces a file another process just wrote;
 * this one writes the temporary file and then hard-links it to the commit's name, which fails when
 * the name exists: the operating system makes the check and the creation one step.
 *
 * <p>Only for {@code file:} paths on a POSIX file system; selected by {@link DeltaTable} for local tables.
 *
 * <pre>{@code
 * // what DeltaTable sets for local paths unless the storage options name another log store:
 * conf.set("delta.logStore.file.impl", LocalLinkLogStore.class.getName());
 * }</pre>
 */
public final class LocalLinkLogStore extends HadoopFileSystemLogStore {

    /** @param conf the Hadoop configuration, as delta-standalone passes it */
    public LocalLinkLogStore(Configuration conf) {
        super(conf);
    }

    @Override
    public void write(Path path, Iterator<String> actions, Boolean overwrite, Configuration conf) throws IOException {
        java.nio.file.Path target = java.nio.file.Path.of(path.toUri());
        Files.createDirectories(target.getParent());
        java.nio.file.Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try (Writer w = Files.newBufferedWriter(temp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            while (actions.hasNext()) {
                w.write(actions.next());
                w.write('\n');
            }
        }
        try {
            if (Boolean.TRUE.equals(overwrite)) {
                Files.move(temp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.createLink(target, temp);
            }
        } catch (FileAlreadyExistsException e) {
            // delta-standalone turns this into a concurrent-modification conflict and retries or fails
            throw new FileAlreadyExistsException(path.toString());
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * A local file is visible while it is written: telling delta-standalone so makes it write
     * checkpoints to a temporary file and rename them into place, so readers never see half of one.
     */
    @Override
    public Boolean isPartialWriteVisible(Path path, Configuration conf) {
        return true;
    }
}
