package io.streamlake.core.silver;

import io.streamlake.core.silver.SilverMerger.Result;
import io.streamlake.schema.Row;
import io.streamlake.table.DataFile;
import io.streamlake.table.PartitionValues;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A partitioned table: within a partition, files keep sorted, disjoint key ranges as in an
 * unpartitioned table, but a key may sit in any partition, and move when its partition value
 * changes. So every partition's files whose key range holds a batch key are read (min/max pruning
 * still skips the rest), a changed key's old rows are removed wherever they were, and its new rows
 * go, by partition, to the file that held it there, or the owner of its key range there, or a new
 * file of that partition. Each rewritten file is written again on its own, so ranges stay disjoint.
 *
 * @param files the table's files, of every partition
 * @param partitionColumns the table's partition columns
 */
record PartitionedMerge(SilverFiles io, List<DataFile> files, List<String> partitionColumns) implements MergePath {

    /** The files of one partition, with their own key index. */
    private record Partition(int[] files, FileIndex index) {
        /** @return the file (a position in the table's list) that receives a new key, or -1 for a new file */
        int owner(Object key) {
            int local = index.owner(key);
            return local < 0 ? -1 : files[local];
        }
    }

    @Override
    public <S> Result merge(BatchFold<S> batch) {
        SilverKey silverKey = io.key();
        Map<Map<String, @Nullable String>, List<Integer>> grouped = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            grouped.computeIfAbsent(files.get(i).partitionValues(), p -> new ArrayList<>()).add(i);
        }
        Map<Map<String, @Nullable String>, Partition> partitions = new HashMap<>();
        for (Map.Entry<Map<String, @Nullable String>, List<Integer>> e : grouped.entrySet()) {
            int[] positions = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            List<DataFile> own = e.getValue().stream().map(files::get).toList();
            partitions.put(e.getKey(), new Partition(positions, new FileIndex(own, silverKey)));
        }
        BitSet candidates = new BitSet(files.size());
        BitSet local = new BitSet();
        for (Object key : batch.keys()) {
            for (Partition p : partitions.values()) {
                local.clear();
                p.index().markContaining(key, local);
                for (int f = local.nextSetBit(0); f >= 0; f = local.nextSetBit(f + 1)) {
                    candidates.set(p.files()[f]);
                }
            }
        }
        // Only the batch keys' rows are kept from this read: a file that is rewritten is read again
        // when it is written, so memory holds one file at a time, as in the unpartitioned merge.
        Map<Integer, List<Row>> rowsOf = io.readAll(files, candidates, batch.byKey());

        Map<Object, S> current = new HashMap<>();
        Map<Object, BitSet> homes = new HashMap<>();
        for (Map.Entry<Integer, List<Row>> e : rowsOf.entrySet()) {
            for (Row row : e.getValue()) {
                Object key = batch.load(current, row);
                homes.computeIfAbsent(key, k -> new BitSet()).set(e.getKey());
            }
        }

        // New rows, by the file they go to (a position) or, for a partition's new file, its values.
        Map<Object, List<Row>> out = new HashMap<>();
        BitSet rewrite = new BitSet(files.size());
        Set<Object> changedKeys = new HashSet<>();
        ChangeCounter changes = new ChangeCounter();
        List<Row> emitted = new ArrayList<>();
        for (Object key : batch.keys()) {
            S stored = current.get(key);
            S state = batch.fold(key, stored);
            if (!batch.changed(stored, state, changes)) {
                continue;
            }
            changedKeys.add(key);
            BitSet home = homes.getOrDefault(key, new BitSet());
            rewrite.or(home);
            emitted.clear();
            if (state != null) {
                batch.emit(state, emitted);
            }
            for (Row row : emitted) {
                Map<String, @Nullable String> values = PartitionValues.of(row, partitionColumns);
                Object target = values;
                for (int f = home.nextSetBit(0); f >= 0; f = home.nextSetBit(f + 1)) {
                    if (files.get(f).partitionValues().equals(values)) {
                        target = f;
                        break;
                    }
                }
                if (target == values && partitions.containsKey(values)) {
                    int owner = partitions.get(values).owner(key);
                    if (owner >= 0) {
                        target = owner;
                    }
                }
                if (target instanceof Integer f) {
                    rewrite.set(f);
                }
                out.computeIfAbsent(target, t -> new ArrayList<>()).add(row);
            }
        }
        if (changedKeys.isEmpty()) {
            return Result.none();
        }
        List<Supplier<List<DataFile>>> units = new ArrayList<>();
        List<DataFile> removed = new ArrayList<>();
        for (int f = rewrite.nextSetBit(0); f >= 0; f = rewrite.nextSetBit(f + 1)) {
            DataFile file = files.get(f);
            removed.add(file);
            List<Row> added = out.getOrDefault(f, List.of());
            units.add(() -> {
                List<Row> rows = new ArrayList<>(added);
                Iterator<Row> it = io.read(file);
                while (it.hasNext()) {
                    Row row = it.next();
                    if (!changedKeys.contains(silverKey.of(row))) {
                        rows.add(row);
                    }
                }
                return io.sortAndWrite(rows, file.partitionValues());
            });
        }
        for (Map.Entry<Object, List<Row>> e : out.entrySet()) {
            if (!(e.getKey() instanceof Integer)) {
                @SuppressWarnings("unchecked")
                Map<String, @Nullable String> partition = (Map<String, @Nullable String>) e.getKey();
                units.add(() -> io.sortAndWrite(e.getValue(), partition));
            }
        }
        List<DataFile> added = new ArrayList<>();
        io.workers().all(units).forEach(added::addAll);
        return new Result(removed, added, changes.changes());
    }
}
