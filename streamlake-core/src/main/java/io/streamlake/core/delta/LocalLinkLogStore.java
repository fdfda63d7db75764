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
import java.util.TreeSet;
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
        List<String> names = names(dir, from);
        if (afterAMissedCommit(names) >= 0) {
            names = consistent(names, names(dir, from));
        }
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

    /** The visible names from {@code from} on, sorted. */
    private static List<String> names(java.nio.file.Path dir, String from) throws IOException {
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
            throw new FileNotFoundException("no such directory: " + dir);
        }
        Collections.sort(names);
        return names;
    }

    /**
     * Where a sorted listing skips a commit: the index of the first commit after a missing one, with
     * no checkpoint at it; -1 when none is skipped. A folder read while other processes commit is no
     * snapshot: a name created during the read may be left out while one created after it is not (the
     * folder is read in hash order), and delta-standalone, finding versions 1724 and 1726 without 1725,
     * failed to start a commit ("Versions ... are not contiguous"; a kill storm of four instances).
     * Commits are created only in order, so such a gap is the listing's. A log cleanup leaves gaps
     * only before a checkpoint it keeps.
     */
    static int afterAMissedCommit(List<String> sortedNames) {
        long previous = -1;
        for (int i = 0; i < sortedNames.size(); i++) {
            String name = sortedNames.get(i);
            if (!isCommit(name)) {
                continue;
            }
            long version = Long.parseLong(name.substring(0, VERSION_DIGITS));
            if (previous >= 0 && version > previous + 1 && !hasCheckpoint(sortedNames, version)) {
                return i;
            }
            previous = version;
        }
        return -1;
    }

    /**
     * A listing that skips no commit, from two taken one after the other: their names together (a
     * commit the first left out was created before one it listed, so before the second began), cut
     * before any commit still skipped, with every version after it: what the folder held a moment
     * earlier, which a committer then finds out of date as it would have anyway.
     */
    static List<String> consistent(List<String> first, List<String> second) {
        TreeSet<String> both = new TreeSet<>(first);
        both.addAll(second);
        List<String> names = new ArrayList<>(both);
        int cut = afterAMissedCommit(names);
        if (cut < 0) {
            return names;
        }
        String end = names.get(cut);
        names.removeIf(n -> n.compareTo(end) >= 0 && Character.isDigit(n.charAt(0)));
        return names;
    }

    private static final int VERSION_DIGITS = 20;

    private static boolean isCommit(String name) {
        if (name.length() != VERSION_DIGITS + ".json".length() || !name.endsWith(".json")) {
            return false;
        }
        for (int i = 0; i < VERSION_DIGITS; i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Whether a checkpoint of {@code version} (one file or the first of several parts) is listed. */
    private static boolean hasCheckpoint(List<String> sortedNames, long version) {
        String prefix = String.format("%0" + VERSION_DIGITS + "d.checkpoint.", version);
        int at = Collections.binarySearch(sortedNames, prefix);
        int i = at >= 0 ? at : -at - 1;
        return i < sortedNames.size() && sortedNames.get(i).startsWith(prefix);
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
