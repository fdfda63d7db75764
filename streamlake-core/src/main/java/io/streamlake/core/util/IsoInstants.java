package io.streamlake.core.util;

import java.time.Instant;
import java.time.LocalDate;
import java.time.Month;
import java.time.Year;
import org.jspecify.annotations.Nullable;

/**
 * The one hand-written parser of ISO-8601 instants, shared by the JSON decoders and Capture's
 * {@code EnqueuedTimeUtc}: the canonical shapes only, because a {@code java.time} formatter costs
 * about a microsecond per value, more than decoding the whole record. Anything else is the caller's
 * general parser's to read or refuse.
 *
 * <pre>{@code
 * IsoInstants.parse("2026-01-01T10:00:00.5+02:00");   // 2026-01-01T08:00:00.500Z
 * IsoInstants.parse("2026-01-01 10:00:00");           // null: not a canonical shape
 * }</pre>
 */
public final class IsoInstants {
    private static final int[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
            100_000_000, 1_000_000_000};

    private IsoInstants() {
    }

    /**
     * @param s a text
     * @return the instant {@code s} writes as {@code yyyy-MM-ddTHH:mm:ss[.fraction](Z|+HH:MM|-HH:MM)}
     *     (1 to 9 fraction digits), to the nanosecond; null for any other shape or an out-of-range
     *     field, so that the caller's general parser gives the final answer and its error message
     */
    public static @Nullable Instant parse(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || second < 0 || second > 59
                || (day > 28 && day > Month.of(month).length(Year.isLeap(year)))) {
            return null;
        }
        int i = 19;
        int nanos = 0;
        if (s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && i - start < 9) {
                int d = s.charAt(i) - '0';
                if (d < 0 || d > 9) {
                    break;
                }
                nanos = nanos * 10 + d;
                i++;
            }
            if (i == start) {
                return null;
            }
            nanos *= POW10[9 - (i - start)];
        }
        if (i >= n) {
            return null;
        }
        int offsetSeconds;
        char sign = s.charAt(i);
        if (sign == 'Z' && i + 1 == n) {
            offsetSeconds = 0;
        } else if ((sign == '+' || sign == '-') && i + 6 == n && s.charAt(i + 3) == ':') {
            int oh = digits(s, i + 1, 2);
            int om = digits(s, i + 4, 2);
            if (oh < 0 || om < 0 || om > 59 || oh > 18 || (oh == 18 && om > 0)) {
                return null;
            }
            offsetSeconds = (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
        } else {
            return null;
        }
        long epochSecond = LocalDate.of(year, month, day).toEpochDay() * 86_400L
                + hour * 3600 + minute * 60 + second - offsetSeconds;
        return Instant.ofEpochSecond(epochSecond, nanos);
    }

    /**
     * @param s a text
     * @param from where the digits start
     * @param count how many
     * @return the value of {@code count} ASCII digits at {@code from}, or -1 if any is not a digit
     */
    public static int digits(String s, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            int d = s.charAt(i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }
}
