package io.streamlake.core.delta;

import io.delta.standalone.DeltaLog;
import io.delta.standalone.Snapshot;
import io.delta.standalone.VersionLog;
import io.delta.standalone.actions.Action;
import io.delta.standalone.actions.AddFile;
import io.delta.standalone.actions.Metadata;
import io.delta.standalone.actions.Protocol;
import io.delta.standalone.actions.RemoveFile;
import io.delta.standalone.types.StructType;
import io.delta.storage.CloseableIterator;
import io.streamlake.schema.DataType;
import io.streamlake.table.DataFile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The live data files of a table's versions, each listed from the version listed before it by
 * reading only the commits in between, as Spark updates a snapshot, rather than by
 * delta-standalone's replay of the whole state (the last checkpoint, with every file a merge ever
 * removed until the retention drops it, and the commits after it). A silver merge lists its table's
 * files at every version, and the replay of a table merged a few times a second took 15-30 ms each
 * time, much of a merge's latency, while the commits in between hold a few actions.
 *
 * <p>A version whose commits change the table's metadata or protocol (a schema whose statistics
 * parse differently), remove a file the last listing does not hold, or are out of reach (cleaned
 * up), or one older than the last listing, is listed by the full replay.
 *
 * <p>Threads: any. The recent listings are an immutable list in a volatile field, replaced whole
 * without a lock: two threads listing at once may each replace it, losing the other's listing, and
 * every listing is complete and right for its own version, so the worst a race costs is a replay
 * later.
 */
final class LiveFiles {
    /** The most commits read to bring a listing up to date; further behind, the replay is cheaper. */
    static final int MAX_COMMITS = 100;

    /** One version's live files: their add actions in arrival order ({@link FileOrder}) and the files. */
    record Listing(long version, List<AddFile> adds, List<DataFile> files) {
    }

    /** Listings kept: the latest versions' (a merge's, and the one before it that a change feed reads). */
    static final int KEPT = 4;

    private final DeltaTable table;
    /** The latest listings made, by version, at most {@link #KEPT}: an immutable list replaced whole. */
    private volatile List<Listing> recent = List.of();

    LiveFiles(DeltaTable table) {
        this.table = table;
    }

    /**
     * @param log the table's log
     * @param s a snapshot of it
     * @return its live files
     */
    Listing at(DeltaLog log, Snapshot s) {
        long version = s.getVersion();
        List<Listing> kept = recent;
        Listing before = null;
        for (Listing l : kept) {
            if (l.version() == version) {
                return l;
            }
            if (l.version() < version && (before == null || l.version() > before.version())) {
                before = l;
            }
        }
        Listing now = null;
        if (before != null && version - before.version() <= MAX_COMMITS) {
            now = advance(log, before, s);
        }
        if (now == null) {
            now = replay(s);
        }
        List<Listing> next = new ArrayList<>(kept);
        next.add(now);
        next.sort(Comparator.comparingLong(Listing::version).reversed());
        recent = List.copyOf(next.subList(0, Math.min(KEPT, next.size())));
        return now;
    }

    /** @return the listing of the snapshot's version from an earlier one, or null to replay instead */
    private @Nullable Listing advance(DeltaLog log, Listing before, Snapshot s) {
        Map<String, AddFile> live = new LinkedHashMap<>();
        for (AddFile add : before.adds()) {
            live.put(add.getPath(), add);
        }
        Set<String> fresh = new HashSet<>();
        try {
            Iterator<VersionLog> versions = log.getChanges(before.version() + 1, true);
            long expected = before.version() + 1;
            while (expected <= s.getVersion()) {
                if (!versions.hasNext()) {
                    return null;
                }
                VersionLog v = versions.next();
                if (v.getVersion() != expected) {
                    return null;
                }
                try (CloseableIterator<Action> actions = v.getActionsIterator()) {
                    while (actions.hasNext()) {
                        Action a = actions.next();
                        if (a instanceof Metadata || a instanceof Protocol) {
                            return null;
                        } else if (a instanceof AddFile add) {
                            live.put(add.getPath(), add);
                            fresh.add(add.getPath());
                        } else if (a instanceof RemoveFile remove && live.remove(remove.getPath()) == null) {
                            return null; // a path written another way than its add: the replay knows
                        }
                    }
                }
                expected++;
            }
            Map<String, DataFile> parsed = new HashMap<>();
            for (int i = 0; i < before.adds().size(); i++) {
                parsed.put(before.adds().get(i).getPath(), before.files().get(i));
            }
            List<AddFile> adds = FileOrder.sort(new ArrayList<>(live.values()));
            Map<String, DataType> types = types(s);
            List<DataFile> files = new ArrayList<>(adds.size());
            for (AddFile add : adds) {
                String path = add.getPath();
                files.add(fresh.contains(path) ? parse(add, types) : parsed.get(path));
            }
            return new Listing(s.getVersion(), List.copyOf(adds), List.copyOf(files));
        } catch (Exception e) {
            // commits out of reach (cleaned up) or unreadable: the replay reads the checkpoint, and
            // says what is wrong if that fails too
            return null;
        }
    }

    /** @return the listing of the snapshot's version from delta-standalone's replay of its state */
    private Listing replay(Snapshot s) {
        try {
            Map<String, DataType> types = types(s);
            // getAllFiles() has no defined order; the files' places give the order they arrived in
            List<AddFile> adds = FileOrder.sort(s.getAllFiles());
            List<DataFile> out = new ArrayList<>(adds.size());
            for (AddFile add : adds) {
                out.add(parse(add, types));
            }
            return new Listing(s.getVersion(), List.copyOf(adds), List.copyOf(out));
        } catch (Exception e) {
            throw table.translate("cannot list the data files of version " + s.getVersion(), e,
                    "check that the table location is readable");
        }
    }

    private static Map<String, DataType> types(Snapshot s) {
        StructType struct = s.getMetadata().getSchema();
        return struct == null ? Map.of() : DeltaSchemas.statsTypes(struct);
    }

    private static DataFile parse(AddFile add, Map<String, DataType> types) {
        return DeltaStats.parse(add.getPath(), add.getSize(), add.getStats(), types, add.getPartitionValues());
    }
}
