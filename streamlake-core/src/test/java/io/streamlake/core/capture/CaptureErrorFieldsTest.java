package io.streamlake.core.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamlake.core.testing.NoMarkers;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.RecordArchive;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backfill's failures name what failed as fields, not only in the message: the source, and the
 * partition whose file is damaged or whose events are missing.
 */
class CaptureErrorFieldsTest {
    private static final SourcePartition ORDERS_1 = new SourcePartition("orders", 1);

    @TempDir Path tmp;

    @Test
    void aMissingFileOfOurArchiveFailsNamingItsPartition() {
        RecordArchive archive = CaptureArchive.at(tmp.toString(), "ns");
        archive.write(records(0, 3), Map.of(ORDERS_1, -1L));
        // the batch 3..5 is missing: the next file's header says bronze held 5 before it
        archive.write(records(6, 8), Map.of(ORDERS_1, 5L));

        SourceException e = readUntilFailure();
        assertThat(e).hasMessageContaining("lacks sequence numbers 3 to 5");
        assertThat(e.partition()).hasValue(ORDERS_1);
        assertThat(e.source()).hasValue("orders");
    }

    @Test
    void aDamagedFileFailsNamingItsPartition() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("ns/orders/1/2026/01/01/00/00"));
        Files.write(folder.resolve("00.avro"), "not an Avro file at all".getBytes(StandardCharsets.UTF_8));

        SourceException e = readUntilFailure();
        assertThat(e).hasMessageContaining("00.avro");
        assertThat(e.partition()).hasValue(ORDERS_1);
        assertThat(e.source()).hasValue("orders");
    }

    private SourceException readUntilFailure() {
        return catchThrowableOfType(SourceException.class, () -> {
            try (SourceReader reader = Capture.backfill(tmp.toString(), "orders").open(new NoMarkers("p"))) {
                for (int i = 0; i < 100; i++) {
                    reader.poll(1000, Duration.ofMillis(100));
                }
            }
        });
    }

    private static List<SourceRecord> records(long from, long to) {
        return LongStream.range(from, to).mapToObj(p -> new SourceRecord(ORDERS_1, p, null,
                ("{\"n\":" + p + "}").getBytes(StandardCharsets.UTF_8), Map.of(),
                Instant.parse("2026-01-01T00:00:00Z")))
                .toList();
    }
}
