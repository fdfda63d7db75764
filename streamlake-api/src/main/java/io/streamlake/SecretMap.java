package io.streamlake;

import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * An immutable map of settings whose values are secrets, such as storage options holding an account
 * key or a SAS token. It is a plain {@code Map} for everything that reads it ({@code get},
 * {@code entrySet}, {@code equals}, copying it into a Hadoop configuration or another map), but its
 * {@code toString()}, and those of its entries and of its {@link #values()}, print every value as
 * {@code ***}, so that logging the map, a configuration object holding it or an assertion failure
 * never prints a secret. Keys are printed: they name settings, not secrets.
 *
 * <pre>{@code
 * Map<String, String> options = SecretMap.of(Map.of("fs.azure.account.key.mylake.dfs.core.windows.net", key));
 * options.get("fs.azure.account.key.mylake.dfs.core.windows.net");   // the key itself
 * System.out.println(options);          // {fs.azure.account.key.mylake.dfs.core.windows.net=***}
 * Map<String, String> copy = new HashMap<>(options);                  // a plain map again: keep it out of logs
 * }</pre>
 *
 * <p>Keys keep the order of the map given. {@link io.streamlake.Pipeline#storageOptions()} and the
 * storage options that {@code io.streamlake.core.azure.AdlsGen2} builds are of this type.
 */
public final class SecretMap extends AbstractMap<String, String> {
    /** What {@code toString()} prints in place of each value. */
    public static final String MASK = "***";

    private static final SecretMap EMPTY = new SecretMap(new LinkedHashMap<>());

    private final Map<String, String> settings;
    private final Set<Map.Entry<String, String>> entries;
    private final Collection<String> values;

    private SecretMap(LinkedHashMap<String, String> settings) {
        this.settings = Collections.unmodifiableMap(settings);
        List<Map.Entry<String, String>> list = new ArrayList<>(settings.size());
        settings.forEach((k, v) -> list.add(new SecretEntry(k, v)));
        this.entries = new Entries(List.copyOf(list));
        this.values = new Values(this.settings.values());
    }

    /**
     * @param settings setting names and their (secret) values; neither may be null
     * @return an immutable copy whose {@code toString()} masks every value ({@code settings} itself if
     *     it is already a {@code SecretMap})
     * @throws NullPointerException if a name or a value is null (the message names the setting, never a value)
     */
    public static SecretMap of(Map<String, String> settings) {
        Objects.requireNonNull(settings, "settings");
        if (settings instanceof SecretMap s) {
            return s;
        }
        if (settings.isEmpty()) {
            return EMPTY;
        }
        LinkedHashMap<String, String> copy = new LinkedHashMap<>();
        settings.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "setting name"),
                Objects.requireNonNull(v, () -> "value of setting " + k)));
        return new SecretMap(copy);
    }

    @Override
    public int size() {
        return settings.size();
    }

    @Override
    public boolean isEmpty() {
        return settings.isEmpty();
    }

    @Override
    public boolean containsKey(@Nullable Object key) {
        return settings.containsKey(key);
    }

    @Override
    public boolean containsValue(@Nullable Object value) {
        return settings.containsValue(value);
    }

    @Override
    public @Nullable String get(@Nullable Object key) {
        return settings.get(key);
    }

    @Override
    public Set<String> keySet() {
        return settings.keySet();
    }

    /** @return the values; the collection prints each as {@code ***} */
    @Override
    public Collection<String> values() {
        return values;
    }

    /** @return the entries; each prints as {@code name=***} */
    @Override
    public Set<Map.Entry<String, String>> entrySet() {
        return entries;
    }

    // AbstractMap only refuses changes to keys it holds; an immutable map refuses every change.

    @Override
    public String put(String key, String value) {
        throw immutable();
    }

    @Override
    public String remove(@Nullable Object key) {
        throw immutable();
    }

    @Override
    public void putAll(Map<? extends String, ? extends String> m) {
        throw immutable();
    }

    @Override
    public void clear() {
        throw immutable();
    }

    @Override
    public void replaceAll(BiFunction<? super String, ? super String, ? extends String> function) {
        throw immutable();
    }

    @Override
    public @Nullable String putIfAbsent(String key, String value) {
        throw immutable();
    }

    @Override
    public boolean remove(@Nullable Object key, @Nullable Object value) {
        throw immutable();
    }

    @Override
    public boolean replace(String key, String oldValue, String newValue) {
        throw immutable();
    }

    @Override
    public @Nullable String replace(String key, String value) {
        throw immutable();
    }

    @Override
    public String computeIfAbsent(String key, Function<? super String, ? extends String> mappingFunction) {
        throw immutable();
    }

    @Override
    public @Nullable String computeIfPresent(String key,
            BiFunction<? super String, ? super String, ? extends String> remappingFunction) {
        throw immutable();
    }

    @Override
    public @Nullable String compute(String key,
            BiFunction<? super String, ? super String, ? extends String> remappingFunction) {
        throw immutable();
    }

    @Override
    public @Nullable String merge(String key, String value,
            BiFunction<? super String, ? super String, ? extends String> remappingFunction) {
        throw immutable();
    }

    private static UnsupportedOperationException immutable() {
        return new UnsupportedOperationException("secret settings are immutable: build a new map with SecretMap.of");
    }

    /** @return {@code {name=***, ...}}: the setting names, never a value */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (String key : settings.keySet()) {
            sb.append(sb.length() == 1 ? "" : ", ").append(key).append('=').append(MASK);
        }
        return sb.append('}').toString();
    }

    /** An entry that prints {@code name=***}; equal to any entry with the same name and value. */
    private static final class SecretEntry implements Map.Entry<String, String> {
        private final String key;
        private final String value;

        SecretEntry(String key, String value) {
            this.key = key;
            this.value = value;
        }

        @Override
        public String getKey() {
            return key;
        }

        @Override
        public String getValue() {
            return value;
        }

        @Override
        public String setValue(String v) {
            throw immutable();
        }

        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof Map.Entry<?, ?> e && key.equals(e.getKey()) && value.equals(e.getValue());
        }

        @Override
        public int hashCode() {
            return key.hashCode() ^ value.hashCode();
        }

        @Override
        public String toString() {
            return key + "=" + MASK;
        }
    }

    /** The entries, read-only; AbstractSet prints each through its masking toString ({@code [name=***]}). */
    private static final class Entries extends AbstractSet<Map.Entry<String, String>> {
        private final List<Map.Entry<String, String>> list;

        Entries(List<Map.Entry<String, String>> list) {
            this.list = list;
        }

        @Override
        public Iterator<Map.Entry<String, String>> iterator() {
            return list.iterator();
        }

        @Override
        public int size() {
            return list.size();
        }
    }

    /** The values, read-only, printed as {@code [***, ***]}. */
    private static final class Values extends AbstractCollection<String> {
        private final Collection<String> values;

        Values(Collection<String> values) {
            this.values = values;
        }

        @Override
        public Iterator<String> iterator() {
            return values.iterator();
        }

        @Override
        public int size() {
            return values.size();
        }

        @Override
        public boolean contains(@Nullable Object o) {
            return values.contains(o);
        }

        @Override
        public String toString() {
            return "[" + String.join(", ", Collections.nCopies(values.size(), MASK)) + "]";
        }
    }
}
