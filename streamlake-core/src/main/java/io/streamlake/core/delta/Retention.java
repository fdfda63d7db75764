package io.streamlake.core.delta;

import io.streamlake.exceptions.ConfigurationException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Delta's {@code delta.deletedFileRetentionDuration}: how long a removed file stays for time travel
 * before a vacuum may delete it. Written as Delta writes an interval: {@code interval 1 week},
 * {@code interval 7 days}, {@code interval 36 hours 30 minutes}, the word {@code interval} optional.
 * Months and years are refused, as Delta refuses them (their length varies).
 */
final class Retention {
    /** The table property. */
    static final String PROPERTY = "delta.deletedFileRetentionDuration";
    /** Delta's default. */
    static final String DEFAULT = "interval 1 week";
    /** A vacuum never deletes a file younger than this, whatever the retention: it may be a commit's in flight. */
    static final Duration MIN_FILE_AGE = Duration.ofHours(1);

    private static final Map<String, Duration> UNITS = Map.ofEntries(Map.entry("week", Duration.ofDays(7)),
            Map.entry("day", Duration.ofDays(1)), Map.entry("hour", Duration.ofHours(1)),
            Map.entry("minute", Duration.ofMinutes(1)), Map.entry("second", Duration.ofSeconds(1)),
            Map.entry("millisecond", Duration.ofMillis(1)), Map.entry("microsecond", Duration.ofNanos(1000)));

    private Retention() {
    }

    /**
     * @param value the property's value
     * @param table the table's location, for the message
     * @return the retention
     * @throws ConfigurationException if the value is not an interval Delta accepts
     */
    static Duration of(String value, String table) {
        String[] words = value.trim().toLowerCase(Locale.ROOT).split("\\s+");
        int i = words.length > 0 && words[0].equals("interval") ? 1 : 0;
        if (i >= words.length || (words.length - i) % 2 != 0) {
            throw invalid(value, table);
        }
        Duration total = Duration.ZERO;
        for (; i < words.length; i += 2) {
            long n;
            try {
                n = Long.parseLong(words[i]);
            } catch (NumberFormatException e) {
                throw invalid(value, table);
            }
            String unit = words[i + 1].endsWith("s") ? words[i + 1].substring(0, words[i + 1].length() - 1)
                    : words[i + 1];
            Duration one = UNITS.get(unit);
            if (one == null || n < 0) {
                throw invalid(value, table);
            }
            total = total.plus(one.multipliedBy(n));
        }
        return total;
    }

    private static ConfigurationException invalid(String value, String table) {
        return new ConfigurationException("table " + table + " has " + PROPERTY + " = '" + value + "', which is not"
                + " an interval StreamLake can vacuum by; use one such as 'interval 1 week' or 'interval 36 hours'"
                + " (no months or years)");
    }
}
