package io.streamlake.core.util;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable map of a few string-keyed entries in two arrays, for the headers and metadata that
 * sources attach to every record: one object and one value array per record (the name array is
 * shared by records with the same names), where {@code Map.ofEntries} builds an entry per name and a
 * hash table. Writers read it by index without an iterator; lookups scan, which for a handful of
 * entries is as fast as hashing. Names are non-null and distinct; values may be null.
 *
 * @param <V> the value type
 */
public final class SmallMap<V> extends AbstractMap<String, V> {
    /** Beyond this many entries, {@link #of} returns a HashMap-backed map instead. */
    public static final int MAX_SIZE = 32;

    private final String[] names;
    private final @Nullable Object[] values;
    private final int size;
    private @Nullable Set<Map.Entry<String, V>> entries;

    private SmallMap(String[] names, @Nullable Object[] values, int size) {
        this.names = names;
        this.values = values;
        this.size = size;
    }

    /**
     * The first {@code n} entries of the arrays. The last value of a repeated name wins.
     *
     * @param names names, not null; the array itself is kept when it holds exactly {@code n} distinct
     *     names, so that records can share one, which must then never change
     * @param values values; copied
     * @param n how many entries
     * @return the map; an unmodifiable HashMap copy when there are more than {@link #MAX_SIZE}
     * @throws NullPointerException for a null name
     */
    public static <V> Map<String, V> of(String[] names, @Nullable V[] values, int n) {
        if (n == 0) {
            return Map.of();
        }
        if (n > MAX_SIZE) {
            Map<String, V> m = new HashMap<>();
            for (int i = 0; i < n; i++) {
                m.put(Objects.requireNonNull(names[i], "name"), values[i]);
            }
            return Collections.unmodifiableMap(m);
        }
        for (int i = 0; i < n; i++) {
            Objects.requireNonNull(names[i], "name");
            for (int j = 0; j < i; j++) {
                if (names[j].equals(names[i])) {
                    return deduplicated(names, values, n);
                }
            }
        }
        return new SmallMap<>(names.length == n ? names : Arrays.copyOf(names, n),
                Arrays.copyOf(values, n, Object[].class),
                n);
    }

    private static <V> Map<String, V> deduplicated(String[] names, @Nullable V[] values, int n) {
        String[] keptNames = new String[n];
        Object[] keptValues = new Object[n];
        int kept = 0;
        outer : for (int i = 0; i < n; i++) {
            for (int j = 0; j < kept; j++) {
                if (keptNames[j].equals(names[i])) {
                    keptValues[j] = values[i];
                    continue outer;
                }
            }
            keptNames[kept] = names[i];
            keptValues[kept++] = values[i];
        }
        return new SmallMap<>(Arrays.copyOf(keptNames, kept), keptValues, kept);
    }

    /** @return the name of entry {@code i}, in insertion order */
    public String name(int i) {
        Objects.checkIndex(i, size);
        return names[i];
    }

    /** @return the value of entry {@code i}, possibly null */
    @SuppressWarnings("unchecked")
    public @Nullable V valueAt(int i) {
        Objects.checkIndex(i, size);
        return (V) values[i];
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    @SuppressWarnings("unchecked")
    public @Nullable V get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : (V) values[i];
    }

    private int indexOf(@Nullable Object key) {
        for (int i = 0; i < size; i++) {
            if (names[i] == key) {
                return i;
            }
        }
        for (int i = 0; i < size; i++) {
            if (names[i].equals(key)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public Set<Map.Entry<String, V>> entrySet() {
        Set<Map.Entry<String, V>> e = entries;
        if (e == null) {
            e = new AbstractSet<>() {
                @Override
                public Iterator<Map.Entry<String, V>> iterator() {
                    return new Iterator<>() {
                        private int next;

                        @Override
                        public boolean hasNext() {
                            return next < size;
                        }

                        @Override
                        @SuppressWarnings("unchecked")
                        public Map.Entry<String, V> next() {
                            if (next >= size) {
                                throw new NoSuchElementException();
                            }
                            int i = next++;
                            return new SimpleImmutableEntry<>(names[i], (V) values[i]);
                        }
                    };
                }

                @Override
                public int size() {
                    return size;
                }
            };
            entries = e;
        }
        return e;
    }
}
