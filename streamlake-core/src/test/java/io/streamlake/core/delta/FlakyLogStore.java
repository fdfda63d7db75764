package io.streamlake.core.delta;

import io.delta.storage.HadoopFileSystemLogStore;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * A local log store that fails one armed commit write of a table, the way a cloud store fails: with
 * the log entry stored ({@link Fault#AFTER_WRITE}, a timeout after the put) or not ({@link
 * Fault#BEFORE_WRITE}). Selected with the storage option {@link #OPTIONS}.
 */
public final class FlakyLogStore extends HadoopFileSystemLogStore {
    /** The storage options that make a local table use this store. */
    public static final Map<String, String> OPTIONS = Map.of("delta.logStore.file.impl", FlakyLogStore.class.getName());

    /** Where the armed write fails. */
    public enum Fault { BEFORE_WRITE, AFTER_WRITE }

    /**
     * The armed fault per table root folder. Static because delta-standalone creates the store by
     * reflection; a concurrent map keyed by folder, so tests running at once on different tables do not
     * see each other's faults, and the test thread's arm is seen by the committing thread.
     */
    private static final Map<java.nio.file.Path, Fault> ARMED = new ConcurrentHashMap<>();

    /** @param conf the Hadoop configuration, as delta-standalone passes it */
    public FlakyLogStore(Configuration conf) {
        super(conf);
        this.local = new LocalLinkLogStore(conf);
    }

    /** The store local tables use, which does the writing. */
    private final LocalLinkLogStore local;

    /**
     * Fails the next commit of the table in {@code tableRoot}.
     *
     * @param tableRoot the table's folder
     * @param fault where the write fails
     */
    public static void arm(java.nio.file.Path tableRoot, Fault fault) {
        ARMED.put(tableRoot.toAbsolutePath().normalize(), fault);
    }

    @Override
    public void write(Path path, Iterator<String> actions, Boolean overwrite, Configuration conf) throws IOException {
        java.nio.file.Path target = java.nio.file.Path.of(path.toUri());
        // a commit file (00000000000000000003.json), not _last_checkpoint
        Fault fault = target.getFileName().toString().matches("\\d{20}\\.json")
                ? ARMED.remove(target.getParent().getParent()) : null;
        if (fault == Fault.BEFORE_WRITE) {
            throw new IOException("injected: connection reset before " + target.getFileName() + " was stored");
        }
        local.write(path, actions, overwrite, conf);
        if (fault == Fault.AFTER_WRITE) {
            if (!Files.exists(target)) {
                throw new AssertionError("the injected fault expected " + target + " to be stored");
            }
            throw new IOException("injected: timed out waiting for the reply after storing " + target.getFileName());
        }
    }

    @Override
    public Boolean isPartialWriteVisible(Path path, Configuration conf) {
        return local.isPartialWriteVisible(path, conf);
    }
}
