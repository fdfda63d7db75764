package io.streamlake.core;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.security.SecureRandom;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * Finds pieces of secrets in text: a message, a log or a {@code toString()} must hold no piece of
 * {@value #LENGTH} characters of a secret, not only never the whole of it.
 */
public final class SecretFragments {
    /** The shortest piece that counts as a leak. */
    public static final int LENGTH = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretFragments() {
    }

    /**
     * @param text text that must not leak
     * @param secret a secret
     * @return the first piece of {@link #LENGTH} characters of the secret found in the text, or null
     */
    public static @Nullable String findIn(String text, String secret) {
        for (int i = 0; i + LENGTH <= secret.length(); i++) {
            String piece = secret.substring(i, i + LENGTH);
            if (text.contains(piece)) {
                return piece;
            }
        }
        return null;
    }

    /**
     * @param text text that must not leak
     * @param secrets the secrets
     * @throws AssertionError naming the secret and where its piece was found
     */
    public static void assertNoneIn(String text, String... secrets) {
        for (int s = 0; s < secrets.length; s++) {
            String piece = findIn(text, secrets[s]);
            if (piece != null) {
                int at = text.indexOf(piece);
                int lineStart = text.lastIndexOf('\n', at) + 1;
                int lineEnd = text.indexOf('\n', at);
                throw new AssertionError("a piece of secret " + (s + 1) + " of " + secrets.length + " (" + piece
                        + ") is in this line: " + text.substring(lineStart, lineEnd < 0 ? text.length() : lineEnd));
            }
        }
    }

    /**
     * @param t a throwable
     * @return every text it shows: its toString, and the message, toString and stack trace of it and its causes
     */
    public static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            sb.append(c).append('\n').append(c.getMessage()).append('\n');
            for (Throwable s : c.getSuppressed()) {
                sb.append(describe(s));
            }
        }
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return sb.append(w).toString();
    }

    /** @return the base64 text of random bytes, as keys are */
    public static String randomBase64(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    /** @return a random SAS signature: 32 bytes, base64, URL-encoded as Azure gives it */
    public static String randomSignature() {
        return java.net.URLEncoder.encode(randomBase64(32), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** @return random letters and digits */
    public static String randomWord(int length) {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        return sb.toString();
    }
}
