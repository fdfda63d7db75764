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
}
