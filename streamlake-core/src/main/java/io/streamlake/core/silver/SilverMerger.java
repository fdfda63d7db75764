package io.streamlake.core.silver;

import io.streamlake.event.RowChanges;
import io.streamlake.core.util.Workers;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.HistoryStrategy;
import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.MergeStrategy;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 * files in every partition are looked up ({@link PartitionedMerge}).
 *
 * <p>What a key's rows become is a {@link KeyFold}: the strategy's single-row fold, or for an
 * {@link HistoryStrategy} the {@link HistoryFold}. Everything else, the pruning, reading and
 * rewriting, is shared. Folds see rows of the declared schema: silver's rows are widened to it as
 * read and narrowed to the stored schema as written ({@link SilverColumns}).
 *
 * <p>This class is the merge's face to the silver stage, the delete markers, truncation and
 * quarantine replay. The work is done by: {@link MergePlanner}, which picks the path from the files
 * and their {@link FileIndex}; one {@link MergePath} per layout ({@link FileByFileMerge} with
 * {@link SortedFileMerge} and its fallback {@link UnsortedFileMerge}, {@link OverlappingMerge},
 * {@link PartitionedMerge}); the fold loop they share ({@link BatchFold}); and the files' reader and
 * writer ({@link SilverFiles}).
 */
final class SilverMerger {
    private final SilverFiles io;
    private final MergePlanner planner;
    private final KeyFold<?> fold;

    /** A merger of a table that stores every column of {@code schema}, such as the delete markers. */
    SilverMerger(Table table, Schema schema, List<String> keyColumns, MergeStrategy strategy, long targetFileRows,
            Workers workers) {
        this(table, SilverColumns.all(schema), keyColumns, strategy, targetFileRows, List.of(), workers, 1);
    }

    /**
     * @param columns the declared schema, which the strategy sees, and the stored one, which the
     *     table's files are read and written with
     * @param partitionColumns the table's partition columns; rows are written to the files of
     *     their partition, and a key whose partition value changes moves
     * @param parallelFiles how many files a table smaller than one file is split into, so that its
     *     merges run on as many threads ({@link SilverFiles#parallelFiles})
     */
    SilverMerger(Table table, SilverColumns columns, List<String> keyColumns, MergeStrategy strategy,
            long targetFileRows, List<String> partitionColumns, Workers workers, int parallelFiles) {
        Schema schema = columns.declared();
        SilverKey silverKey = SilverKey.of(schema, keyColumns);
        this.io = new SilverFiles(table, columns, silverKey, targetFileRows, workers, parallelFiles);
        this.planner = new MergePlanner(io, partitionColumns);
        strategy.validate(schema, keyColumns);
        this.fold = strategy instanceof HistoryStrategy history
                ? new HistoryFold(history, silverKey)
                : new RowFold(strategy, silverKey);
    }

    /** A copy reading and writing through another view of the same table. */
    private SilverMerger(SilverMerger base, Table view) {
        this.io = base.io.over(view);
        this.planner = base.planner.over(io);
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
    record Result(List<DataFile> removed, List<DataFile> added, RowChanges changes,
            Map<Integer, RuntimeException> failed) {
        Result(List<DataFile> removed, List<DataFile> added, RowChanges changes) {
            this(removed, added, changes, Map.of());
        }

        /** Nothing staged. */
        static Result none() {
            return new Result(List.of(), List.of(), RowChanges.NONE);
        }

        /** @return the keys changed, of every kind */
        long rowsChanged() {
            return changes.total();
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
        @Nullable
        S apply(Object key, @Nullable S state, Row incoming, boolean tombstone);

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
            throw SilverErrors.strategyChangedKey(strategy, keys.of(row), key);
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
        Result result = planner.plan(files).merge(new BatchFold<>(guard, io.key(), incoming, tombstones));
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
        return new Result(result.removed(), result.added(), result.changes(), failed);
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

    /**
     * Reads the rows of these keys, from the files whose key range may hold them only.
     *
     * @param files the table's files
     * @param keys the keys to look up
     * @return each found key's rows, in the order read
     */
    Map<Object, List<Row>> lookup(List<DataFile> files, Set<Object> keys) {
        FileIndex index = new FileIndex(files, io.key());
        BitSet candidates = new BitSet(files.size());
        for (Object key : keys) {
            index.markCandidates(key, candidates);
        }
        Map<Object, List<Row>> found = new HashMap<>();
        for (int f = candidates.nextSetBit(0); f >= 0; f = candidates.nextSetBit(f + 1)) {
            Iterator<Row> rows = io.read(files.get(f));
            while (rows.hasNext()) {
                Row row = rows.next();
                Object key = io.key().of(row);
                if (keys.contains(key)) {
                    found.computeIfAbsent(key, k -> new ArrayList<>(1)).add(row);
                }
            }
        }
        return found;
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
}
