package io.streamlake.core.silver;

import io.streamlake.core.silver.SilverMerger.KeyFold;
import io.streamlake.schema.Row;
import io.streamlake.schema.ValueOrder;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One batch folded into silver: its rows grouped by key, and the {@link KeyFold} that decides what a
 * key's rows become. Every merge path folds through it, so the paths differ only in which files
 * they read and rewrite, never in what a key becomes.
 *
 * <p>Immutable once built and read by several workers at once (a file-by-file merge folds
 * different keys on different threads): the fold itself must take that, as {@link KeyFold} says.
 *
 * @param <S> a key's state
 */
final class BatchFold<S> {
    private final KeyFold<S> fold;
    private final SilverKey silverKey;
    private final KeyGroups byKey;
    private final List<Row> incoming;
    private final BitSet tombstones;

    /**
     * @param incoming decoded rows in arrival order
     * @param tombstones positions in {@code incoming} of tombstones
     */
    BatchFold(KeyFold<S> fold, SilverKey silverKey, List<Row> incoming, BitSet tombstones) {
        this.fold = fold;
        this.silverKey = silverKey;
        this.byKey = KeyGroups.of(incoming, silverKey);
        this.incoming = incoming;
        this.tombstones = tombstones;
    }

    /** @return the batch's distinct keys, in order of first arrival */
    List<Object> keys() {
        return byKey.keys();
    }

    /** @return the batch's rows by key */
    KeyGroups byKey() {
        return byKey;
    }

    /** Adds a stored row of a key to the key's state. */
    @Nullable
    S load(@Nullable S state, Row stored) {
        return fold.load(state, stored);
    }

    /**
     * Adds a stored row to its key's state in {@code states}.
     *
     * @return the row's key
     */
    Object load(Map<Object, S> states, Row stored) {
        Object key = silverKey.of(stored);
        states.put(key, fold.load(states.get(key), stored));
        return key;
    }

    /**
     * Folds a key's batch rows in arrival order, starting from what silver holds, and tells the fold
     * the state the key ends with (a file whose one-pass merge falls back to a map tells it twice).
     */
    @Nullable
    S fold(Object key, @Nullable S stored) {
        S state = stored;
        for (int pos = byKey.first(key); pos >= 0; pos = byKey.next(pos)) {
            state = fold.apply(key, state, incoming.get(pos), tombstones.get(pos));
        }
        fold.settled(key, state);
        return state;
    }

    /**
     * Folds a key over its state in {@code states}, and keeps the new state there (removes the key
     * when the fold removes it).
     *
     * @param changes counts the key's change, if it changes
     * @return whether the key's rows change; duplicates and stale events change none
     */
    boolean foldInto(Map<Object, S> states, Object key, ChangeCounter changes) {
        S stored = states.get(key);
        S state = fold(key, stored);
        if (!changed(stored, state, changes)) {
            return false;
        }
        if (state == null) {
            states.remove(key);
        } else {
            states.put(key, state);
        }
        return true;
    }

    /**
     * @param stored a key's state before the batch
     * @param state its state after
     * @param changes counts the change, if there is one
     * @return whether the rows differ
     */
    boolean changed(@Nullable S stored, @Nullable S state, ChangeCounter changes) {
        if (fold.sameRows(state, stored)) {
            return false;
        }
        changes.count(fold, stored, state);
        return true;
    }

    /** @return whether two states write the same rows */
    boolean sameRows(@Nullable S a, @Nullable S b) {
        return fold.sameRows(a, b);
    }

    /** Adds a state's rows to {@code out}, in the order they are written. */
    void emit(S state, List<Row> out) {
        fold.emit(state, out);
    }

    /**
     * @param keys keys of {@code states}, sorted here in place
     * @return their rows, sorted by key, each key's rows in the fold's order
     */
    List<Row> emitSorted(Map<Object, S> states, List<Object> keys) {
        keys.sort(ValueOrder.NATURAL);
        List<Row> out = new ArrayList<>(keys.size());
        for (Object key : keys) {
            fold.emit(states.get(key), out);
        }
        return out;
    }
}
