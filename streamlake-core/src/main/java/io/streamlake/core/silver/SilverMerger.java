package io.streamlake.core.silver;

import io.streamlake.core.util.Tables;
import io.streamlake.core.util.Workers;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import io.streamlake.table.PartitionValues;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Copy-on-write merge of one batch into silver. Only files that may hold the batch's keys are
 * read, and only files whose rows actually change are rewritten, so the cost follows the batch and
 * not the table.
 *
 * <p>Files are kept sorted and split by key, so their [min, max] ranges are disjoint: a key is
 * either inside exactly one file's range or in the gap before the next file. A key in a gap is
 * given to the file on its left (the "owner"), which keeps ranges disjoint as keys arrive and
 * stops new keys from piling up in ever more small files. A key may have several rows (SCD type 2
 * versions); they are never split across files.
 *
 * <p>A partitioned table keeps this per partition; a key may move between partitions, so its
 * files in every partition are looked up (see {@code mergePartitioned}).
 *
 * <p>What a key's rows become is a {@link KeyFold}: the strategy's single-row fold, or for an
 * {@link Scd2Strategy} the {@link HistoryFold}. Everything else, the pruning, reading and
 * rewriting, is shared. Folds see rows of the declared schema: silver's rows are widened to it as
 * read and narrowed to the stored schema as written ({@link SilverColumns}).
 */
final class SilverMerger {
    private final Table table;
    /** What silver stores of the declared schema: rows are widened as read and narrowed as written. */
    private final SilverColumns columns;
    /** The declared schema, of every row the fold sees. */
    private final Schema schema;
    private final SilverKey silverKey;
    private final KeyFold<?> fold;
    private final long targetFileRows;
    private final List<String> partitionColumns;
    private final Workers workers;

    /** A merger of a table that stores every column of {@code schema}, such as the delete markers. */
    SilverMerger(Table table, Schema schema, List<String> keyColumns, MergeStrategy strategy, long targetFileRows,
            Workers workers) {
        this(table, SilverColumns.all(schema), keyColumns, strategy, targetFileRows, List.of(), workers);
    }

    /**
     * @param columns the declared schema, which the strategy sees, and the stored one, which the
     *     table's files are read and written with
     * @param partitionColumns the table's partition columns; rows are written to the files of
     *     their partition, and a key whose partition value changes moves
     */
    SilverMerger(Table table, SilverColumns columns, List<String> keyColumns, MergeStrategy strategy,
            long targetFileRows, List<String> partitionColumns, Workers workers) {
        this.workers = workers;
        this.partitionColumns = List.copyOf(partitionColumns);
        this.table = table;
        this.columns = columns;
        this.schema = columns.declared();
        this.silverKey = SilverKey.of(schema, keyColumns);
        this.targetFileRows = targetFileRows;
        strategy.validate(schema, keyColumns);
        this.fold = strategy instanceof Scd2Strategy history
                ? new HistoryFold(history, silverKey)
                : new RowFold(strategy, silverKey);
    }

    /** A copy reading and writing through another view of the same table. */
    private SilverMerger(SilverMerger base, Table view) {
        this.workers = base.workers;
        this.partitionColumns = base.partitionColumns;
        this.table = view;
        this.columns = base.columns;
        this.schema = base.schema;
        this.silverKey = base.silverKey;
        this.targetFileRows = base.targetFileRows;
        this.fold = base.fold;
    }

    /**
     * @param view the same table seen another way, such as without the rows a truncate removes
     * @return this merger reading and writing through the view
     */
    SilverMerger over(Table view) {
        return new SilverMerger(this, view);
    }

    /**
     * What a merge staged; nothing is committed yet.
     *
     * @param failed the positions in the batch of the rows whose merge threw, with what it threw:
     *     the merge left them out, as if they had not come
     */
    record Result(List<DataFile> removed, List<DataFile> added, long rowsChanged,
            Map<Integer, RuntimeException> failed) {
        Result(List<DataFile> removed, List<DataFile> added, long rowsChanged) {
            this(removed, added, rowsChanged, Map.of());
        }

        /** @return a new commit of the table holding these removes and adds, to add markers to */
        PendingCommit stage(Table table) {
            PendingCommit commit = table.newCommit();
            removed.forEach(commit::remove);
            added.forEach(commit::add);
            return commit;
        }
    }

