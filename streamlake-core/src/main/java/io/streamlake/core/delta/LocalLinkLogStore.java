package io.streamlake.core.delta;

import io.delta.storage.HadoopFileSystemLogStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * The Delta log store for local tables, safe for writers in several processes. A Delta commit must
 * create its log file only if no other writer created it first. delta-storage's local store renames
 * a temporary file into place, which on POSIX silently replaces a file another process just wrote;
 * this one writes the temporary file and then hard-links it to the commit's name, which fails when
 * the name exists: the operating system makes the check and the creation one step.
 *
 * <p>Only for {@code file:} paths on a POSIX file system; selected by {@link DeltaTable} for local tables.
 * Stateless, so the committing threads and the checkpoint thread share one instance safely.
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
     * Lists the log from a file name on, in name order, as delta-standalone asks before and after every
     * commit. delta-storage's version lists the whole folder through Hadoop, building a Hadoop path (a
     * URI parse) for every file, and the log keeps 30 days of commits: a fifth of a commit's time went
     * there. This one compares plain names first and builds statuses for the files asked for only.
     * Hidden files (a checkpoint being written, {@code .crc} sidecars) are left out: no reader wants them.
     */
    @Override
    public Iterator<FileStatus> listFrom(Path path, Configuration conf) throws IOException {
        java.nio.file.Path dir = java.nio.file.Path.of(path.getParent().toUri());
        String from = path.getName();
        List<String> names = new ArrayList<>();
        try (DirectoryStream<java.nio.file.Path> files = Files.newDirectoryStream(dir)) {
            for (java.nio.file.Path f : files) {
                String name = f.getFileName().toString();
                if (!name.startsWith(".") && name.compareTo(from) >= 0) {
                    names.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            // delta-standalone reads this as "no table here yet", as from delta-storage's store
            throw new FileNotFoundException("no such directory: " + path.getParent());
        }
        Collections.sort(names);
        List<FileStatus> out = new ArrayList<>(names.size());
        Path parent = path.getParent();
        for (String name : names) {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(dir.resolve(name), BasicFileAttributes.class);
            } catch (NoSuchFileException e) {
                continue; // deleted since the listing (log cleanup): as if listed a moment later
            }
            if (a.isRegularFile()) {
                out.add(new FileStatus(a.size(), false, 1, 0, a.lastModifiedTime().toMillis(), new Path(parent, name)));
            }
        }
        return out.iterator();
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
