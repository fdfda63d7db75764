package io.streamlake.core.silver;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * The erasures of a pipeline's keys, kept in bronze's table properties, which are part of every
 * snapshot and checkpoint, so they outlive log cleanup. Bronze is the source of truth because it is
 * what every replay reads: an erasure is recorded in the same commit that rewrites bronze's files
 * without the keys, and every other table catches up with it ({@link #APPLIED}).
 *
 * <p><b>No plaintext keys.</b> A key is stored as a keyed hash (HMAC-SHA256 under a random salt kept
 * beside it, {@value #SALT}, cut to 128 bits): enough to recognize the key again in a replay, not to
 * list the keys that were erased without guessing them one by one. Like any suppression list this is
 * pseudonymous, not anonymous, data: whoever can read bronze's properties and guess a key can test
 * the guess.
 *
 * <p><b>Entries</b> ({@value #LOG}) are {@code id:through:hash,hash;...}. {@code through} is the bronze
 * version the erasure read: events of that version and before are erased, later ones are new
 * events (the key may come back with them). A silver merge that reads a bronze version at or before
 * an entry's {@code through} leaves out the entry's keys, so a replay over older commits (a new
 * silver table built from bronze, files a compaction replaced) does not bring an erased key back.
 *
 * <p>Immutable; a {@link Matcher} holds a {@link Mac}, which is not thread-safe, so each thread takes
 * its own.
 */
final class Erasures {
    /** Bronze's table property holding the entries. */
    static final String LOG = "streamlake.erasure.log";
    /** Bronze's table property holding the salt, base64. */
    static final String SALT = "streamlake.erasure.salt";
    /** The property of silver, quarantine and delete markers: the id of the last erasure applied to them. */
    static final String APPLIED = "streamlake.erasure.applied";

    static final Erasures NONE = new Erasures(null, List.of());

    private static final String ALGORITHM = "HmacSHA256";
    private static final int HASH_BYTES = 16;
    /** Thread-safe (its methods synchronize): only salts come from it. */
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One erasure: its id (1, 2, ...), the last bronze version it covers and its keys' hashes. */
    record Entry(long id, long through, Set<String> hashes) {
    }

    private final byte @Nullable [] salt;
    private final List<Entry> entries;
    /** The greatest {@code through}, -1 without entries: a record of a later version is never erased. */
    private final long through;

    private Erasures(byte @Nullable [] salt, List<Entry> entries) {
        this.salt = salt;
        this.entries = List.copyOf(entries);
        this.through = entries.stream().mapToLong(Entry::through).max().orElse(-1);
    }

    /** @return the erasures recorded in bronze's properties */
    static Erasures of(Map<String, String> bronzeProperties) {
        String salt = bronzeProperties.get(SALT);
        String log = bronzeProperties.get(LOG);
        if (salt == null || log == null || log.isEmpty()) {
            return salt == null ? NONE : new Erasures(Base64.getDecoder().decode(salt), List.of());
        }
        List<Entry> entries = new ArrayList<>();
        for (String e : log.split(";")) {
            String[] parts = e.split(":", 3);
            if (parts.length != 3) {
                throw SilverErrors.erasureLogUnreadable(e);
            }
            entries.add(new Entry(Long.parseLong(parts[0]), Long.parseLong(parts[1]),
                    parts[2].isEmpty() ? Set.of() : Set.of(parts[2].split(","))));
        }
        return new Erasures(Base64.getDecoder().decode(salt), entries);
    }

    /** @return whether no key was ever erased */
    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** @return the id of the last erasure, 0 if none */
    long lastId() {
        return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).id();
    }

    /** @return the erasures after {@code applied}, in order */
    List<Entry> after(long applied) {
        return entries.stream().filter(e -> e.id() > applied).toList();
    }

    /**
     * @param keys the keys to erase now, as {@link SilverKey#of(Row)} gives them
     * @param through the bronze version the erasure read
     * @return the same erasures with one more, and the bronze properties that record it
     */
    Map<String, String> plus(Collection<Object> keys, long through) {
        byte[] s = salt;
        if (s == null) {
            s = new byte[32];
            RANDOM.nextBytes(s);
        }
        Erasures withSalt = new Erasures(s, entries);
        Matcher m = withSalt.matcher();
        Set<String> hashes = new HashSet<>();
        for (Object k : keys) {
            hashes.add(m.hash(k));
        }
        StringBuilder log = new StringBuilder();
        List<Entry> all = new ArrayList<>(entries);
        all.add(new Entry(lastId() + 1, through, hashes));
        for (Entry e : all) {
            if (!log.isEmpty()) {
                log.append(';');
            }
            log.append(e.id()).append(':').append(e.through()).append(':').append(String.join(",", e.hashes()));
        }
        Map<String, String> properties = new HashMap<>();
        properties.put(SALT, Base64.getEncoder().encodeToString(s));
        properties.put(LOG, log.toString());
        return properties;
    }

    /** @return a matcher for the calling thread */
    Matcher matcher() {
        return new Matcher();
    }

    /** Recognizes erased keys; one thread's. */
    final class Matcher {
        private final @Nullable Mac mac;

        private Matcher() {
            if (salt == null) {
                mac = null;
                return;
            }
            try {
                Mac m = Mac.getInstance(ALGORITHM);
                m.init(new SecretKeySpec(salt, ALGORITHM));
                mac = m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(ALGORITHM + " is part of every Java runtime", e);
            }
        }

        /** @return whether a record of this bronze version may be erased: a cheap test before {@link #erased} */
        boolean covers(long bronzeVersion) {
            return bronzeVersion <= through;
        }

        /** @return whether an erasure covering this bronze version holds the key */
        boolean erased(@Nullable Object key, long bronzeVersion) {
            if (key == null || bronzeVersion > through) {
                return false;
            }
            String h = hash(key);
            for (Entry e : entries) {
                if (bronzeVersion <= e.through() && e.hashes().contains(h)) {
                    return true;
                }
            }
            return false;
        }

        /** @return whether one of these erasures holds the key, whatever the version */
        boolean erased(@Nullable Object key, List<Entry> of) {
            if (key == null || of.isEmpty()) {
                return false;
            }
            String h = hash(key);
            for (Entry e : of) {
                if (e.hashes().contains(h)) {
                    return true;
                }
            }
            return false;
        }

        String hash(Object key) {
            Mac m = Objects.requireNonNull(mac, "no salt");
            byte[] full = m.doFinal(canonical(key).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(full, HASH_BYTES));
        }
    }

    /** The key as text that equal keys share: each column's value, length-prefixed so no two keys run together. */
    private static String canonical(Object key) {
        StringBuilder out = new StringBuilder();
        if (key instanceof CompositeKey k) {
            for (Object v : k.values()) {
                append(out, v);
            }
        } else {
            append(out, key);
        }
        return out.toString();
    }

    private static void append(StringBuilder out, Object value) {
        String text = value instanceof byte[] b ? Base64.getEncoder().encodeToString(b)
                : value instanceof BigDecimal d ? d.stripTrailingZeros().toPlainString() : value.toString();
        out.append(text.length()).append(':').append(text);
    }

    /**
     * Turns the keys a user gave into keys as rows hold them, in the key columns' types.
     *
     * @param keys one value per key for a key of one column; for several, a {@link List} of the
     *     columns' values, most significant first
     * @throws IllegalArgumentException naming the column and type for a key that does not fit (never its value)
     */
    static List<Object> keys(Collection<?> keys, Schema schema, List<String> columns) {
        List<Object> out = new ArrayList<>(keys.size());
        int n = 0;
        for (Object k : keys) {
            n++;
            if (columns.size() == 1) {
                out.add(value(k, schema, columns.get(0), n));
                continue;
            }
            if (!(k instanceof List<?> values) || values.size() != columns.size()) {
                throw SilverErrors.erasureKeyShape(n, columns);
            }
            Object[] v = new Object[columns.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = value(values.get(i), schema, columns.get(i), n);
            }
            out.add(new CompositeKey(v));
        }
        return out;
    }

    private static Object value(@Nullable Object v, Schema schema, String column, int n) {
        DataType type = schema.require(column).type();
        if (v == null) {
            throw SilverErrors.erasureKeyType(n, column, type, "null");
        }
        Object converted = switch (type.kind()) {
            case LONG -> v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                    ? (Object) ((Number) v).longValue() : v;
            case INT ->
                v instanceof Integer || v instanceof Short || v instanceof Byte ? (Object) ((Number) v).intValue()
                        : v instanceof Long l && l == l.intValue() ? (Object) l.intValue() : v;
            default -> v;
        };
        if (!Row.javaClass(type).isInstance(converted)) {
            throw SilverErrors.erasureKeyType(n, column, type, v.getClass().getSimpleName());
        }
        return converted;
    }
}
