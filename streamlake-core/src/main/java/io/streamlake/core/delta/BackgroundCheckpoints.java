package io.streamlake.core.delta;

import io.delta.standalone.DeltaLog;
import io.delta.standalone.internal.CheckpointMetaData;
import io.delta.standalone.internal.Checkpoints$;
import io.delta.standalone.internal.DeltaLogImpl;
import io.delta.standalone.internal.SnapshotImpl;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a table's Delta checkpoints and cleans its expired log on a thread of its own, off the
 * commit path. delta-standalone writes a checkpoint every {@code delta.checkpointInterval} commits
 * inside {@code commit()} (its {@code postCommit}), on the committing thread, and cleans the log there
 * too: a tenth of the commits then took several times as long as the others. {@link #prepare} turns
 * that off in the table's Hadoop configuration; {@link DeltaTable} then asks for a checkpoint here
 * after each commit at the interval.
 *
 * <p>A checkpoint is only an optimization: the JSON commits are the truth, and readers fall back to
 * an older checkpoint and more JSON. So a checkpoint that never gets written (the JVM exits, the
 * write fails) costs readers time, never data. delta-standalone writes the checkpoint file under a
 * temporary name and renames it into place on stores where a partial write is visible (local ones,
 * see {@link LocalLinkLogStore#isPartialWriteVisible}), and {@code _last_checkpoint} is written after
 * it, so no reader sees half a checkpoint.
 *
 * <p>Threads: one instance per table root in the JVM, shared by every {@code DeltaTable} opened on
 * it, so that two writers of one checkpoint version never run in one process. {@link #request} and
 * {@link #await} are called from any thread; the work runs on one daemon thread
 * ({@code streamlake-checkpoint}) at a time, which ends when idle for a while. Tables have no
 * {@code close()}, so nothing could shut a non-daemon thread down; a daemon thread is safe here
 * because the work it would lose at exit is an optimization (see above): the next checkpoint at the
 * interval replaces it, and a partly cleaned log keeps every version it lists readable
 * ({@link LogCleanup}).
 */
final class BackgroundCheckpoints {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundCheckpoints.class);

    /** delta-standalone's switch for the checkpoints it writes in {@code postCommit}. */
    static final String STANDALONE_CHECKPOINTS = "io.delta.standalone.checkpointing.enabled";

    /**
     * One per table root, for the life of the JVM (an idle one holds no thread). A concurrent map, so
     * that two tables opened on one root at once get the same instance.
     */
    private static final Map<String, BackgroundCheckpoints> BY_ROOT = new ConcurrentHashMap<>();

    /** One thread at a time; idle for 30 s, it ends, and the next request starts another. */
    private final ThreadPoolExecutor worker;
    /**
     * The newest version asked for, with the table and log to write it through; set by committers,
     * taken by the worker: atomic. Empty when idle, so that an idle instance keeps no log (and no
     * snapshot's file list) alive.
     */
    private final AtomicReference<@Nullable Request> requested = new AtomicReference<>();
    /** The newest checkpoint written here; only the worker reads and writes it (atomic for clarity, not need). */
    private final AtomicLong written = new AtomicLong(-1);
    /** True while a drain is queued and has not yet read {@link #requested}: coalesces requests. */
    private final AtomicBoolean queued = new AtomicBoolean();

    /** A checkpoint asked for. */
    private record Request(DeltaTable table, DeltaLog log, long version) {
    }

    private BackgroundCheckpoints() {
        this.worker = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "streamlake-checkpoint");
            t.setDaemon(true);
            return t;
        });
        worker.allowCoreThreadTimeOut(true);
    }

    /**
     * Turns delta-standalone's own checkpoints off in a table's configuration, unless the user set the
     * switch: then they keep what they chose (off means no checkpoints at all, here either).
     *
     * @return whether checkpoints are to be written here
     */
    static boolean prepare(Configuration conf) {
        if (conf.get(STANDALONE_CHECKPOINTS) != null) {
            return false;
        }
        conf.setBoolean(STANDALONE_CHECKPOINTS, false);
        return true;
    }

    /** @return the instance of the table's root */
    static BackgroundCheckpoints of(DeltaTable table) {
        return BY_ROOT.computeIfAbsent(table.root().toString(), k -> new BackgroundCheckpoints());
    }

    /**
     * Asks for a checkpoint of a version; returns at once. Requests made while one is written are
     * coalesced into one checkpoint of the newest version asked for.
     */
    void request(DeltaTable table, DeltaLog log, long version) {
        Request r = new Request(table, log, version);
        requested.accumulateAndGet(r, (old, now) -> old == null || now.version() > old.version() ? now : old);
        if (queued.compareAndSet(false, true)) {
            worker.execute(this::drain);
        }
    }

    /** Waits until the checkpoints asked for before the call are written (or failed and logged). */
    void await() {
        try {
            // One thread, tasks in order: a no-op runs after every drain queued before it.
            worker.submit(() -> {
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private void drain() {
        // Cleared before reading the request, so that a request arriving after the read queues another drain.
        queued.set(false);
        Request r = requested.getAndSet(null);
        if (r == null || r.version() <= written.get()) {
            return;
        }
        DeltaTable table = r.table();
        try {
            checkpoint(table, r.log(), r.version());
            written.set(r.version());
            LogCleanup.clean(table, r.log());
        } catch (Exception | LinkageError e) {
            // An optimization failed: readers use the previous checkpoint and more JSON files.
            LOG.warn("could not write the checkpoint of version {} of Delta table {}; readers use an older one: {}",
                    r.version(), table.location(), table.redact(String.valueOf(table.sanitize(e))));
        }
    }

    private static void checkpoint(DeltaTable table, DeltaLog log, long version) throws java.io.IOException {
        DeltaLogImpl impl = (DeltaLogImpl) log;
        SnapshotImpl current = impl.snapshot();
        SnapshotImpl at = current.version() == version ? current : impl.getSnapshotForVersionAsOf(version);
        CheckpointMetaData meta = Checkpoints$.MODULE$.writeCheckpoint(impl, at);
        // Another process may have checkpointed a newer version meanwhile: never move the pointer back.
        scala.Option<CheckpointMetaData> last = impl.lastCheckpoint();
        if (last.isDefined() && last.get().version() >= version) {
            return;
        }
        String json = "{\"version\":" + meta.version() + ",\"size\":" + meta.size()
                + (meta.parts().isDefined() ? ",\"parts\":" + meta.parts().get() : "") + "}";
        impl.store().write(new Path(impl.logPath(), "_last_checkpoint"), List.of(json).iterator(), true,
                impl.hadoopConf());
        LOG.debug("checkpointed version {} of Delta table {}", version, table.location());
    }
}
