package io.streamlake.core.silver;

import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Files ordered by their minimum key, for binary search. Files whose key bounds are unknown are
 * candidates for every key.
 */
final class FileIndex {
    private final int[] order; // positions in the file list, by ascending min key
    private final Object[] mins;
    private final Object[] maxs;
    private final Object[] runningMax; // largest max among order[0..i], to stop scanning left early
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