    /**
     * What a key's rows become. The state of a key is immutable once built, and null when silver
     * does not hold the key, so a fold that changes nothing returns an equal state.
     *
     * @param <S> a key's state
     */
    interface KeyFold<S> {
        /** Adds a stored row of the key, as read from its file, to the key's state. */
        S load(@Nullable S state, Row stored);

        /**
         * @param key the key
         * @param state the key's state, null if silver does not hold it
         * @param incoming an incoming row, or for a tombstone a row holding only the key
         * @param tombstone whether {@code incoming} is a tombstone
         * @return the key's new state, null to remove the key
         */
        @Nullable S apply(Object key, @Nullable S state, Row incoming, boolean tombstone);

        /** Adds the state's rows to {@code out}, in the order they are written. */
        void emit(S state, List<Row> out);

        /**
         * @return whether two states write the same rows, so that a change of state that silver
         *     cannot see (a delete marker) rewrites no file
         */
        default boolean sameRows(@Nullable S a, @Nullable S b) {
            return Objects.equals(a, b);
        }

        /**
         * Hears the state a batch key ends the batch with; called for every batch key, possibly from
         * several threads at once, and again with the same state for the keys of a file whose one-pass
         * merge found it out of key order and merged it through a map instead.
         */
        default void settled(Object key, @Nullable S state) {
        }
    }

    /**
     * Fails loudly when a strategy returns a row for another key: it would break the files'
     * disjoint key ranges and hide the row from later merges.
     */
    static Row checkKey(Object key, Row row, SilverKey keys, Object strategy) {
        if (!Objects.equals(keys.of(row), key)) {
            throw new ConfigurationException("merge strategy " + strategy + " returned a row with key "
                    + keys.of(row) + " while merging key " + key + "; a strategy must keep the row's key"
                    + " (with keepColumns, list the key's columns)");
        }
        return row;
    }

    /**
     * @param files the table's current files
     * @param incoming decoded rows in arrival order
     * @param tombstones positions in {@code incoming} of tombstones: records with a key and no value,
     *     given as rows holding only the key; the strategy's {@link MergeStrategy#onTombstone}
     *     decides, by default they delete the key, as in a compacted Kafka topic
     */
    Result merge(List<DataFile> files, List<Row> incoming, BitSet tombstones) {
        return merge(fold, files, incoming, tombstones);
    }

    /**
     * The same with another fold for this batch, such as one that also keeps delete markers. A row
     * on which the fold throws is left out of the merge and reported in {@link Result#failed}: one
     * record must not stop the pipeline, since every restart would stop on it again. A
     * {@link ConfigurationException} (a strategy that breaks its contract) still stops it.
     */
    <S> Result merge(KeyFold<S> keyFold, List<DataFile> files, List<Row> incoming, BitSet tombstones) {
        Guard<S> guard = new Guard<>(keyFold);
        Result result = mergeGuarded(guard, files, incoming, tombstones);
        if (guard.failed.isEmpty()) {
            return result;
        }
        Map<Integer, RuntimeException> failed = new HashMap<>();
        for (int pos = 0; pos < incoming.size(); pos++) {
            RuntimeException e = guard.failed.get(incoming.get(pos));
            if (e != null) {
                failed.put(pos, e);
            }
        }
        return new Result(result.removed(), result.added(), result.rowsChanged(), failed);
    }

    /** A fold that leaves out a row it throws on, and remembers the row (by identity) and the exception. */
    private static final class Guard<S> implements KeyFold<S> {
        private final KeyFold<S> fold;
        // Keys fold on several threads at once; a row belongs to one key, so each entry is written once.
        private final Map<Row, RuntimeException> failed = Collections.synchronizedMap(new IdentityHashMap<>());

        Guard(KeyFold<S> fold) {
            this.fold = fold;
        }

        @Override
        public S load(@Nullable S state, Row stored) {
            return fold.load(state, stored);
        }

