package io.streamlake.core.silver;

import io.streamlake.event.RowChanges;
import io.streamlake.core.silver.SilverMerger.Result;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The common case, our own files with disjoint key ranges: every batch key belongs to exactly one
 * file (the one whose range holds it, or the owner of its gap), so each file is merged on its own,
 * on all cores, holding one file's rows in memory at a time instead of all the files'.
 *
 * @param files the table's files
 * @param index their index, whose ranges are {@linkplain FileIndex#disjoint disjoint}
 */
record FileByFileMerge(SilverFiles io, List<DataFile> files, FileIndex index) implements MergePath {

    @Override
    public <S> Result merge(BatchFold<S> batch) {
        Map<Integer, List<Object>> keysByFile = new HashMap<>();
        for (Object key : batch.keys()) {
            keysByFile.computeIfAbsent(index.owner(key), f -> new ArrayList<>()).add(key);
        }
        // One unit (a first batch, a one-file table) writes its files in parallel instead. Not both:
        // Workers runs nested calls safely (a caller runs what no helper claimed), but with the units
        // already on every worker, nested writes would only queue.
        boolean parallelWrite = keysByFile.size() == 1;
        List<Supplier<Result>> units = new ArrayList<>();
        for (Map.Entry<Integer, List<Object>> unit : keysByFile.entrySet()) {
            DataFile file = unit.getKey() < 0 ? null : files.get(unit.getKey());
            units.add(() -> mergeFile(batch, file, unit.getValue(), parallelWrite));
        }
        List<DataFile> removed = new ArrayList<>();
        List<DataFile> added = new ArrayList<>();
        RowChanges changes = RowChanges.NONE;
        for (Result r : io.workers().all(units)) {
            removed.addAll(r.removed());
            added.addAll(r.added());
            changes = changes.plus(r.changes());
        }
        return new Result(removed, added, changes);
    }

    /**
     * Merges the batch keys that belong to one file (or, with no file, to an empty table): joined in
     * one pass when the file is sorted by key, as ours are, else through a map.
     */
    private <S> Result mergeFile(BatchFold<S> batch, @Nullable DataFile file, List<Object> keys,
            boolean parallelWrite) {
        keys.sort(ValueOrder.NATURAL);
        Result joined = SortedFileMerge.merge(io, batch, file, keys, parallelWrite);
        if (joined != null) {
            return joined;
        }
        // Only a file out of key order gets here (an empty table always joins).
        return UnsortedFileMerge.merge(io, batch, Objects.requireNonNull(file), keys, parallelWrite);
    }
}
