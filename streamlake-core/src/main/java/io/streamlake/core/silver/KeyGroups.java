package io.streamlake.core.silver;

import io.streamlake.schema.Row;
import java.util.AbstractList;
import java.util.List;
import java.util.Objects;

/**
 * A batch's rows grouped by key: the distinct keys in order of first arrival, and for each key the
 * positions of its rows in arrival order. Built once per micro-batch over up to millions of rows, so
 * it holds ints in arrays (an open-addressing table and a chain of positions) instead of a map entry,
 * a list and boxed positions per key, which made grouping the slowest single-threaded step of a merge.
 *
 * <pre>{@code
 * KeyGroups groups = KeyGroups.of(rows, silverKey);
 * for (int pos = groups.first(key); pos >= 0; pos = groups.next(pos)) { ... rows.get(pos) ... }
 * }</pre>
 */
final class KeyGroups {
    private final Object[] keys;
    private final int[] firstPos;
    private final int[] nextPos;
    /** Open addressing, linear probing: group index + 1 per slot, 0 for empty. */
    private final int[] slots;
    private final int mask;
    private final int size;

    private KeyGroups(Object[] keys, int[] firstPos, int[] nextPos, int[] slots, int size) {
        this.keys = keys;
        this.firstPos = firstPos;
        this.nextPos = nextPos;
        this.slots = slots;
        this.mask = slots.length - 1;
        this.size = size;
    }

    /**
     * @param rows the batch's rows in arrival order
     * @param silverKey the rows' key
     * @return the rows grouped by key
     */
    static KeyGroups of(List<Row> rows, SilverKey silverKey) {
        int n = rows.size();
        int capacity = Integer.highestOneBit(Math.max(4, n) * 2 - 1) << 1;
        int[] slots = new int[capacity];
        int mask = capacity - 1;
        Object[] keys = new Object[Math.max(1, n)];
        int[] first = new int[Math.max(1, n)];
        int[] last = new int[Math.max(1, n)];
        int[] next = new int[n];
        int size = 0;
        for (int pos = 0; pos < n; pos++) {
            Object key = Objects.requireNonNull(silverKey.of(rows.get(pos)), "key");
            next[pos] = -1;
            int slot = spread(key.hashCode()) & mask;
            while (true) {
                int g = slots[slot] - 1;
                if (g < 0) {
                    keys[size] = key;
                    first[size] = pos;
                    last[size] = pos;
                    slots[slot] = ++size;
                    break;
                }
                if (keys[g].equals(key)) {
                    next[last[g]] = pos;
                    last[g] = pos;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        return new KeyGroups(keys, first, next, slots, size);
    }

    private static int spread(int h) {
        return (h ^ (h >>> 16)) * 0x9E3779B9;
    }

    /** @return the number of distinct keys */
    int size() {
        return size;
    }

    /** @return the distinct keys in order of first arrival, a view */
    List<Object> keys() {
        return new AbstractList<>() {
            @Override
            public Object get(int index) {
                Objects.checkIndex(index, size);
                return keys[index];
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    /** @return whether a row of the batch has this key */
    boolean contains(Object key) {
        return group(key) >= 0;
    }

    /**
     * @param key a key
     * @return the position of its first row, -1 if the batch has none
     */
    int first(Object key) {
        int g = group(key);
        return g < 0 ? -1 : firstPos[g];
    }

    /**
     * @param pos a row position
     * @return the position of the next row with the same key, -1 after the last
     */
    int next(int pos) {
        return nextPos[pos];
    }

    private int group(Object key) {
        int slot = spread(key.hashCode()) & mask;
        while (true) {
            int g = slots[slot] - 1;
            if (g < 0) {
                return -1;
            }
            if (keys[g].equals(key)) {
                return g;
            }
            slot = (slot + 1) & mask;
        }
    }
}
