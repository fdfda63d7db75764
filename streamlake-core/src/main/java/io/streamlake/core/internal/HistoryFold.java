package io.streamlake.core.internal;

import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.Row;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The SCD type 2 merge path: a key's state is all its versions, ordered by {@code __START_AT}, and
 * each incoming event goes through {@link Scd2Strategy#mergeHistory}. {@link SilverMerger} writes
 * the versions in that order after their key, so files stay sorted by (key, {@code __START_AT})
 * and a key's versions share one file, which keeps pruning by key working.
 */
final class HistoryFold implements SilverMerger.KeyFold<List<Row>> {
    private final Scd2Strategy strategy;
    private final int keyPos;

    HistoryFold(Scd2Strategy strategy, int keyPos) {
        this.strategy = strategy;
        this.keyPos = keyPos;
    }

    @Override
    public List<Row> load(@Nullable List<Row> state, Row stored) {
        // Only while a file is read is a state mutable; the folds below always build new lists.
        List<Row> versions = state == null ? new ArrayList<>(2) : state;
        versions.add(stored);
        return versions;
    }

    @Override
    public @Nullable List<Row> apply(Object key, @Nullable List<Row> state, Row incoming, boolean tombstone) {
        List<Row> versions = state == null ? List.of() : state;
        List<Row> next;
        if (tombstone) {
            // A tombstone has no sequence value to close a version at: the strategy decides for
            // the whole history, given the current version.
            MergeDecision d = strategy.onTombstone(current(versions), incoming);
            next = switch (d.kind()) {
                case DELETE -> List.of();
                case KEEP -> versions;
                case UPSERT -> strategy.mergeHistory(versions, d.row());
            };
        } else {
            next = strategy.mergeHistory(versions, incoming);
        }
        for (Row v : next) {
            SilverMerger.checkKey(key, v, keyPos, strategy);
        }
        return next.isEmpty() ? null : next;
    }

    private static @Nullable Row current(List<Row> versions) {
        for (Row v : versions) {
            if (v.value(Scd2Strategy.END_AT) == null) {
                return v;
            }
        }
        return null;
    }

    @Override
    public void emit(List<Row> state, List<Row> out) {
        out.addAll(state);
    }
}
