package io.streamlake.core.internal;

import io.streamlake.merge.CdcStrategy;
import io.streamlake.merge.MergeDecision;
import io.streamlake.merge.Scd2Strategy;
import io.streamlake.schema.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The SCD type 2 merge path: a key's state is all its versions, ordered by {@code __START_AT}, and
 * the sequence values of the key's deletes, and each incoming event goes through
 * {@link Scd2Strategy#mergeHistory(List, java.util.Collection, Row)}. {@link SilverMerger} writes
 * the versions in that order after their key, so files stay sorted by (key, {@code __START_AT}) and
 * a key's versions share one file, which keeps pruning by key working.
 *
 * <p>The deletes are kept for the batch, so a delete that arrives before the events it ends works
 * within one batch; {@link DeleteMarkers} keeps them across batches by starting a key from its
 * markers ({@link #markers}).
 */
class HistoryFold implements SilverMerger.KeyFold<HistoryFold.Versions> {
    private final Scd2Strategy strategy;
    private final SilverKey keys;

    /**
     * A key's state.
     *
     * @param rows its versions, as silver stores them
     * @param deletes the sequence values of its deletes: those remembered before the batch, then the batch's
     */
    record Versions(List<Row> rows, List<Object> deletes) {
    }

    HistoryFold(Scd2Strategy strategy, SilverKey keys) {
        this.strategy = strategy;
        this.keys = keys;
    }

    /** @return the sequence values of the key's deletes remembered before the batch; none by default */
    List<Object> markers(Object key) {
        return List.of();
    }

    @Override
    public Versions load(@Nullable Versions state, Row stored) {
        // Only while a file is read is a state mutable; the folds below always build new lists.
        Versions versions = state == null ? new Versions(new ArrayList<>(2), markers(java.util.Objects.requireNonNull(keys.of(stored)))) : state;
        versions.rows().add(stored);
        return versions;
    }

    @Override
    public @Nullable Versions apply(Object key, @Nullable Versions state, Row incoming, boolean tombstone) {
        List<Row> versions = state == null ? List.of() : state.rows();
        List<Object> deletes = state == null ? markers(key) : state.deletes();
        List<Row> next;
        if (tombstone) {
            // A tombstone has no sequence value to close a version at: the strategy decides for
            // the whole history, given the current version.
            MergeDecision d = strategy.onTombstone(current(versions), incoming);
            next = switch (d.kind()) {
                case DELETE -> List.of();
                case KEEP -> versions;
                case UPSERT -> strategy.mergeHistory(versions, deletes, d.row());
            };
        } else {
            next = strategy.mergeHistory(versions, deletes, incoming);
            if (strategy.isDelete(incoming)) {
                deletes = with(deletes, Objects.requireNonNull(strategy.sequenceOf(incoming)));
            }
        }
        for (Row v : next) {
            SilverMerger.checkKey(key, v, keys, strategy);
        }
        return next.isEmpty() && deletes.isEmpty() ? null : new Versions(next, deletes);
    }

    /** @return the deletes with one more value, unless they hold it already */
    private static List<Object> with(List<Object> deletes, Object sequence) {
        for (Object d : deletes) {
            if (CdcStrategy.compareSequence(d, sequence) == 0) {
                return deletes;
            }
        }
        List<Object> more = new ArrayList<>(deletes.size() + 1);
        more.addAll(deletes);
        more.add(sequence);
        return more;
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
    public void emit(Versions state, List<Row> out) {
        out.addAll(state.rows());
    }

    @Override
    public boolean sameRows(@Nullable Versions a, @Nullable Versions b) {
        return rows(a).equals(rows(b));
    }

    private static List<Row> rows(@Nullable Versions state) {
        return state == null ? List.of() : state.rows();
    }
}
