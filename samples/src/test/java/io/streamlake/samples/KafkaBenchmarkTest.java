package io.streamlake.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka benchmark at a tiny size: every phase, each in its own JVM, reads every event, and the
 * limit loop writes bronze's Parquet schema, all events, snappy-compressed.
 */
class KafkaBenchmarkTest {
    private static final int EVENTS = 20_000;

    @TempDir Path dir;

    @Test
    void everyPhaseReadsEveryEventAndTheLimitLoopWritesBronzeFiles() throws IOException {
        List<KafkaBenchmark.Phase> phases = KafkaBenchmark.run(new String[] {"--events", Integer.toString(EVENTS),
                "--dir", dir.toString(), "--keep", "--loop-file-rows", "7000"});

        assertThat(phases).extracting(KafkaBenchmark.Phase::phase).containsExactlyElementsOf(KafkaBenchmark.PHASES);
        assertThat(phases).allSatisfy(p -> {
            assertThat(p.events()).isEqualTo(EVENTS);
            assertThat(p.peakRssKiB()).isPositive();
        });

        Path run;
        try (Stream<Path> runs = Files.list(dir)) {
            run = runs.filter(p -> p.getFileName().toString().startsWith("run-")).findFirst().orElseThrow();
        }
        List<ParquetMetadata> loop = footers(run.resolve("limit-loop"));
        assertThat(loop).hasSize(3); // 7,000 + 7,000 + 6,000 rows
        ParquetMetadata bronze = footers(run.resolve("bronze-only")).get(0);
        long rows = 0;
        for (ParquetMetadata footer : loop) {
            assertThat(footer.getFileMetaData().getSchema()).isEqualTo(bronze.getFileMetaData().getSchema());
            for (BlockMetaData block : footer.getBlocks()) {
                rows += block.getRowCount();
                assertThat(block.getColumns()).extracting(ColumnChunkMetaData::getCodec)
                        .containsOnly(CompressionCodecName.SNAPPY);
            }
        }
        assertThat(rows).isEqualTo(EVENTS);
    }

    @Test
    void refusesAnUnknownPhase() {
        assertThatThrownBy(() -> KafkaBenchmark.run(new String[] {"--phases", "limit,fastest"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fastest");
    }

    private static List<ParquetMetadata> footers(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> parquet = files.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
            List<ParquetMetadata> footers = new ArrayList<>();
            for (Path p : parquet) {
                try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(p))) {
                    footers.add(reader.getFooter());
                }
            }
            return footers;
        }
    }
}
