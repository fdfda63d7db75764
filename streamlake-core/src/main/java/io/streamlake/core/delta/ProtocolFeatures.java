package io.streamlake.core.delta;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The table features a Delta table's protocol asks of its writers, named as Spark names them, for the
 * message that refuses a table newer than delta-standalone can write: the message names what the
 * table has (change data feed, in-commit timestamps...) and the Spark statement that drops it, where
 * Delta has one, instead of a generic list.
 *
 * <p>Read from the newest commit files of the log that hold a {@code protocol} and a {@code metaData}
 * action (delta-standalone's own snapshot hides a newer protocol's features, or refuses to load it).
 * A table whose protocol lives only in a checkpoint gets the features its versions imply.
 *
 * @param features the features beyond protocol (1, 2), in the order found
 */
record ProtocolFeatures(List<String> features) {
    private static final Pattern COMMIT = Pattern.compile("\\d{20}\\.json");
    /** How many of the newest commit files are read at most: this is an error message, not a replay. */
    private static final int MAX_FILES = 200;
    // Thread-safe once built (Jackson's factories are); used for error messages only.
    private static final JsonFactory JSON = new JsonFactory();

    /** Features Delta's DROP FEATURE removes (docs.delta.io, "Drop Delta table features", Delta 4). */
    private static final Set<String> DROPPABLE = Set.of("deletionVectors", "typeWidening", "typeWidening-preview",
            "v2Checkpoint", "columnMapping", "vacuumProtocolCheck", "checkConstraints", "inCommitTimestamp");

    /** Features protocol (1, 2) already has: delta-standalone writes them, they block nothing. */
    private static final Set<String> LEGACY = Set.of("appendOnly", "invariants");

    /**
     * @return the features the table's log shows, or what its versions imply when the log's commit
     *     files show no protocol; empty when nothing can be read
     */
    static ProtocolFeatures read(FileSystem fs, Path logPath, int reader, int writer) {
        Set<String> found = new LinkedHashSet<>();
        try {
            List<Path> commits = new ArrayList<>();
            for (FileStatus s : fs.listStatus(logPath)) {
                if (COMMIT.matcher(s.getPath().getName()).matches()) {
                    commits.add(s.getPath());
                }
            }
            commits.sort((a, b) -> b.getName().compareTo(a.getName())); // newest first
            boolean protocol = false;
            boolean metadata = false;
            for (int i = 0; i < Math.min(MAX_FILES, commits.size()) && !(protocol && metadata); i++) {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(fs.open(commits.get(i)), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null;) {
                        String l = line.trim();
                        if (!protocol && l.startsWith("{\"protocol\"")) {
                            protocol = true;
                            protocolFeatures(l, found);
                        } else if (!metadata && l.startsWith("{\"metaData\"")) {
                            metadata = true;
                            metadataFeatures(l, found);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // an error message in the making: say what the versions imply instead
        }
        found.removeAll(LEGACY);
        if (found.isEmpty()) {
            found.addAll(implied(reader, writer));
        }
        return new ProtocolFeatures(List.copyOf(found));
    }

    /** The features a protocol lists (writer version 7, reader version 3). */
    private static void protocolFeatures(String line, Set<String> out) throws IOException {
        try (JsonParser p = JSON.createParser(line)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME
                        && (p.currentName().equals("readerFeatures") || p.currentName().equals("writerFeatures"))
                        && p.nextToken() == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.VALUE_STRING) {
                        out.add(p.getText());
                    }
                }
            }
        }
    }

    /** The features a legacy protocol's table properties and schema show it uses. */
    private static void metadataFeatures(String line, Set<String> out) throws IOException {
        Map<String, String> configuration = new HashMap<>();
        String schema = "";
        try (JsonParser p = JSON.createParser(line)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) {
                    continue;
                }
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("schemaString") && value == JsonToken.VALUE_STRING) {
                    schema = p.getText();
                } else if (name.equals("configuration") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        p.nextToken();
                        configuration.put(key, p.getText());
                    }
                }
            }
        }
        if (configuration.keySet().stream().anyMatch(k -> k.startsWith("delta.constraints."))) {
            out.add("checkConstraints");
        }
        if ("true".equalsIgnoreCase(configuration.getOrDefault("delta.enableChangeDataFeed", "").trim())) {
            out.add("changeDataFeed");
        }
        if (schema.contains("delta.generationExpression")) {
            out.add("generatedColumns");
        }
        String mapping = configuration.get("delta.columnMapping.mode");
        if (mapping != null && !mapping.trim().equalsIgnoreCase("none")) {
            out.add("columnMapping");
        }
        if (schema.contains("delta.identity.")) {
            out.add("identityColumns");
        }
    }

    /** What a legacy protocol's versions make possible, for a table whose log shows nothing more. */
    private static List<String> implied(int reader, int writer) {
        List<String> out = new ArrayList<>();
        if (writer >= 3) {
            out.add("checkConstraints");
        }
        if (writer >= 4) {
            out.add("changeDataFeed");
            out.add("generatedColumns");
        }
        if (writer >= 5 || reader >= 2) {
            out.add("columnMapping");
        }
        if (writer >= 6) {
            out.add("identityColumns");
        }
        return out;
    }

    /**
     * @param location the table, as the statement names it
     * @return the features and what to do about each, for the refusal's message; empty if none is known
     */
    String describe(String location) {
        if (features.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder(": the table has ").append(String.join(", ", features)).append('.');
        List<String> droppable = features.stream().filter(DROPPABLE::contains).toList();
        List<String> kept = features.stream().filter(f -> !DROPPABLE.contains(f)).toList();
        if (!droppable.isEmpty()) {
            s.append(" In Spark, ");
            for (int i = 0; i < droppable.size(); i++) {
                s.append(i == 0 ? "" : "; ").append("ALTER TABLE delta.`").append(location).append("` DROP FEATURE ")
                        .append(droppable.get(i));
            }
            s.append(droppable.contains("checkConstraints")
                    ? " (drop the table's CHECK constraints first: ALTER TABLE ... DROP CONSTRAINT name)" : "")
                    .append(kept.isEmpty() ? " removes them" : " removes those")
                    .append(kept.isEmpty() ? "." : "; " + String.join(", ", kept) + " cannot be dropped.");
        } else {
            s.append(features.size() == 1 ? " Delta cannot drop it." : " Delta cannot drop them.");
        }
        return s.toString();
    }
}
