package io.streamlake.core.silver;

import io.streamlake.merge.CdcStrategy;
import io.streamlake.merge.HistoryStrategy;
import io.streamlake.merge.MergeDecision;
import io.streamlake.schema.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The SCD type 2 merge path: a key's state is all its versions, ordered by {@code __START_AT}, and
 * the sequence values of the key's deletes, and each incoming event goes through
 * {@link HistoryStrategy#mergeHistory(List, java.util.Collection, Row)}. {@link SilverMerger} writes
 * the versions in that order after their key, so files stay sorted by (key, {@code __START_AT}) and
 * a key's versions share one file, which keeps pruning by key working.
 *
 * <p>The deletes are kept for the batch, so a delete that arrives before the events it ends works
 * within one batch; {@link DeleteMarkers} keeps them across batches by starting a key from its
 * markers ({@link #markers}). With delete markers the fold is also exact
 * ({@link #exact()}): the state carries the events the versions absorbed
 * ({@link HistoryStrategy.History#absorbed()}), which the markers keep across batches too
 * ({@link #absorbed}), and events go through
 * {@link HistoryStrategy#mergeHistory(HistoryStrategy.History, java.util.Collection, Row)}.
 */
class HistoryFold implements SilverMerger.KeyFold<HistoryFold.Versions> {
    private final HistoryStrategy strategy;
    private final SilverKey keys;

    /**
     * A key's state.
     *
     * @param rows its versions, as silver stores them
     * @param deletes the sequence values of its deletes: those remembered before the batch, then the batch's
     * @param absorbed the events its versions absorbed ({@link HistoryStrategy.History#absorbed()}); empty
     *     unless the fold is {@link #exact()}
     * @param cleared whether a tombstone removed the key's history, and with it the absorbed events
     *     remembered before the batch
     */
    record Versions(List<Row> rows, List<Object> deletes, List<Row> absorbed, boolean cleared) {
    }

    HistoryFold(HistoryStrategy strategy, SilverKey keys) {
        this.strategy = strategy;
        this.keys = keys;
    }

    /** @return the sequence values of the key's deletes remembered before the batch; none by default */
    List<Object> markers(Object key) {
        return List.of();
    }

    /** @return the events the key's versions absorbed, remembered before the batch; none by default */
    List<Row> absorbed(Object key) {
        return List.of();
    }

    /** @return whether the fold keeps absorbed events, so that history does not depend on arrival order */
    boolean exact() {
        return false;
    }

    /** The one place the engine reads an SCD type 2 event's sequence value. */
    final Object sequence(Row row) {
        return Objects.requireNonNull(strategy.sequenceOf(row));
    }

    @Override
    public Versions load(@Nullable Versions state, Row stored) {
        // Only while a file is read is a state mutable; the folds below always build new lists.
        Versions versions;
        if (state == null) {
            Object key = Objects.requireNonNull(keys.of(stored));
            versions = new Versions(new ArrayList<>(2), markers(key), absorbed(key), false);
        } else {
            versions = state;
        }
        versions.rows().add(stored);
        return versions;
    }

    @Override
    public @Nullable Versions apply(Object key, @Nullable Versions state, Row incoming, boolean tombstone) {
        List<Row> versions = state == null ? List.of() : state.rows();
        List<Object> deletes = state == null ? markers(key) : state.deletes();
        List<Row> absorbed = state == null ? absorbed(key) : state.absorbed();
        boolean cleared = state != null && state.cleared();
        HistoryStrategy.History next;
        if (tombstone) {
            // A tombstone has no sequence value to close a version at: the strategy decides for
            // the whole history, given the current version.
            MergeDecision d = strategy.onTombstone(current(versions), incoming);
            next = switch (d.kind()) {
                // the history is gone, and with it what its versions absorbed
                case DELETE -> new HistoryStrategy.History(List.of(), List.of());
                case KEEP -> new HistoryStrategy.History(versions, absorbed);
                case UPSERT -> merge(versions, absorbed, deletes, d.row());
            };
            cleared |= d.kind() == MergeDecision.Kind.DELETE && !absorbed.isEmpty();
        } else {
            next = merge(versions, absorbed, deletes, incoming);
            if (strategy.isDelete(incoming)) {
                deletes = with(deletes, sequence(incoming));
            }
        }
        for (Row v : next.versions()) {
            SilverMerger.checkKey(key, v, keys, strategy);
        }
        return next.versions().isEmpty() && deletes.isEmpty() && next.absorbed().isEmpty() && !cleared ? null
                : new Versions(next.versions(), deletes, next.absorbed(), cleared);
    }

    private HistoryStrategy.History merge(List<Row> versions, List<Row> absorbed, List<Object> deletes, Row incoming) {
        if (exact()) {
            return strategy.mergeHistory(new HistoryStrategy.History(versions, absorbed), deletes, incoming);
        }
        return new HistoryStrategy.History(strategy.mergeHistory(versions, deletes, incoming), List.of());
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
            if (v.value(HistoryStrategy.END_AT) == null) {
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
