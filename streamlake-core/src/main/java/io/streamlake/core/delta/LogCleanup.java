package io.streamlake.core.delta;

import io.delta.standalone.DeltaLog;
import io.delta.standalone.internal.DeltaLogImpl;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the expired part of a Delta log ({@code delta.logRetentionDuration}, 30 days unless the table
 * says otherwise; off with {@code delta.enableExpiredLogCleanup=false}) so that every version whose
 * JSON it keeps stays readable. delta-standalone's own cleanup deletes each file older than the
 * retention up to the latest checkpoint, one by one: it deleted the checkpoint that versions 112-119
 * needed while keeping their (younger) JSON, and those versions, still listed by the history, could no
 * longer be read (issue 17). Here the boundary is the newest complete checkpoint {@code B} before which
 * every commit has expired, and older than the newest checkpoint (which snapshots taken a moment ago
 * do not use yet): files of versions before {@code B} go, checkpoint {@code B} and everything after it
 * stay.
 *
 * <p>The order of deletion keeps that true at every step, so a crash halfway leaves a readable log:
 * the stretches between checkpoints go oldest first, each one's JSON newest first and its checkpoint
 * last (a remaining version always has its checkpoint and the JSON between). A file's {@code .crc}
 * sidecars go with it: Delta's version checksum {@code N.crc} and Hadoop's {@code .name.crc}.
 * Temporary files a crashed writer left ({@code .name.uuid.tmp}) go once older than the retention
 * and an hour.
 *
 * <p>Threads: stateless; {@link BackgroundCheckpoints} calls it on its thread, one call per table at a
 * time. A writer in another process may commit meanwhile: only versions before a checkpoint are
 * touched, and commits only add newer ones.
 */
final class LogCleanup {
    private static final Logger LOG = LoggerFactory.getLogger(LogCleanup.class);

    private static final Pattern DELTA = Pattern.compile("(\\d{20})\\.json");
    private static final Pattern CHECKPOINT =
            Pattern.compile("(\\d{20})\\.checkpoint(?:\\.(\\d{10})\\.(\\d{10}))?\\.parquet");
    private static final Pattern TEMPORARY = Pattern.compile("\\..*\\.tmp");
    /** A temporary file younger than this may be one a live writer is still writing. */
    private static final long TEMPORARY_GRACE_MILLIS = TimeUnit.HOURS.toMillis(1);

    private LogCleanup() {
    }

    /** Cleans a table's log by its own retention settings, if it has cleanup on. */
    static void clean(DeltaTable table, DeltaLog log) throws IOException {
        DeltaLogImpl impl = (DeltaLogImpl) log;
        if (!impl.enableExpiredLogCleanup()) {
            return;
        }
        Path logPath = impl.logPath();
        int deleted = clean(logPath.getFileSystem(table.conf()), logPath,
                System.currentTimeMillis() - impl.deltaRetentionMillis());
        if (deleted > 0) {
            LOG.debug("deleted {} expired log files of Delta table {}", deleted, table.location());
        }
    }

    /**
     * @param expireBefore files last modified before this (epoch milliseconds) have expired
     * @return how many files were deleted
     */
    static int clean(FileSystem fs, Path logPath, long expireBefore) throws IOException {
        FileStatus[] listed = fs.listStatus(logPath);
        Set<String> names = new HashSet<>();
        TreeMap<Long, FileStatus> deltas = new TreeMap<>();
        Map<Long, List<FileStatus>> checkpointParts = new HashMap<>();
        Map<Long, Integer> partsWanted = new HashMap<>();
        List<FileStatus> temporary = new ArrayList<>();
        for (FileStatus f : listed) {
            String name = f.getPath().getName();
            names.add(name);
            Matcher m;
            if ((m = DELTA.matcher(name)).matches()) {
                deltas.put(Long.parseLong(m.group(1)), f);
            } else if ((m = CHECKPOINT.matcher(name)).matches()) {
                long v = Long.parseLong(m.group(1));
                checkpointParts.computeIfAbsent(v, k -> new ArrayList<>()).add(f);
                partsWanted.put(v, m.group(3) == null ? 1 : Integer.parseInt(m.group(3)));
            } else if (TEMPORARY.matcher(name).matches()) {
                temporary.add(f);
            }
        }
        // A multi-part checkpoint with a part missing is no checkpoint: readers skip it, so must we.
        TreeSet<Long> complete = new TreeSet<>();
        checkpointParts.forEach((v, parts) -> {
            if (parts.size() == partsWanted.get(v)) {
                complete.add(v);
            }
        });
        long firstKept = Long.MAX_VALUE;
        for (Map.Entry<Long, FileStatus> e : deltas.entrySet()) {
            if (e.getValue().getModificationTime() >= expireBefore) {
                firstKept = e.getKey();
                break;
            }
        }
        Long boundary = complete.floor(firstKept);
        // A snapshot taken just before the newest checkpoint appeared still reads the one before it
        // (lazily, at its first marker or file lookup): that one stays too, whatever the retention.
        Long beforeNewest = complete.isEmpty() ? null : complete.lower(complete.last());
        if (boundary != null && (beforeNewest == null || beforeNewest < boundary)) {
            boundary = beforeNewest;
        }
        int deleted = 0;
        if (boundary != null) {
            // Stretches [start, next checkpoint) before the boundary, oldest first.
            List<Long> starts = new ArrayList<>();
            starts.add(0L);
            starts.addAll(complete.headSet(boundary, false));
            for (int i = 0; i < starts.size(); i++) {
                long start = starts.get(i);
                long end = i + 1 < starts.size() ? starts.get(i + 1) : boundary;
                for (FileStatus d : deltas.subMap(start, true, end, false).descendingMap().values()) {
                    deleted += delete(fs, d.getPath(), names);
                }
                for (FileStatus part : checkpointParts.getOrDefault(start, List.of())) {
                    deleted += delete(fs, part.getPath(), names);
                }
            }
            // Incomplete checkpoints before the boundary serve nobody.
            for (Map.Entry<Long, List<FileStatus>> e : checkpointParts.entrySet()) {
                if (e.getKey() < boundary && !complete.contains(e.getKey())) {
                    for (FileStatus part : e.getValue()) {
                        deleted += delete(fs, part.getPath(), names);
                    }
                }
            }
        }
        long staleBefore = Math.min(expireBefore, System.currentTimeMillis() - TEMPORARY_GRACE_MILLIS);
        for (FileStatus t : temporary) {
            if (t.getModificationTime() < staleBefore) {
                deleted += delete(fs, t.getPath(), names);
            }
        }
        return deleted;
    }

    /** Deletes a log file and its checksum sidecars, those the listing showed. */
    private static int delete(FileSystem fs, Path file, Set<String> names) throws IOException {
        String name = file.getName();
        int deleted = fs.delete(file, false) ? 1 : 0;
        List<String> sidecars = new ArrayList<>();
        sidecars.add("." + name + ".crc");
        Matcher m = DELTA.matcher(name);
        if (m.matches()) {
            String checksum = m.group(1) + ".crc";
            sidecars.add(checksum);
            sidecars.add("." + checksum + ".crc");
        }
        for (String s : sidecars) {
            if (names.contains(s) && fs.delete(new Path(file.getParent(), s), false)) {
                deleted++;
            }
        }
        return deleted;
    }
}
