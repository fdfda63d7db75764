package io.streamlake.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.delta.KernelReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backfill-then-live demo's promise, checked with Delta Kernel as an independent reader. */
class CaptureBackfillTest {

    @Test
    void theArchivedAndTheLiveEventsEndUpInBronzeAndSilverExactlyOnce(@TempDir Path lake) {
        CaptureBackfill.Summary s = CaptureBackfill.demo(3001, 999, lake);
        assertThat(s.captureFiles()).isEqualTo(4);
        assertThat(s.events()).isEqualTo(4000);
        assertThat(s.exactlyOnce()).isTrue();

        List<Map<String, Object>> bronze = KernelReader.rows(lake.resolve("bronze/orders").toString());
        assertThat(bronze).hasSize(4000);
        assertThat(bronze.stream().map(r -> r.get("partition") + "@" + r.get("position")).distinct()).hasSize(4000);
        // the first 3001 came from the archive (with their Capture offset), the other 999 from the broker
        assertThat(bronze.stream().filter(r -> r.get("metadata") != null)).hasSize(3001);
        assertThat(KernelReader.rows(lake.resolve("silver/orders").toString())).hasSize(4000);
    }
}
