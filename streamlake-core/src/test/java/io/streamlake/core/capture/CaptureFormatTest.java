package io.streamlake.core.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.ConfigurationException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CaptureFormatTest {

    @Test
    void enqueuedTimesParseInTheFormsCaptureAndOurArchiveWrite() {
        assertThat(CaptureFormat.parseTime("2026-03-01T10:00:01.5Z"))
                .isEqualTo(Instant.parse("2026-03-01T10:00:01.500Z"));
        assertThat(CaptureFormat.parseTime("2026-03-01T10:00:01Z")).isEqualTo(Instant.parse("2026-03-01T10:00:01Z"));
        assertThat(CaptureFormat.parseTime("2026-03-01T10:00:01.123456789Z"))
                .isEqualTo(Instant.parse("2026-03-01T10:00:01.123456789Z"));
        assertThat(CaptureFormat.parseTime("2026-03-01T12:00:01+02:00"))
                .isEqualTo(Instant.parse("2026-03-01T10:00:01Z"));
        assertThat(CaptureFormat.parseTime("2026-03-01T10:00:01.25"))
                .isEqualTo(Instant.parse("2026-03-01T10:00:01.250Z"));
        assertThat(CaptureFormat.parseTime("9/19/2017 10:47:33 PM")).isEqualTo(Instant.parse("2017-09-19T22:47:33Z"));
        assertThat(CaptureFormat.parseTime("9/19/2017 12:05:00 AM")).isEqualTo(Instant.parse("2017-09-19T00:05:00Z"));
        assertThat(CaptureFormat.parseTime("2026-02-30T10:00:00Z")).isNull();
        assertThat(CaptureFormat.parseTime("yesterday")).isNull();
    }

    @Test
    void layoutsTakePathsApartAndRefuseUnknownTokensOrAMissingPartition() {
        CaptureLayout layout = new CaptureLayout(Capture.DEFAULT_LAYOUT);
        assertThat(layout.match("ns/orders/3/2026/03/01/10/05/07"))
                .isEqualTo(new CaptureLayout.Match("ns", "orders", "3"));
        assertThat(layout.match("ns/orders/3/2026/03/01/10/05/07-00000000000000000042"))
                .isEqualTo(new CaptureLayout.Match("ns", "orders", "3"));
        assertThat(layout.match("ns/orders/notes")).isNull();

        CaptureLayout custom =
                new CaptureLayout("{Year}-{Month}-{Day}/{EventHub}_{PartitionId}/{Hour}{Minute}{Second}");
        assertThat(custom.match("2026-03-01/orders_12/100507"))
                .isEqualTo(new CaptureLayout.Match(null, "orders", "12"));
        assertThat(new CaptureLayout("{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}")
                .match("0/2026/03/01/10/05/07")).isEqualTo(new CaptureLayout.Match(null, null, "0"));

        assertThatThrownBy(() -> new CaptureLayout("{Namespace}/{Partition}/{Second}"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("{Partition}");
        assertThatThrownBy(() -> new CaptureLayout("{Namespace}/{EventHub}/{Second}"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("no {PartitionId}");
    }
}
