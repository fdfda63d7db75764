package io.streamlake.core.capture;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A Capture file name format such as {@code {Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}},
 * compiled to a pattern that takes a file's path (relative to the root, without {@code .avro}) apart.
 * Every token matches one or more characters other than {@code /}, so that the last one also matches
 * the file names our archive writes ({@code 07-00000000000000000042}).
 */
final class CaptureLayout {
    static final String NAMESPACE = "Namespace";
    static final String EVENT_HUB = "EventHub";
    static final String PARTITION_ID = "PartitionId";
    private static final List<String> TOKENS = List.of(NAMESPACE, EVENT_HUB, PARTITION_ID, "Year", "Month", "Day",
            "Hour", "Minute", "Second");
    private static final Pattern TOKEN = Pattern.compile("\\{([A-Za-z]+)}");

    private final String format;
    private final Pattern pattern;
    private final List<String> groups = new ArrayList<>();

    CaptureLayout(String format) {
        this.format = format;
        String f = format.startsWith("/") ? format.substring(1) : format;
        StringBuilder regex = new StringBuilder();
        Matcher m = TOKEN.matcher(f);
        int last = 0;
        while (m.find()) {
            String token = m.group(1);
            if (!TOKENS.contains(token)) {
                throw CaptureErrors.unknownLayoutToken(format, token, TOKENS);
            }
            regex.append(Pattern.quote(f.substring(last, m.start())));
            if (groups.contains(token)) {
                regex.append("\\k<").append(token).append('>');
            } else {
                regex.append("(?<").append(token).append(">[^/]+)");
                groups.add(token);
            }
            last = m.end();
        }
        regex.append(Pattern.quote(f.substring(last)));
        if (!groups.contains(PARTITION_ID)) {
            throw CaptureErrors.layoutWithoutPartitionId(format);
        }
        this.pattern = Pattern.compile(regex.toString());
    }

    /** What a file's path says. */
    record Match(@Nullable String namespace, @Nullable String eventHub, String partitionId) {
    }

    /**
     * @param relativePath the file's path under the root, {@code /}-separated, without the {@code .avro} suffix
     * @return the parts, or null if the path does not fit the layout
     */
    @Nullable
    Match match(String relativePath) {
        Matcher m = pattern.matcher(relativePath);
        if (!m.matches()) {
            return null;
        }
        return new Match(groups.contains(NAMESPACE) ? m.group(NAMESPACE) : null,
                groups.contains(EVENT_HUB) ? m.group(EVENT_HUB) : null, m.group(PARTITION_ID));
    }

    boolean has(String token) {
        return groups.contains(token);
    }

    @Override
    public String toString() {
        return format;
    }
}
