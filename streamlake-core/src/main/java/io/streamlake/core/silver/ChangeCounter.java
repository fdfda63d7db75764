package io.streamlake.core.silver;

import io.streamlake.event.RowChanges;
import io.streamlake.schema.Row;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Counts a merge's changed keys by kind while it folds them: by whether the key's state before and
 * after writes rows (a state may be kept for a key without rows, such as a delete's sequence). One
 * per merge path's loop, on that path's thread: not shared.
 */
final class ChangeCounter {
    /** Reused for every key, so that counting allocates nothing per key. */
    private final List<Row> scratch = new ArrayList<>();
    private long inserted;
    private long updated;
    private long deleted;

    /**
     * @param fold the fold whose states these are
     * @param stored the key's state before the batch
     * @param state its state after
     */
    <S> void count(SilverMerger.KeyFold<S> fold, @Nullable S stored, @Nullable S state) {
        boolean before = hasRows(fold, stored);
        boolean after = hasRows(fold, state);
        if (!before && after) {
            inserted++;
        } else if (before && !after) {
            deleted++;
        } else if (before) {
            updated++;
        }
    }

    private <S> boolean hasRows(SilverMerger.KeyFold<S> fold, @Nullable S state) {
        if (state == null) {
            return false;
        }
        fold.emit(state, scratch);
        boolean any = !scratch.isEmpty();
        scratch.clear();
        return any;
    }

    /** @return true if any key changed */
    boolean any() {
        return inserted + updated + deleted > 0;
    }

    RowChanges changes() {
        return new RowChanges(inserted, updated, deleted);
    }
}
