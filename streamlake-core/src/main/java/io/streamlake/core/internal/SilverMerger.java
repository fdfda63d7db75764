package io.streamlake.core.internal;

import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.Table;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copy-on-write upsert of one batch into silver. Only files that may hold the batch's keys are
 * read, and only files whose rows actually change are rewritten, so the cost follows the batch and
 * not the table.
 *
 * <p>Files are kept sorted and split by key, so their [min, max] ranges are disjoint: a key is
 * either inside exactly one file's range or in the gap before the next file. A key in a gap is
 * given to the file on its left (the "owner"), which keeps ranges disjoint as keys arrive and
 * stops new keys from piling up in ever more small files.
 */
final class SilverMerger {
    private final Table table;
    private final Schema schema;
    private final int keyPos;
    private final String keyColumn;
    private final MergeStrategy strategy;
    private final long targetFileRows;

    SilverMerger(Table table, Schema schema, String keyColumn, MergeStrategy strategy, long targetFileRows) {
        this.table = table;
        this.schema = schema;
        this.keyColumn = keyColumn;
        this.keyPos = schema.indexOf(keyColumn);
        this.strategy = strategy;
        this.targetFileRows = targetFileRows;
    }

    /** What a merge staged; nothing is committed yet. */
    record Result(List<DataFile> removed, List<DataFile> added, long rowsChanged) {
    }

    /**
     * @param files the table's current files
     * @param incoming decoded rows in arrival order
     * @param tombstones positions in {@code incoming} of tombstones: records with a key and no value,
     *     given as rows holding only the key; they delete the key, as in a compacted Kafka topic
     */
    Result merge(List<DataFile> files, List<Row> incoming, BitSet tombstones) {
        Map<Object, List<Row>> byKey = groupByKey(incoming);
        Set<Row> deletes = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int t = tombstones.nextSetBit(0); t >= 0; t = tombstones.nextSetBit(t + 1)) {
            deletes.add(incoming.get(t));
        }
        FileIndex index = new FileIndex(files, keyColumn);
        BitSet candidates = new BitSet(files.size());
        for (Object key : byKey.keySet()) {
            index.markCandidates(key, candidates);
        }

        Map<Object, Row> current = new HashMap<>();
        Map<Object, Integer> fileOfKey = new HashMap<>();
        for (int f = candidates.nextSetBit(0); f >= 0; f = candidates.nextSetBit(f + 1)) {
            Iterator<Row> rows = table.read(files.get(f), schema);
            while (rows.hasNext()) {
                Row row = rows.next();
                Object key = row.value(keyPos);
                current.put(key, row);
                fileOfKey.put(key, f);
            }
        }

        // Fold the strategy over each key's rows in arrival order, starting from the stored row.
        BitSet rewrite = new BitSet(files.size());
        List<Row> newKeys = new ArrayList<>();
        long changed = 0;
        for (Map.Entry<Object, List<Row>> e : byKey.entrySet()) {
            Object key = e.getKey();
            Row stored = current.get(key);
            Row state = stored;
            boolean dirty = false;
            for (Row in : e.getValue()) {
                MergeDecision d = deletes.contains(in) ? MergeDecision.delete() : strategy.merge(state, in);
                switch (d.kind()) {
                    case UPSERT -> {
                        state = d.row();
                        dirty = true;
                    }
                    case DELETE -> {
                        dirty |= state != null;
                        state = null;
                    }
                    case KEEP -> {
                    }
                }
            }
            if (!dirty || state == stored) {
                continue;
            }
            changed++;
            Integer home = fileOfKey.get(key);
            if (home == null) {
                home = index.owner(key);
            }
            if (home >= 0) {
                rewrite.set(home);
            }
            if (stored != null) {
                if (state == null) {
                    current.remove(key);
                } else {
                    current.put(key, state);
                }
            } else if (state != null) {
                if (home >= 0) {
                    current.put(key, state);
                    fileOfKey.put(key, home);
                } else {
                    newKeys.add(state);
                }
            }
        }
        if (changed == 0) {
            return new Result(List.of(), List.of(), 0);
        }

