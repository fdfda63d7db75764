package io.streamlake.core.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.eventhubs.EventHubs;
import io.streamlake.core.eventhubs.EventHubsSource;
import io.streamlake.core.kafka.KafkaSource;
import org.junit.jupiter.api.Test;

/**
 * Skipping lost positions is one switch for the whole source: the archive's own gaps, the handover,
 * and the live sources that check their start themselves (else they would fail on a gap the user
 * chose to skip, or, checked twice, report it twice).
 */
class CaptureGapOptionsTest {
    private static final String CS = "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=listen;"
            + "SharedAccessKey=dW5pdC10ZXN0LWtleS10aGF0LWlzLWxvbmctZW5vdWdo";

    @Test
    void theArchiveFailsOnAGapUnlessToldToSkipAndItsCopiesKeepTheChoice() {
        CaptureSource archive = Capture.backfill("/tmp/capture", "orders");
        assertThat(archive.skipsLostPositions()).isFalse();
        CaptureSource skipping = archive.skipLostPositions();
        assertThat(skipping.skipsLostPositions()).isTrue();
        assertThat(skipping.withNamespace("ns").withLayout("{PartitionId}/{Second}").withStreamName("orders")
                .withStorageOption("k", "v").skipsLostPositions()).isTrue();
        assertThat(skipping.toString()).contains("skip lost positions");
    }

    @Test
    void skippingOnTheHandoverSkipsInTheArchiveAndTheLiveSourceToo() {
        CaptureSource archive = Capture.backfill("/tmp/capture", "orders");
        HandoverSource kafka = archive.thenLive(KafkaSource.topics("localhost:9092", "orders"));
        assertThat(kafka.archive().skipsLostPositions()).isFalse();
        assertThat(((KafkaSource) kafka.live()).skipsLostPositions()).isFalse();

        HandoverSource skipping = kafka.skipLostPositions();
        assertThat(skipping.archive().skipsLostPositions()).isTrue();
        assertThat(((KafkaSource) skipping.live()).skipsLostPositions()).isTrue();

        EventHubsSource amqp = EventHubs.amqp(CS, "orders", "$Default");
        HandoverSource native1 = archive.thenLive(amqp).skipLostPositions();
        assertThat(((EventHubsSource) native1.live()).skipsLostPositions()).isTrue();
        assertThat(native1.archive().skipsLostPositions()).isTrue();
        // chosen on the archive before thenLive: the same
        HandoverSource native2 = archive.skipLostPositions().thenLive(amqp);
        assertThat(native2.skipsLostPositions()).isTrue();
        assertThat(((EventHubsSource) native2.live()).skipsLostPositions()).isTrue();
        assertThat(native2.toString()).doesNotContain("SharedAccessKey=dW5p");
    }

    @Test
    void onlyLiveSourcesThatCheckTheirOwnStartAreLeftToDoSo() {
        assertThat(HandoverSource.checksItsOwnStart(KafkaSource.topics("localhost:9092", "orders"))).isTrue();
        assertThat(HandoverSource.checksItsOwnStart(EventHubs.amqp(CS, "orders", "$Default"))).isTrue();
        assertThat(HandoverSource.checksItsOwnStart(Capture.backfill("/tmp/capture", "orders"))).isFalse();
    }
}