        @Override
        public @Nullable S apply(Object key, @Nullable S state, Row incoming, boolean tombstone) {
            try {
                return fold.apply(key, state, incoming, tombstone);
            } catch (ConfigurationException e) {
                throw e;
            } catch (RuntimeException e) {
                failed.put(incoming, e);
                return state;
            }
        }

        @Override
        public void emit(S state, List<Row> out) {
            fold.emit(state, out);
        }

        @Override
        public boolean sameRows(@Nullable S a, @Nullable S b) {
            return fold.sameRows(a, b);
        }

        @Override
        public void settled(Object key, @Nullable S state) {
            fold.settled(key, state);
        }
    }

    private <S> Result mergeGuarded(KeyFold<S> keyFold, List<DataFile> files, List<Row> incoming,
            BitSet tombstones) {
        KeyGroups byKey = KeyGroups.of(incoming, silverKey);
        if (!partitionColumns.isEmpty()) {
            return mergePartitioned(keyFold, files, byKey, incoming, tombstones);
        }
        FileIndex index = new FileIndex(files, silverKey);
        if (index.disjoint()) {
            return mergeFileByFile(keyFold, files, index, byKey, incoming, tombstones);
        }
        BitSet candidates = new BitSet(files.size());
        for (Object key : byKey.keys()) {
            index.markCandidates(key, candidates);
        }

        Map<Object, S> current = new HashMap<>();
        Map<Object, Integer> fileOfKey = new HashMap<>();
        // Keys found in more than one file: our writes never do that, but a compaction that cuts
        // files by row count, or another engine's OPTIMIZE, may split a key's versions.
        Map<Object, BitSet> spread = new HashMap<>();
        for (int f = candidates.nextSetBit(0); f >= 0; f = candidates.nextSetBit(f + 1)) {
            Iterator<Row> rows = columns.read(table, files.get(f));
            while (rows.hasNext()) {
                Row row = rows.next();
                Object key = silverKey.of(row);
                current.put(key, keyFold.load(current.get(key), row));
                Integer first = fileOfKey.putIfAbsent(key, f);
                if (first != null && first != f) {
                    BitSet in = spread.computeIfAbsent(key, k -> new BitSet());
                    in.set(first);
                    in.set(f);
                }
            }
        }

        // Fold each key's rows in arrival order, starting from what silver holds.
        BitSet rewrite = new BitSet(files.size());
        long changed = 0;
        for (Object key : byKey.keys()) {
            S stored = current.get(key);
            S state = fold(keyFold, key, stored, byKey, incoming, tombstones);
            if (keyFold.sameRows(state, stored)) {
                continue; // duplicates and stale events rewrite nothing
            }
            changed++;
            Integer home = fileOfKey.get(key);
            if (home == null) {
                home = index.owner(key);
                fileOfKey.put(key, home);
            }
            if (home >= 0) {
                rewrite.set(home);
            }
            if (state == null) {
                current.remove(key);
            } else {
                current.put(key, state);
            }
        }
        if (changed == 0) {
            return new Result(List.of(), List.of(), 0);
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
        keys.sort(ValueOrder.NATURAL);
        List<Row> out = new ArrayList<>(keys.size());
        for (Object key : keys) {
            keyFold.emit(current.get(key), out);
        }
        return new Result(removed, write(out, true), changed);
    }

    /**
     * The common case, our own files with disjoint key ranges: every batch key belongs to exactly one
     * file (the one whose range holds it, or the owner of its gap), so each file is merged on its own,
     * on all cores, holding one file's rows in memory at a time instead of all the files'.
     */
    private <S> Result mergeFileByFile(KeyFold<S> keyFold, List<DataFile> files, FileIndex index,
            KeyGroups byKey, List<Row> incoming, BitSet tombstones) {
        Map<Integer, List<Object>> keysByFile = new HashMap<>();
        for (Object key : byKey.keys()) {
            keysByFile.computeIfAbsent(index.owner(key), f -> new ArrayList<>()).add(key);
        }
        // One unit (a first batch, a one-file table) writes its files in parallel instead. Not both:
        // Workers runs nested calls safely (a caller runs what no helper claimed), but with the units
        // already on every worker, nested writes would only queue.
        boolean parallelWrite = keysByFile.size() == 1;
        List<Supplier<Result>> units = new ArrayList<>();
        for (Map.Entry<Integer, List<Object>> unit : keysByFile.entrySet()) {
            DataFile file = unit.getKey() < 0 ? null : files.get(unit.getKey());
            units.add(() -> mergeFile(keyFold, file, unit.getValue(), byKey, incoming, tombstones, parallelWrite));
        }
        List<DataFile> removed = new ArrayList<>();
        List<DataFile> added = new ArrayList<>();
        long changed = 0;
        for (Result r : workers.all(units)) {
            removed.addAll(r.removed());
            added.addAll(r.added());
            changed += r.rowsChanged();
        }
        return new Result(removed, added, changed);
    }

    /**
     * Merges the batch keys that belong to one file (or, with no file, to an empty table). Our files
     * are sorted by key, so the file and the sorted batch keys are joined in one pass: untouched rows
     * are copied as read, and the output comes out sorted without a map of the file's rows or a sort
     * of them. A file found out of order (written by another engine) is merged through a map instead.
     */
    private <S> Result mergeFile(KeyFold<S> keyFold, @Nullable DataFile file, List<Object> keys,
            KeyGroups byKey, List<Row> incoming, BitSet tombstones, boolean parallelWrite) {
        keys.sort(ValueOrder.NATURAL);
        Result joined = mergeSortedFile(keyFold, file, keys, byKey, incoming, tombstones, parallelWrite);
        if (joined != null) {
            return joined;
        }
        // Only a file out of key order gets here (an empty table always joins).
        DataFile unsorted = Objects.requireNonNull(file);
        Map<Object, S> current = new HashMap<>();
        Iterator<Row> rows = columns.read(table, unsorted);
        while (rows.hasNext()) {
            Row row = rows.next();
            Object key = silverKey.of(row);
            current.put(key, keyFold.load(current.get(key), row));
        }
        long changed = 0;
        for (Object key : keys) {
            S stored = current.get(key);
            S state = fold(keyFold, key, stored, byKey, incoming, tombstones);
            if (keyFold.sameRows(state, stored)) {
                continue; // duplicates and stale events rewrite nothing
            }
            changed++;
            if (state == null) {
                current.remove(key);
            } else {
                current.put(key, state);
            }
        }
        if (changed == 0) {
            return new Result(List.of(), List.of(), 0);
        }
        List<Object> sortedKeys = new ArrayList<>(current.keySet());
        sortedKeys.sort(ValueOrder.NATURAL);
        List<Row> out = new ArrayList<>(sortedKeys.size());
        for (Object key : sortedKeys) {
            keyFold.emit(current.get(key), out);
        }
        return new Result(List.of(unsorted), write(out, parallelWrite), changed);
    }

    /** The files of one partition, with their own key index. */
    private record Partition(int[] files, FileIndex index) {
        /** @return the file (a position in the table's list) that receives a new key, or -1 for a new file */
        int owner(Object key) {
            int local = index.owner(key);
            return local < 0 ? -1 : files[local];
        }
    }

    /**
     * A partitioned table: within a partition, files keep sorted, disjoint key ranges as in an
     * unpartitioned table, but a key may sit in any partition, and move when its partition value
     * changes. So every partition's files whose key range holds a batch key are read (min/max pruning
     * still skips the rest), a changed key's old rows are removed wherever they were, and its new rows
     * go, by partition, to the file that held it there, or the owner of its key range there, or a new
     * file of that partition. Each rewritten file is written again on its own, so ranges stay disjoint.
     */
    private <S> Result mergePartitioned(KeyFold<S> keyFold, List<DataFile> files, KeyGroups byKey,
            List<Row> incoming, BitSet tombstones) {
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
        for (Object key : byKey.keys()) {
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
        Map<Integer, List<Row>> rowsOf = readAll(files, candidates, byKey);

        Map<Object, S> current = new HashMap<>();
        Map<Object, BitSet> homes = new HashMap<>();
        for (Map.Entry<Integer, List<Row>> e : rowsOf.entrySet()) {
            for (Row row : e.getValue()) {
                Object key = silverKey.of(row);
                current.put(key, keyFold.load(current.get(key), row));
                homes.computeIfAbsent(key, k -> new BitSet()).set(e.getKey());
            }
        }

        // New rows, by the file they go to (a position) or, for a partition's new file, its values.
        Map<Object, List<Row>> out = new HashMap<>();
        BitSet rewrite = new BitSet(files.size());
        Set<Object> changedKeys = new HashSet<>();
        List<Row> emitted = new ArrayList<>();
        for (Object key : byKey.keys()) {
            S stored = current.get(key);
            S state = fold(keyFold, key, stored, byKey, incoming, tombstones);
            if (keyFold.sameRows(state, stored)) {
                continue;
            }
            changedKeys.add(key);
            BitSet home = homes.getOrDefault(key, new BitSet());
            rewrite.or(home);
            emitted.clear();
            if (state != null) {
                keyFold.emit(state, emitted);
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
            return new Result(List.of(), List.of(), 0);
        }
        List<Supplier<List<DataFile>>> units = new ArrayList<>();
        List<DataFile> removed = new ArrayList<>();
        for (int f = rewrite.nextSetBit(0); f >= 0; f = rewrite.nextSetBit(f + 1)) {
            DataFile file = files.get(f);
            removed.add(file);
            List<Row> added = out.getOrDefault(f, List.of());
            units.add(() -> {
                List<Row> rows = new ArrayList<>(added);
                Iterator<Row> it = columns.read(table, file);
                while (it.hasNext()) {
                    Row row = it.next();
                    if (!changedKeys.contains(silverKey.of(row))) {
                        rows.add(row);
                    }
                }
                return sortAndWrite(rows, file.partitionValues());
            });
        }
        for (Map.Entry<Object, List<Row>> e : out.entrySet()) {
            if (!(e.getKey() instanceof Integer)) {
                @SuppressWarnings("unchecked")
                Map<String, @Nullable String> partition = (Map<String, @Nullable String>) e.getKey();
                units.add(() -> sortAndWrite(e.getValue(), partition));
            }
        }
        List<DataFile> added = new ArrayList<>();
        workers.all(units).forEach(added::addAll);
        return new Result(removed, added, changedKeys.size());
    }

    /** Sorts one partition's rows by key, stably so a key's rows (SCD2 versions) keep their order, and writes them. */
    private List<DataFile> sortAndWrite(List<Row> rows, Map<String, @Nullable String> partition) {
        rows.sort(silverKey::compare);
        return write(rows, false, partition);
    }

    /** Reads the marked files on all cores, keeping the rows of these keys. */
    private Map<Integer, List<Row>> readAll(List<DataFile> files, BitSet which, KeyGroups keys) {
        List<Integer> positions = which.stream().boxed().toList();
        List<Supplier<List<Row>>> reads = new ArrayList<>();
        for (int f : positions) {
            reads.add(() -> {
                List<Row> rows = new ArrayList<>();
                Iterator<Row> it = columns.read(table, files.get(f));
                while (it.hasNext()) {
                    Row row = it.next();
                    if (keys.contains(silverKey.of(row))) {
                        rows.add(row);
                    }
                }
                return rows;
            });
        }
        List<List<Row>> results = workers.all(reads);
        Map<Integer, List<Row>> out = new HashMap<>();
        for (int i = 0; i < positions.size(); i++) {
            out.put(positions.get(i), results.get(i));
        }
        return out;
    }

    /**
     * Reads the rows of these keys, from the files whose key range may hold them only.
     *
     * @param files the table's files
     * @param keys the keys to look up
     * @return each found key's rows, in the order read
     */
    Map<Object, List<Row>> lookup(List<DataFile> files, Set<Object> keys) {
        FileIndex index = new FileIndex(files, silverKey);
        BitSet candidates = new BitSet(files.size());
        for (Object key : keys) {
            index.markCandidates(key, candidates);
        }
        Map<Object, List<Row>> found = new HashMap<>();
        for (int f = candidates.nextSetBit(0); f >= 0; f = candidates.nextSetBit(f + 1)) {
            Iterator<Row> rows = columns.read(table, files.get(f));
            while (rows.hasNext()) {
                Row row = rows.next();
                Object key = silverKey.of(row);
                if (keys.contains(key)) {
                    found.computeIfAbsent(key, k -> new ArrayList<>(1)).add(row);
                }
            }
        }
        return found;
    }

    /**
     * The one-pass join of a key-sorted file (or none: an empty table) with the sorted batch keys.
     *
     * @return the result, or null if the file turned out not to be sorted by key
     */
    private <S> @Nullable Result mergeSortedFile(KeyFold<S> keyFold, @Nullable DataFile file, List<Object> keys,
            KeyGroups byKey, List<Row> incoming, BitSet tombstones, boolean parallelWrite) {
        Iterator<Row> rows = file == null ? Collections.emptyIterator() : columns.read(table, file);
        long fileRows = file == null ? 0 : file.rowCount();
        List<Row> out = new ArrayList<>((int) Math.min(Integer.MAX_VALUE - 8, fileRows + keys.size()));
        Row next = rows.hasNext() ? rows.next() : null;
        Object last = null;
        long changed = 0;
        int k = 0;
        while (next != null || k < keys.size()) {
            Object fileKey = next == null ? null : silverKey.of(next);
            if (fileKey != null && last != null && ValueOrder.NATURAL.compare(last, fileKey) > 0) {
                return null;
            }
            int cmp = next == null ? 1 : k == keys.size() ? -1 : ValueOrder.NATURAL.compare(fileKey, keys.get(k));
            if (cmp < 0) {
                out.add(next); // a key this batch does not touch
                last = fileKey;
                next = rows.hasNext() ? rows.next() : null;
                continue;
            }
            Object key = keys.get(k++);
            S stored = null;
            while (cmp == 0) {
                stored = keyFold.load(stored, next);
                last = fileKey;
                next = rows.hasNext() ? rows.next() : null;
                fileKey = next == null ? null : silverKey.of(next);
                cmp = next == null ? 1 : ValueOrder.NATURAL.compare(fileKey, key);
                if (cmp < 0) {
                    return null;
                }
            }
            S state = fold(keyFold, key, stored, byKey, incoming, tombstones);
            if (!keyFold.sameRows(state, stored)) {
                changed++;
            }
            if (state != null) {
                keyFold.emit(state, out);
            }
        }
        if (changed == 0) {
            return new Result(List.of(), List.of(), 0);
        }
        return new Result(file == null ? List.of() : List.of(file), write(out, parallelWrite), changed);
    }

    /**
     * Folds a key's batch rows in arrival order, starting from what silver holds, and tells the fold
     * the state the key ends with (a fold that falls back to another path may hear it twice).
     */
    private static <S> @Nullable S fold(KeyFold<S> keyFold, Object key, @Nullable S stored,
            KeyGroups byKey, List<Row> incoming, BitSet tombstones) {
        S state = stored;
        for (int pos = byKey.first(key); pos >= 0; pos = byKey.next(pos)) {
            state = keyFold.apply(key, state, incoming.get(pos), tombstones.get(pos));
        }
        keyFold.settled(key, state);
        return state;
    }

    /**
     * A key's rows are written again whole, so every file that holds some of them is rewritten
     * with it, until no rewritten file holds part of a key whose other files stay.
     */
    private static void rewriteWholeKeys(Map<Object, BitSet> spread, BitSet rewrite) {
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

    /**
     * Splits rows sorted by key into files of about targetFileRows, evenly sized, cutting only
     * between keys so that key ranges stay disjoint.
     */
    private List<DataFile> write(List<Row> sorted, boolean parallel) {
        return write(sorted, parallel, Map.of());
    }

    private List<DataFile> write(List<Row> sorted, boolean parallel, Map<String, @Nullable String> partition) {
        if (sorted.isEmpty()) {
            return List.of();
        }
        int fileCount = (int) Math.max(1, (sorted.size() + targetFileRows - 1) / targetFileRows);
        int perFile = (sorted.size() + fileCount - 1) / fileCount;
        List<Supplier<DataFile>> writes = new ArrayList<>(fileCount);
        int start = 0;
        while (start < sorted.size()) {
            int end = Math.min(sorted.size(), start + perFile);
            while (end < sorted.size()
                    && silverKey.compare(sorted.get(end - 1), sorted.get(end)) == 0) {
                end++;
            }
            List<Row> slice = sorted.subList(start, end);
            writes.add(() -> Tables.writeFile(table, columns.stored(), partition, columns.narrow(slice)));
            start = end;
        }
        if (parallel) {
            return workers.all(writes);
        }
        List<DataFile> files = new ArrayList<>(writes.size());
        writes.forEach(w -> files.add(w.get()));
        return files;
    }

    /** One row per key: the strategy folded over the key's rows. */
    private record RowFold(MergeStrategy strategy, SilverKey keys) implements KeyFold<Row> {
        @Override
        public Row load(@Nullable Row state, Row stored) {
            return stored;
        }

        @Override
        public @Nullable Row apply(Object key, @Nullable Row state, Row incoming, boolean tombstone) {
            MergeDecision d = tombstone ? strategy.onTombstone(state, incoming) : strategy.merge(state, incoming);
            return switch (d.kind()) {
                case UPSERT -> checkKey(key, d.row(), keys, strategy);
                case DELETE -> null;
                case KEEP -> state;
            };
        }

        @Override
        public void emit(Row state, List<Row> out) {
            out.add(state);
        }
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

        FileIndex(List<DataFile> files, SilverKey key) {
            List<Integer> bounded = new ArrayList<>();
            List<Integer> open = new ArrayList<>();
            List<Object> lows = new ArrayList<>(files.size());
            List<Object> highs = new ArrayList<>(files.size());
            for (int i = 0; i < files.size(); i++) {
                DataFile f = files.get(i);
                Object low = key.bound(f.minValues());
                Object high = key.bound(f.maxValues());
                lows.add(low);
                highs.add(high);
                if (low != null && high != null) {
                    bounded.add(i);
                } else {
                    open.add(i);
                }
            }
            bounded.sort((a, b) -> ValueOrder.NATURAL.compare(lows.get(a), lows.get(b)));
            order = bounded.stream().mapToInt(Integer::intValue).toArray();
            unbounded = open.stream().mapToInt(Integer::intValue).toArray();
            mins = new Object[order.length];
            maxs = new Object[order.length];
            runningMax = new Object[order.length];
            for (int i = 0; i < order.length; i++) {
                mins[i] = lows.get(order[i]);
                maxs[i] = highs.get(order[i]);
                runningMax[i] = i == 0 || ValueOrder.NATURAL.compare(maxs[i], runningMax[i - 1]) > 0
                        ? maxs[i] : runningMax[i - 1];
            }
        }

        /** Marks every file whose key range may contain the key, and the key's owner. */
        void markCandidates(Object key, BitSet marks) {
            markContaining(key, marks);
            if (order.length > 0) {
                marks.set(order[Math.max(0, lastMinAtMost(key))]); // the owner, also of keys below every file
            }
        }

        /** Marks every file whose key range may contain the key (not its owner). */
        void markContaining(Object key, BitSet marks) {
            for (int u : unbounded) {
                marks.set(u);
            }
            for (int i = lastMinAtMost(key); i >= 0 && ValueOrder.NATURAL.compare(runningMax[i], key) >= 0; i--) {
                if (ValueOrder.NATURAL.compare(maxs[i], key) >= 0) {
                    marks.set(order[i]);
                }
            }
        }

        /**
         * @return true when every file has key bounds and no two ranges overlap, so that each key
         *     belongs to exactly one file
         */
        boolean disjoint() {
            if (unbounded.length > 0) {
                return false;
            }
            for (int i = 1; i < order.length; i++) {
                if (ValueOrder.NATURAL.compare(runningMax[i - 1], mins[i]) >= 0) {
                    return false;
                }
            }
            return true;
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
                if (ValueOrder.NATURAL.compare(mins[mid], key) <= 0) {
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
