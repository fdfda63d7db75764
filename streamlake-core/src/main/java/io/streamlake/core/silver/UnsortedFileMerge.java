package io.streamlake.core.silver;

import io.streamlake.core.silver.SilverMerger.Result;
import io.streamlake.schema.Row;
import io.streamlake.table.DataFile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The batch keys that belong to one file whose rows are out of key order (another engine wrote it,
 * so {@link SortedFileMerge} gave up): the file is read into a map by key, folded, and written
 * again sorted, so the next merge of its keys joins in one pass.
 */
final class UnsortedFileMerge {
    private UnsortedFileMerge() {
    }

    /**
     * @param keys the batch keys that belong to the file
     * @param parallelWrite whether to write the output's files on the workers
     */
    static <S> Result merge(SilverFiles io, BatchFold<S> batch, DataFile unsorted, List<Object> keys,
            boolean parallelWrite) {
        Map<Object, S> current = new HashMap<>();
        Iterator<Row> rows = io.read(unsorted);
        while (rows.hasNext()) {
            batch.load(current, rows.next());
        }
        ChangeCounter changes = new ChangeCounter();
        for (Object key : keys) {
            batch.foldInto(current, key, changes);
        }
        if (!changes.any()) {
            return Result.none();
        }
        List<Row> out = batch.emitSorted(current, new ArrayList<>(current.keySet()));
        return new Result(List.of(unsorted), io.write(out, parallelWrite), changes.changes());
    }
}
