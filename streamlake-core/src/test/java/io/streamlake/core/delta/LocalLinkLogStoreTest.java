package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFileWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local commits are create-if-absent across processes, not only within one JVM. */
class LocalLinkLogStoreTest {
    private static final Schema SCHEMA = Schema.builder().required("id", DataType.LONG).build();

    @Test
    void aSecondWriteOfTheSameVersionFailsAndLeavesTheFirst(@TempDir Path dir) throws Exception {
        LocalLinkLogStore store = new LocalLinkLogStore(new Configuration());
        org.apache.hadoop.fs.Path commit = new org.apache.hadoop.fs.Path(dir.resolve("_delta_log/00.json").toUri());
        store.write(commit, List.of("{\"a\":1}").iterator(), false, new Configuration());
        assertThatThrownBy(() -> store.write(commit, List.of("{\"b\":2}").iterator(), false, new Configuration()))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(dir.resolve("_delta_log/00.json"))).isEqualTo("{\"a\":1}\n");
        try (var files = Files.list(dir.resolve("_delta_log"))) {
            assertThat(files).hasSize(1); // no temporary file left behind
        }
    }

    @Test
    void twoProcessesCommittingToOneTableLoseNoCommit(@TempDir Path dir) throws Exception {
        DeltaTable.open(dir.toString(), Map.of()).create(SCHEMA);
        List<Process> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            writers.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), Writer.class.getName(), dir.toString(), Integer.toString(w))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("writer-" + w + ".log").toFile()).start());
        }
        for (Process p : writers) {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("writer exit code").isZero();
        }
        List<java.util.Map<String, Object>> rows = KernelReader.rows(dir.toString());
        assertThat(rows).hasSize(2 * Writer.COMMITS);
        assertThat(rows.stream().map(r -> r.get("id")).distinct()).hasSize(2 * Writer.COMMITS);
    }

    /** A separate process that appends {@link #COMMITS} one-row commits. */
    public static final class Writer {
        static final int COMMITS = 15;

        public static void main(String[] args) {
            DeltaTable table = DeltaTable.open(args[0], Map.of());
            long base = Long.parseLong(args[1]) * 1000;
            for (int i = 0; i < COMMITS; i++) {
                try (DataFileWriter w = table.newDataFile(SCHEMA)) {
                    w.write(Row.of(SCHEMA, base + i));
                    table.newCommit().add(w.finish()).commit("WRITE");
                }
            }
        }
    }
}
