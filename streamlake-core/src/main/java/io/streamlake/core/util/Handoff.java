package io.streamlake.core.util;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Hands a live object (an Entra ID {@code TokenCredential}) to a class that a library instantiates by
 * name from text settings: Kafka's login callback handler, ABFS's token provider. Settings are text, so
 * they carry an opaque id, never the object and never a secret; the instantiated class looks the id up.
 *
 * <pre>{@code
 * String jaas = Handoff.register(credential, id -> "...LoginModule required credential=\"" + id + "\";");
 * // ... later, in the class Kafka instantiated from that setting:
 * TokenCredential c = Handoff.lookup(id, TokenCredential.class).orElseThrow();
 * }</pre>
 *
 * <p>An entry lives as long as the setting text built for it does: that exact string instance is
 * held weakly, and the settings of a source, a pipeline, a Kafka client or a Hadoop configuration all
 * keep it (they copy references, not characters). Once no description and no open client names the
 * id, the entry and its object are dropped; the classes that looked it up hold their own reference
 * and let go of it when their client closes. A description rebuilt from copied characters in another
 * process finds nothing: such settings must be built again where they are used.
 */
public final class Handoff {
    private static final Map<String, Entry> ENTRIES = new ConcurrentHashMap<>();
    private static final ReferenceQueue<String> GONE = new ReferenceQueue<>();

    private Handoff() {
    }

    /**
     * @param value the object to hand over
     * @param settingForId builds the setting text (for example a JAAS line) from the id
     * @return the setting text; keep this very instance in the settings, it keeps the entry alive
     */
    public static String register(Object value, Function<String, String> settingForId) {
        Objects.requireNonNull(value, "value");
        purge();
        String id = "streamlake-" + UUID.randomUUID();
        // a new instance even if the function returns a constant, so that nothing else anchors it
        String setting = new String(settingForId.apply(id));
        if (!setting.contains(id)) {
            throw new IllegalArgumentException("the setting built for a handoff must contain its id");
        }
        ENTRIES.put(id, new Entry(id, setting, value, GONE));
        return setting;
    }

    /**
     * @param id the id found in the settings
     * @param type the expected type
     * @param <T> the type
     * @return the registered object, or empty if none (never registered here, or no longer named)
     */
    public static <T> Optional<T> lookup(String id, Class<T> type) {
        purge();
        Entry e = ENTRIES.get(id);
        return e == null || e.get() == null ? Optional.empty() : Optional.of(type.cast(e.value));
    }

    /** @return the live entries (for tests) */
    static int size() {
        purge();
        return ENTRIES.size();
    }

    private static void purge() {
        for (Reference<? extends String> r; (r = GONE.poll()) != null;) {
            ENTRIES.remove(((Entry) r).id);
        }
    }

    private static final class Entry extends WeakReference<String> {
        private final String id;
        private final Object value;

        Entry(String id, String anchor, Object value, ReferenceQueue<String> queue) {
            super(anchor, queue);
            this.id = id;
            this.value = value;
        }
    }
}
