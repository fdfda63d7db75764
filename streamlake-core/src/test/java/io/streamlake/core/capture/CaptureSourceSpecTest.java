package io.streamlake.core.capture;

import static io.streamlake.core.testing.SpecChanges.change;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.core.testing.SpecChanges;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every option of {@link CaptureSource} and {@link HandoverSource} changes its own components of the
 * source's state and no other.
 */
class CaptureSourceSpecTest {
    @Test
    void everyOptionOfTheArchiveChangesExactlyItsOwnComponents() {
        Map<String, SpecChanges.Change<CaptureSource>> m = new LinkedHashMap<>();
        m.put("withNamespace(String)", change(s -> s.withNamespace("ns"), "namespace"));
        m.put("withLayout(String)", change(s -> s.withLayout("{PartitionId}/{Second}"), "layout"));
        m.put("withStreamName(String)", change(s -> s.withStreamName("mirror"), "streamName"));
        m.put("withStorageOption(String,String)", change(s -> s.withStorageOption("k", "v"), "storageOptions"));
        m.put("skipLostPositions()", change(CaptureSource::skipLostPositions, "skipLostPositions"));
        SpecChanges.check(CaptureSource.class, Capture.backfill("/tmp/capture", "orders"), m,
                Set.of("root", "eventHubName"));
    }

    @Test
    void skippingOnTheHandoverChangesTheFlagAndTellsTheArchiveAndTheLiveSource() {
        Map<String, SpecChanges.Change<HandoverSource>> m = new LinkedHashMap<>();
        // the one option reaches into both sources (see HandoverSource.of): three components by design
        m.put("skipLostPositions()", change(HandoverSource::skipLostPositions, "skipLostPositions", "archive",
                "live"));
        HandoverSource base = Capture.backfill("/tmp/capture", "orders")
                .thenLive(KafkaSource.topics("localhost:9092", "orders"));
        SpecChanges.check(HandoverSource.class, base, m, Set.of());
        assertThat(base.skipLostPositions().archive().root()).isEqualTo(base.archive().root());
    }
}
