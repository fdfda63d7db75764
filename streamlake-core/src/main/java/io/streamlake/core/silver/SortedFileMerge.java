package io.streamlake.core.silver;

import io.streamlake.core.silver.SilverMerger.Result;
import io.streamlake.schema.Row;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The one-pass join of a key-sorted file (or none: an empty table) with the sorted batch keys that
 * belong to it: untouched rows are copied as read, and the output comes out sorted without a map of
 * the file's rows or a sort of them, into files written as it comes ({@link SilverFiles.SortedOutput}),
 * so the join holds a row group of its input and of its output rather than the file's rows. The rows
 * it does not touch, most of a file, go from the input's column readers to the output's column
 * writers as Parquet decoded them ({@link SilverFiles#sortedInput}); only the touched ones become
 * rows. Our
 * files are always sorted; a file that turns out not to be (another engine's) gives up, for
 * {@link UnsortedFileMerge}.
 */
final class SortedFileMerge {
    private SortedFileMerge() {
    }

    /**
     * @param keys the batch keys that belong to the file, sorted
     * @param parallelWrite whether to write the output's files on the workers
     * @return the result, or null if the file turned out not to be sorted by key; the fold has then
     *     heard the keys joined so far once already
     */
    static <S> @Nullable Result merge(SilverFiles io, BatchFold<S> batch, @Nullable DataFile file, List<Object> keys,
            boolean parallelWrite) {
        long fileRows = file == null ? 0 : file.rowCount();
        List<Row> emitted = new ArrayList<>(1);
        try (SilverFiles.SortedInput rows = io.sortedInput(file);
                // A parallel write holds the rows to split them between the workers: a file whose
                // rows are copied is written faster as it is read, on this thread alone, than
                // turned into rows and written as rows on all of them; it is cut as the parallel
                // write would cut it, so that the next merge runs on all of them.
                SilverFiles.SortedOutput out = io.sortedOutput(fileRows, parallelWrite && !rows.copies(),
                        parallelWrite && rows.copies())) {
            long read = 0;
            boolean more = rows.next();
            Object fileKey = more ? rows.key() : null;
            Object last = null;
            ChangeCounter changes = new ChangeCounter();
            int k = 0;
            while (more || k < keys.size()) {
                if (more && last != null && ValueOrder.NATURAL.compare(last, fileKey) > 0) {
                    return null;
                }
                int cmp = !more ? 1 : k == keys.size() ? -1 : ValueOrder.NATURAL.compare(fileKey, keys.get(k));
                if (cmp < 0) {
                    out.copy(rows, fileKey); // a key this batch does not touch
                    read++;
                    last = fileKey;
                    more = rows.next();
                    fileKey = more ? rows.key() : null;
                    continue;
                }
                Object key = keys.get(k++);
                S stored = null;
                while (cmp == 0) {
                    stored = batch.load(stored, rows.row());
                    read++;
                    last = fileKey;
                    more = rows.next();
                    fileKey = more ? rows.key() : null;
                    cmp = !more ? 1 : ValueOrder.NATURAL.compare(fileKey, key);
                    if (cmp < 0) {
                        return null;
                    }
                }
                S state = batch.fold(key, stored);
                batch.changed(stored, state, changes);
                if (changes.any()) {
                    out.changed();
                }
                if (state != null) {
                    emitted.clear();
                    batch.emit(state, emitted);
                    for (int i = 0; i < emitted.size(); i++) {
                        out.add(emitted.get(i));
                    }
                }
                // The output's size so far, the file's rows not read yet, and the keys to come
                // growing it as those so far did (inserts, deletes, versions): how its files are cut.
                long written = out.added();
                out.expect(written + (fileRows - read) + (keys.size() - k) * (written - read) / k);
            }
            if (!changes.any()) {
                return Result.none();
            }
            return new Result(file == null ? List.of() : List.of(file), out.finish(), changes.changes());
        }
    }
}
