package io.streamlake.core.silver;

import io.streamlake.core.silver.SilverMerger.Result;
import io.streamlake.schema.Row;
import io.streamlake.table.DataFile;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The general path, for files whose key ranges overlap or are unknown (no statistics): files another
 * writer made, or a compaction that cut by row count. Every file whose range may hold a batch key is
 * read into one map by key; a changed key goes back to the file it was found in, or a new key to the
 * owner of its range, and each rewritten file is written again with all the keys it held.
 *
 * <p>A key may be spread over several of these files. Its rows are written again whole, so a file
 * that shares a key with a rewritten file is rewritten too (see {@link #rewriteWholeKeys}).
 *
 * @param files the table's files
 * @param index their index
 */
record OverlappingMerge(SilverFiles io, List<DataFile> files, FileIndex index) implements MergePath {

    @Override
    public <S> Result merge(BatchFold<S> batch) {
        BitSet candidates = new BitSet(files.size());
        for (Object key : batch.keys()) {
            index.markCandidates(key, candidates);
        }

        Map<Object, S> current = new HashMap<>();
        Map<Object, Integer> fileOfKey = new HashMap<>();
        // Keys found in more than one file: our writes never do that, but a compaction that cuts
        // files by row count, or another engine's OPTIMIZE, may split a key's versions. Only the
        // files read are seen; a key's copy in a file no batch key reaches stays where it is.
        Map<Object, BitSet> spread = new HashMap<>();
        for (int f = candidates.nextSetBit(0); f >= 0; f = candidates.nextSetBit(f + 1)) {
            Iterator<Row> rows = io.read(files.get(f));
            while (rows.hasNext()) {
                Object key = batch.load(current, rows.next());
                Integer first = fileOfKey.putIfAbsent(key, f);
                if (first != null && first != f) {
                    BitSet in = spread.computeIfAbsent(key, k -> new BitSet());
                    in.set(first);
                    in.set(f);
                }
            }
        }

        BitSet rewrite = new BitSet(files.size());
        ChangeCounter changes = new ChangeCounter();
        for (Object key : batch.keys()) {
            if (!batch.foldInto(current, key, changes)) {
                continue; // duplicates and stale events rewrite nothing
            }
            Integer home = fileOfKey.get(key);
            if (home == null) {
                home = index.owner(key);
                fileOfKey.put(key, home);
            }
            if (home >= 0) {
                rewrite.set(home);
            }
        }
        if (!changes.any()) {
            return Result.none();
        }
        rewriteWholeKeys(spread, rewrite);

        List<DataFile> removed = new ArrayList<>();
        for (int f = rewrite.nextSetBit(0); f >= 0; f = rewrite.nextSetBit(f + 1)) {
            removed.add(files.get(f));
        }
        List<Object> keys = new ArrayList<>();
        for (Object key : current.keySet()) {
            int home = fileOfKey.get(key);
            if (home < 0 || rewrite.get(home)) {
                keys.add(key);
            }
        }
        return new Result(removed, io.write(batch.emitSorted(current, keys), true), changes.changes());
    }

    /**
     * A key's rows are written again whole, so every file that holds some of them is rewritten
     * with it, until no rewritten file holds part of a key whose other files stay.
     */
    static void rewriteWholeKeys(Map<Object, BitSet> spread, BitSet rewrite) {
        boolean grew = true;
        while (grew) {
            grew = false;
            for (BitSet in : spread.values()) {
                if (in.intersects(rewrite)) {
                    BitSet missing = (BitSet) in.clone();
                    missing.andNot(rewrite);
                    if (!missing.isEmpty()) {
                        rewrite.or(missing);
                        grew = true;
                    }
                }
            }
        }
    }
}
