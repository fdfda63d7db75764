package io.streamlake.core.delta;

import io.delta.standalone.DeltaLog;
import io.delta.standalone.Snapshot;
import io.delta.standalone.VersionLog;
import io.delta.standalone.actions.Action;
import io.delta.standalone.actions.SetTransaction;
import io.delta.standalone.internal.SnapshotImpl;
import io.delta.storage.CloseableIterator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A table's transaction markers (Delta's {@code txn} actions, the last version per app id) by table
 * version, kept so that a marker read does not replay the table's whole state. delta-standalone
 * answers {@code txnVersion} from its snapshot's state: the checkpoint and every JSON commit since,
 * every file path parsed, and each commit makes a new snapshot, so every commit paid for a full
 * replay (p50 30-50 ms, growing with the table). The markers at a version are a function of the log
 * up to it, which never changes once written; so the markers at the version last asked for, plus the
 * {@code txn} actions of the JSON commits after it, are the markers at a newer version, whoever wrote
 * those commits. Only when there is nothing to start from (the first read, an older version, a log
 * cleaned up past the cached version) is the state replayed.
 *
 * <p>This only answers what the markers <em>are</em>; a commit that reads one must still register the
 * read with delta-standalone's conflict checker ({@code DeltaCommit}), so that a concurrent commit that
 * moved it makes ours fail.
 */
final class TxnMarkers {
    private static final Logger LOG = LoggerFactory.getLogger(TxnMarkers.class);

    /** Beyond this many commits to read, replaying the state (from a checkpoint) is no slower. */
    static final int MAX_COMMITS_TO_READ = 100;

    /** The markers at one version; the map is never changed once built. */
    private record At(long version, Map<String, Long> markers) {
    }

    private final DeltaTable table;
    /**
     * The markers at the newest version read so far. Shared by the table's writer thread, its fetch
     * thread and progress readers: safe because each {@code At} is immutable and a pure function of its
     * version (any thread that builds one for a version builds the same), the field is volatile, and
     * {@link #keep} only ever moves it to a newer version under the monitor.
     */
    private volatile @Nullable At latest;

    TxnMarkers(DeltaTable table) {
        this.table = table;
    }

    /**
     * @param log the table's log
     * @param version a version of the table that exists
     * @param appId the marker
     * @return the marker's version at that table version, -1 if it has none
     */
    long version(DeltaLog log, long version, String appId) {
        return at(log, version).getOrDefault(appId, -1L);
    }

    /** @return every marker at that table version */
    Map<String, Long> at(DeltaLog log, long version) {
        At known = latest;
        if (known != null && known.version() == version) {
            return known.markers();
        }
        Map<String, Long> markers = null;
        if (known != null && known.version() < version && version - known.version() <= MAX_COMMITS_TO_READ) {
            markers = advance(log, known, version);
        }
        if (markers == null) {
            markers = replay(table.snapshotAt(log, version));
        }
        keep(new At(version, markers));
        return markers;
    }

    private synchronized void keep(At at) {
        At known = latest;
        if (known == null || known.version() < at.version()) {
            latest = at;
        }
    }

    /** @return the markers at {@code version}, from those at {@code known} and the commits between; null if a commit is missing */
    private @Nullable Map<String, Long> advance(DeltaLog log, At known, long version) {
        Map<String, Long> markers = new HashMap<>(known.markers());
        long expected = known.version() + 1;
        try {
            Iterator<VersionLog> versions = log.getChanges(expected, true);
            while (expected <= version && versions.hasNext()) {
                VersionLog v = versions.next();
                if (v.getVersion() != expected) {
                    return null; // a gap (cleaned up, or listed while being written): replay instead
                }
                try (CloseableIterator<Action> actions = v.getActionsIterator()) {
                    while (actions.hasNext()) {
                        if (actions.next() instanceof SetTransaction t) {
                            markers.put(t.getAppId(), t.getVersion());
                        }
                    }
                }
                expected++;
            }
        } catch (Exception e) {
            // Exception: delta-standalone throws IOExceptions undeclared. The replay below reads the same
            // log and reports a failure that persists; a log cleaned up past the cached version is normal.
            LOG.debug("cannot read the commits of {} after version {}; replaying its state instead: {}",
                    table.location(), known.version(), table.redact(String.valueOf(e)));
            return null;
        }
        return expected == version + 1 ? Map.copyOf(markers) : null;
    }

    private Map<String, Long> replay(Snapshot snapshot) {
        try {
            Map<String, Long> markers = new HashMap<>();
            // the public Snapshot hides the markers; the implementation class exposes them (as DeltaTable's protocol check)
            scala.collection.Iterator<SetTransaction> txns = ((SnapshotImpl) snapshot).setTransactions().iterator();
            while (txns.hasNext()) {
                SetTransaction t = txns.next();
                markers.put(t.getAppId(), t.getVersion());
            }
            return Map.copyOf(markers);
        } catch (Exception e) {
            throw table.translate("cannot read the transaction markers of version " + snapshot.getVersion(), e,
                    "check that the table location is readable");
        }
    }
}
