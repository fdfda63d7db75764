package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.ConfigurationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link Retention}: Delta's intervals as {@code delta.deletedFileRetentionDuration} holds them. */
class RetentionTest {
    @Test
    void readsTheIntervalsDeltaWrites() {
        assertThat(Retention.of(Retention.DEFAULT, "t")).isEqualTo(Duration.ofDays(7));
        assertThat(Retention.of("interval 7 days", "t")).isEqualTo(Duration.ofDays(7));
        assertThat(Retention.of("  INTERVAL 36 hours 30 minutes ", "t")).isEqualTo(Duration.ofMinutes(36 * 60 + 30));
        assertThat(Retention.of("1 hour", "t")).isEqualTo(Duration.ofHours(1));
        assertThat(Retention.of("interval 0 seconds", "t")).isZero();
        assertThat(Retention.of("interval 5 milliseconds 3 microseconds", "t")).isEqualTo(Duration.ofNanos(5_003_000));
    }

    @Test
    void refusesWhatIsNoIntervalOrHasNoFixedLength() {
        for (String bad : new String[] {"interval 1 month", "2 years", "forever", "interval", "interval 1", "-1 days",
                "interval x days", ""}) {
            assertThatThrownBy(() -> Retention.of(bad, "lake/t")).as(bad).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("delta.deletedFileRetentionDuration").hasMessageContaining("lake/t");
        }
    }
}
