package io.streamlake.core.delta;

import static io.streamlake.core.delta.BackgroundCheckpointsTest.append;
import static io.streamlake.core.delta.BackgroundCheckpointsTest.checkpointVersions;
import static io.streamlake.core.delta.BackgroundCheckpointsTest.jsonVersions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.table.TableCommit;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Log cleanup keeps every version it lists readable, even when it stops halfway. */
class LogCleanupTest {
    private static final Duration RETENTION = Duration.ofDays(30);
    private static final Instant NOW = Instant.now();

    @Test
    void keepsTheCheckpointThatYoungerJsonNeedsAndTheirSidecarsGoWithDeletedFiles(@TempDir Path dir)
            throws IOException {
        // Issue 17: checkpoints every ten versions to 120; everything expired but the JSON of 112 on.
        // (120 being the newest checkpoint, the one before it, 110, is kept anyway: see the test below.)
        Path at = table(dir.resolve("t"), 125, 112);
        Path log = at.resolve("_delta_log");
        Files.writeString(log.resolve(String.format("%020d.crc", 5)), "{}");
        Files.writeString(log.resolve(String.format(".%020d.json.crc", 5)), "crc");
        Files.writeString(log.resolve(String.format(".%020d.checkpoint.parquet.crc", 100)), "crc");
        Files.writeString(log.resolve(String.format(".%020d.json.crc", 115)), "crc");

        int deleted = LogCleanup.clean(localFs(), new org.apache.hadoop.fs.Path(log.toUri()),
                NOW.minus(RETENTION).toEpochMilli());

        // delta-standalone's cleanup deleted checkpoint 110 and the JSON of 110 and 111 here
        assertThat(checkpointVersions(at)).containsExactly(110L, 120L);
        assertThat(jsonVersions(at)).containsExactlyElementsOf(LongStream.rangeClosed(110, 125).boxed().toList());
        assertThat(deleted).isEqualTo(110 + 10 + 3);
        assertThat(log.resolve(String.format("%020d.crc", 5))).doesNotExist();
        assertThat(log.resolve(String.format(".%020d.json.crc", 5))).doesNotExist();
        assertThat(log.resolve(String.format(".%020d.checkpoint.parquet.crc", 100))).doesNotExist();
        assertThat(log.resolve(String.format(".%020d.json.crc", 115))).exists();
        everyListedVersionReads(at);
    }

    @Test
    void theCheckpointBeforeTheNewestStaysForSnapshotsTakenBeforeIt(@TempDir Path dir) throws IOException {
        Path at = table(dir.resolve("t"), 45, 46);

        LogCleanup.clean(localFs(), new org.apache.hadoop.fs.Path(at.resolve("_delta_log").toUri()),
                NOW.minus(RETENTION).toEpochMilli());

        assertThat(checkpointVersions(at)).containsExactly(30L, 40L);
        assertThat(jsonVersions(at).get(0)).isEqualTo(30L);
        everyListedVersionReads(at);
    }

    @Test
    void nothingGoesWhileTheFirstUnexpiredCommitPrecedesEveryCheckpoint(@TempDir Path dir) throws IOException {
        Path at = table(dir.resolve("t"), 25, 8);
        Path log = at.resolve("_delta_log");

        assertThat(LogCleanup.clean(localFs(), new org.apache.hadoop.fs.Path(log.toUri()),
                NOW.minus(RETENTION).toEpochMilli())).isZero();
        assertThat(jsonVersions(at)).hasSize(26);
    }

    @Test
    void aCleanupThatStopsHalfwayLeavesEveryListedVersionReadable(@TempDir Path dir) throws IOException {
        Path original = table(dir.resolve("t"), 45, 42);
        for (int stopAfter : new int[] {3, 14, 27}) {
            Path at = copy(original, dir.resolve("crash-" + stopAfter));
            FileSystem crashing = new FilterFileSystem(localFs()) {
                private int deletes;

                @Override
                public boolean delete(org.apache.hadoop.fs.Path f, boolean recursive) throws IOException {
                    if (deletes++ == stopAfter) {
                        throw new IOException("simulated crash");
                    }
                    return super.delete(f, recursive);
                }
            };
            assertThatThrownBy(() -> LogCleanup.clean(crashing,
                    new org.apache.hadoop.fs.Path(at.resolve("_delta_log").toUri()),
                    NOW.minus(RETENTION).toEpochMilli())).hasMessageContaining("simulated crash");
            assertThat(jsonVersions(at)).as("stopped after %d", stopAfter).hasSizeLessThan(46);
            everyListedVersionReads(at);
        }
    }

    /**
     * A table of {@code commits} appends with a checkpoint at every tenth, whose log files were all
     * written 40 days ago but the JSON of versions {@code youngFrom} on.
     */
    private static Path table(Path at, int commits, long youngFrom) throws IOException {
        DeltaTable table = DeltaTable.open(at.toString(), Map.of());
        table.create(BackgroundCheckpointsTest.SCHEMA);
        for (int i = 1; i <= commits; i++) {
            append(table, i, "app", i);
            if (i % 10 == 0) {
                // so that no checkpoint is coalesced away
                table.awaitCheckpoints();
            }
        }
        table.awaitCheckpoints();
        FileTime old = FileTime.from(NOW.minus(Duration.ofDays(40)));
        try (Stream<Path> files = Files.list(at.resolve("_delta_log"))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                boolean young = name.endsWith(".json") && Long.parseLong(name.substring(0, 20)) >= youngFrom;
                Files.setLastModifiedTime(f, young ? FileTime.from(NOW) : old);
            }
        }
        return at;
    }

    /** Every version the history lists, read by Delta Kernel: version v holds the rows of v appends. */
    private static void everyListedVersionReads(Path at) {
        DeltaTable table = DeltaTable.open(at.toString(), Map.of());
        long latest = table.snapshot().version();
        List<TableCommit> history = table.history(0, latest);
        assertThat(history).extracting(TableCommit::version).containsExactlyElementsOf(jsonVersions(at));
        for (TableCommit c : history) {
            assertThat(KernelReader.rowsAt(at.toString(), c.version())).as("version %d of %s", c.version(), at)
                    .hasSize((int) c.version() * 3);
        }
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return to;
    }

    private static FileSystem localFs() throws IOException {
        RawLocalFileSystem fs = new RawLocalFileSystem();
        fs.initialize(URI.create("file:///"), new Configuration());
        return fs;
    }
}
