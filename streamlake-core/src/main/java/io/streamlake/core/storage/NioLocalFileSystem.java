package io.streamlake.core.storage;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system, with file status and permissions read and set through java.nio.
 * Without Hadoop's native library, the stock implementation forks {@code ls}, {@code stat} or
 * {@code chmod} for each of these calls: with a data file and a log commit per micro-batch, those
 * forks were most of the time spent on a local table. No checksum (.crc) files either: Parquet and
 * the Delta log carry their own integrity checks. Used for {@code file:} locations only.
 *
 * <pre>{@code
 * // StorageLocation sets this for local paths unless the storage options name another implementation:
 * conf.set("fs.file.impl", NioLocalFileSystem.class.getName());
 * }</pre>
 */
public final class NioLocalFileSystem extends RawLocalFileSystem {

    /** Created by Hadoop through {@code fs.file.impl}. */
    public NioLocalFileSystem() {
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        File file = pathToFile(f);
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(file.toPath(), PosixFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new FileNotFoundException("File " + f + " does not exist");
        }
        return new FileStatus(a.size(), a.isDirectory(), 1, getDefaultBlockSize(f), a.lastModifiedTime().toMillis(),
                a.lastAccessTime().toMillis(), toHadoop(a.permissions()), a.owner().getName(), a.group().getName(),
                f.makeQualified(getUri(), getWorkingDirectory()));
    }

    @Override
    public FileStatus getFileLinkStatus(Path f) throws IOException {
        File file = pathToFile(f);
        if (Files.isSymbolicLink(file.toPath())) {
            return super.getFileLinkStatus(f);
        }
        return getFileStatus(f);
    }

    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
        java.nio.file.Path file = pathToFile(p).toPath();
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            Files.setPosixFilePermissions(file, toNio(permission));
        }
    }

    private static FsPermission toHadoop(Set<PosixFilePermission> p) {
        return new FsPermission(
                action(p.contains(PosixFilePermission.OWNER_READ), p.contains(PosixFilePermission.OWNER_WRITE),
                        p.contains(PosixFilePermission.OWNER_EXECUTE)),
                action(p.contains(PosixFilePermission.GROUP_READ), p.contains(PosixFilePermission.GROUP_WRITE),
                        p.contains(PosixFilePermission.GROUP_EXECUTE)),
                action(p.contains(PosixFilePermission.OTHERS_READ), p.contains(PosixFilePermission.OTHERS_WRITE),
                        p.contains(PosixFilePermission.OTHERS_EXECUTE)));
    }

    private static FsAction action(boolean read, boolean write, boolean execute) {
        return FsAction.values()[(read ? 4 : 0) | (write ? 2 : 0) | (execute ? 1 : 0)];
    }

    private static Set<PosixFilePermission> toNio(FsPermission p) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        add(s, p.getUserAction(), PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE);
        add(s, p.getGroupAction(), PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE);
        add(s, p.getOtherAction(), PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE);
        return s;
    }

    private static void add(Set<PosixFilePermission> s, FsAction a, PosixFilePermission r, PosixFilePermission w,
            PosixFilePermission x) {
        if (a.implies(FsAction.READ)) {
            s.add(r);
        }
        if (a.implies(FsAction.WRITE)) {
            s.add(w);
        }
        if (a.implies(FsAction.EXECUTE)) {
            s.add(x);
        }
    }
}
