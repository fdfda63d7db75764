package io.streamlake.core.delta;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Keeps secret values (account keys, client secrets, SAS tokens, connection strings) out of messages:
 * a storage or messaging client's error may quote its configuration, and our messages quote those errors.
 * Public so that the other plugins (Event Hubs) mask their own secrets the same way.
 *
 * <pre>{@code
 * Redactor redactor = new Redactor(List.of(connectionString));
 * LOG.warn("the client failed: {}", redactor.redact(e.toString()));
 * }</pre>
 */
public final class Redactor {
    static final String MASK = "***";

    /** Shorter values ("true", "OAuth", "1") are settings, not secrets, and masking them garbles messages. */
    private static final int MIN_SECRET_LENGTH = 8;

    private final List<String> secrets;

    /** @param values the secrets to mask; values shorter than 8 characters are settings, not secrets */
    public Redactor(Collection<String> values) {
        List<String> s = new ArrayList<>();
        for (String v : values) {
            if (v != null && v.length() >= MIN_SECRET_LENGTH) {
                s.add(v);
            }
        }
        // Longest first, so a secret containing another is masked whole.
        s.sort(Comparator.comparingInt(String::length).reversed());
        this.secrets = List.copyOf(s);
    }

    /**
     * @param text a message
     * @return the message with every secret replaced by {@code ***}, empty for null
     */
    public String redact(@Nullable String text) {
        if (text == null) {
            return "";
        }
        String out = text;
        for (String s : secrets) {
            if (out.contains(s)) {
                out = out.replace(s, MASK);
            }
        }
        return out;
    }

    private boolean leaks(@Nullable Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.equals(redact(m))) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    /**
     * @return the throwable itself when no message in its cause chain holds a secret, otherwise a
     *     copy of the chain with masked messages and the original stack traces
     */
    public Throwable sanitize(Throwable t) {
        return leaks(t) ? copy(t, 0) : t;
    }

    private Throwable copy(Throwable t, int depth) {
        Throwable cause = t.getCause();
        Throwable copiedCause = cause == null || cause == t || depth > 20 ? null : copy(cause, depth + 1);
        Throwable c = new RedactedException(t.getClass().getName() + ": " + redact(t.getMessage()), copiedCause);
        c.setStackTrace(t.getStackTrace());
        return c;
    }

    /** Stands in for a storage exception whose message held a secret. */
    static final class RedactedException extends Exception {
        private static final long serialVersionUID = 1L;

        RedactedException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