        List<DataFile> removed = new ArrayList<>();
        List<Row> out = new ArrayList<>(newKeys);
        for (int f = rewrite.nextSetBit(0); f >= 0; f = rewrite.nextSetBit(f + 1)) {
            removed.add(files.get(f));
        }
        for (Map.Entry<Object, Row> e : current.entrySet()) {
            if (rewrite.get(fileOfKey.get(e.getKey()))) {
                out.add(e.getValue());
            }
        }
        out.sort((a, b) -> KeyOrder.NATURAL.compare(a.value(keyPos), b.value(keyPos)));
        return new Result(removed, write(out), changed);
    }

    private Map<Object, List<Row>> groupByKey(List<Row> incoming) {
        Map<Object, List<Row>> byKey = new LinkedHashMap<>();
        for (Row r : incoming) {
            byKey.computeIfAbsent(r.value(keyPos), k -> new ArrayList<>(2)).add(r);
        }
        return byKey;
    }

    /** Splits sorted rows into files of at most targetFileRows, evenly sized. */
    private List<DataFile> write(List<Row> sorted) {
        if (sorted.isEmpty()) {
            return List.of();
        }
        int fileCount = (int) Math.max(1, (sorted.size() + targetFileRows - 1) / targetFileRows);
        int perFile = (sorted.size() + fileCount - 1) / fileCount;
        List<DataFile> files = new ArrayList<>(fileCount);
        for (int start = 0; start < sorted.size(); start += perFile) {
            int end = Math.min(sorted.size(), start + perFile);
            try (DataFileWriter w = table.newDataFile(schema)) {
                for (int i = start; i < end; i++) {
                    w.write(sorted.get(i));
                }
                files.add(w.finish());
            }
        }
        return files;
    }

    /**
     * Files ordered by their minimum key, for binary search. Files whose key bounds are unknown are
     * candidates for every key.
     */
    private static final class FileIndex {
        private final int[] order;          // positions in the file list, by ascending min key
        private final Object[] mins;
        private final Object[] maxs;
        private final Object[] runningMax;  // largest max among order[0..i], to stop scanning left early
        private final int[] unbounded;

        FileIndex(List<DataFile> files, String keyColumn) {
            List<Integer> bounded = new ArrayList<>();
            List<Integer> open = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                DataFile f = files.get(i);
                if (f.minValues().containsKey(keyColumn) && f.maxValues().containsKey(keyColumn)) {
                    bounded.add(i);
                } else {
                    open.add(i);
                }
            }
            bounded.sort((a, b) -> KeyOrder.NATURAL.compare(
                    files.get(a).minValues().get(keyColumn), files.get(b).minValues().get(keyColumn)));
            order = bounded.stream().mapToInt(Integer::intValue).toArray();
            unbounded = open.stream().mapToInt(Integer::intValue).toArray();
            mins = new Object[order.length];
            maxs = new Object[order.length];
            runningMax = new Object[order.length];
            for (int i = 0; i < order.length; i++) {
                DataFile f = files.get(order[i]);
                mins[i] = f.minValues().get(keyColumn);
                maxs[i] = f.maxValues().get(keyColumn);
                runningMax[i] = i == 0 || KeyOrder.NATURAL.compare(maxs[i], runningMax[i - 1]) > 0
                        ? maxs[i] : runningMax[i - 1];
            }
        }

        /** Marks every file whose key range may contain the key, and the key's owner. */
        void markCandidates(Object key, BitSet marks) {
            for (int u : unbounded) {
                marks.set(u);
            }
            int last = lastMinAtMost(key);
            if (last < 0) {
                if (order.length > 0) {
                    marks.set(order[0]); // the owner of keys below every file
                }
                return;
            }
            marks.set(order[last]);
            for (int i = last - 1; i >= 0 && KeyOrder.NATURAL.compare(runningMax[i], key) >= 0; i--) {
                if (KeyOrder.NATURAL.compare(maxs[i], key) >= 0) {
                    marks.set(order[i]);
                }
            }
        }

        /** @return the file that receives a new key, or -1 when the table has no bounded file */
        int owner(Object key) {
            if (order.length == 0) {
                return unbounded.length > 0 ? unbounded[0] : -1;
            }
            return order[Math.max(0, lastMinAtMost(key))];
        }

        private int lastMinAtMost(Object key) {
            int lo = 0;
            int hi = order.length - 1;
            int found = -1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (KeyOrder.NATURAL.compare(mins[mid], key) <= 0) {
                    found = mid;
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            return found;
        }
    }
}
