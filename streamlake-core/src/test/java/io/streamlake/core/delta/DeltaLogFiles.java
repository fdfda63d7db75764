package io.streamlake.core.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the raw JSON commits of a table's {@code _delta_log}, to check exactly what was written.
 *
 * <pre>{@code
 * JsonNode add = DeltaLogFiles.actions(dir, 1).stream().filter(a -> a.has("add")).findFirst().get();
 * }</pre>
 */
final class DeltaLogFiles {
    static final ObjectMapper JSON = new ObjectMapper();

    private DeltaLogFiles() {
    }

    static Path commitFile(Path table, long version) {
        return table.resolve("_delta_log").resolve(String.format("%020d.json", version));
    }

    /** @return the actions of one commit, in order */
    static List<JsonNode> actions(Path table, long version) {
        List<JsonNode> actions = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(commitFile(table, version))) {
                if (!line.isBlank()) {
                    actions.add(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return actions;
    }

    /** @return the actions of one kind ("add", "remove", "txn", "metaData", "protocol") in a commit */
    static List<JsonNode> actions(Path table, long version, String kind) {
        return actions(table, version).stream().filter(a -> a.has(kind)).map(a -> a.get(kind)).toList();
    }

    /** @return the parsed stats of an add action, which the log holds as a JSON string */
    static JsonNode stats(JsonNode add) {
        try {
            return JSON.readTree(add.get("stats").textValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Moves the deletion time of every remove action in the table's JSON commits back, as if the
     * removes were that much older (for retention tests); rewrites the commit files in place.
     */
    static void shiftRemoveTimestamps(Path table, java.time.Duration by) {
        try (java.util.stream.Stream<Path> files = Files.list(table.resolve("_delta_log"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("\\d{20}\\.json")).toList()) {
                List<String> out = new ArrayList<>();
                for (String line : Files.readAllLines(file)) {
                    JsonNode action = line.isBlank() ? null : JSON.readTree(line);
                    if (action != null && action.has("remove")) {
                        com.fasterxml.jackson.databind.node.ObjectNode remove =
                                (com.fasterxml.jackson.databind.node.ObjectNode) action.get("remove");
                        remove.put("deletionTimestamp", remove.get("deletionTimestamp").asLong() - by.toMillis());
                        line = JSON.writeValueAsString(action);
                    }
                    out.add(line);
                }
                Files.write(file, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
