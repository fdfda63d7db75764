package io.streamlake.core.storage;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Keeps secret values (account keys, client secrets, SAS tokens, connection strings) out of messages:
 * a storage or messaging client's error may quote its configuration, and our messages quote those errors.
 * Public so that the other plugins (Event Hubs, Kafka) mask their own secrets the same way.
 *
 * <pre>{@code
 * Redactor redactor = new Redactor(List.of(connectionString));
 * LOG.warn("the client failed: {}", redactor.redact(e.toString()));
 *
 * // a parser may quote a piece of a secret it could not read (Kafka's JAAS parser does):
 * Redactor pieces = new Redactor(List.of(jaasConfig), List.of(jaasConfig));
 * pieces.redact("Value not specified for key 'tail-of-the-password' in JAAS config");  // "... key '***' ..."
 * }</pre>
 */
public final class Redactor {
    public static final String MASK = "***";

    /** Shorter values ("true", "OAuth", "1") are settings, not secrets, and masking them garbles messages. */
    private static final int MIN_SECRET_LENGTH = 8;

    /** Pieces this long of a secret are masked where {@linkplain #Redactor(Collection, Collection) asked}. */
    static final int FRAGMENT_LENGTH = 8;

    private final List<String> secrets;
    /** Every {@link #FRAGMENT_LENGTH}-character piece of the secrets whose pieces are masked too. */
    private final Set<String> fragments;

    /** @param values the secrets to mask; values shorter than 8 characters are settings, not secrets */
    public Redactor(Collection<String> values) {
        this(values, List.of());
    }

    /**
     * @param values the secrets to mask whole; values shorter than 8 characters are settings, not secrets
     * @param fragmentSources secrets of which any 8-character piece is masked too: a word of a message
     *     (between blanks and quotes) that holds such a piece is replaced whole. For text that a parser
     *     may quote a piece of, such as a JAAS line; a word of the message that happens to share 8
     *     characters with the secret (a class name in a JAAS line) is masked too, which is the price.
     */
    public Redactor(Collection<String> values, Collection<String> fragmentSources) {
        Set<String> f = new HashSet<>();
        for (String v : fragmentSources) {
            for (int i = 0; v != null && i + FRAGMENT_LENGTH <= v.length(); i++) {
                f.add(v.substring(i, i + FRAGMENT_LENGTH));
            }
        }
        this.fragments = Set.copyOf(f);
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
        return fragments.isEmpty() ? out : maskFragments(out);
    }

    private String maskFragments(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            if (separates(text.charAt(i))) {
                sb.append(text.charAt(i++));
                continue;
            }
            int end = i;
            while (end < text.length() && !separates(text.charAt(end))) {
                end++;
            }
            String word = text.substring(i, end);
            sb.append(holdsFragment(word) ? MASK : word);
            i = end;
        }
        return sb.toString();
    }

    private boolean holdsFragment(String word) {
        for (int i = 0; i + FRAGMENT_LENGTH <= word.length(); i++) {
            if (fragments.contains(word.substring(i, i + FRAGMENT_LENGTH))) {
                return true;
            }
        }
        return false;
    }

    private static boolean separates(char c) {
        return Character.isWhitespace(c) || c == '\'' || c == '"' || c == '`';
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
