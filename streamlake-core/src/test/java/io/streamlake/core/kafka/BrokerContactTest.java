package io.streamlake.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The bounds of the connect timeout on a clock the test moves: no broker, no waiting. */
class BrokerContactTest {
    private long now = 1_000_000_000L; // any start: System.nanoTime() has no epoch

    private void advance(Duration d) {
        now += d.toNanos();
    }

    private BrokerContact contact(Duration timeout) {
        BrokerContact c = new BrokerContact(timeout, () -> now);
        c.begin();
        return c;
    }

    @Test
    void silenceCountsFromTheFirstPollUntilAnAnswerAndBlockingCallsGetWhatIsLeft() {
        BrokerContact c = new BrokerContact(Duration.ofSeconds(60), () -> now);
        advance(Duration.ofHours(2)); // opened long before its first poll, as after a backfill
        c.begin();
        assertThat(c.answeredOnce()).isFalse();
        assertThat(c.silentTooLong()).isFalse();
        assertThat(c.callTimeout(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(45));
        assertThat(c.callTimeout(Duration.ofMinutes(5))).isEqualTo(Duration.ofSeconds(15));
        advance(Duration.ofSeconds(15));
        assertThat(c.silentTooLong()).isTrue();
        assertThat(c.callTimeout(Duration.ofSeconds(1))).as("never zero: a zero timeout sends nothing")
                .isEqualTo(Duration.ofMillis(1));
        assertThat(c.answered()).as("no outage was reported").isNull();
        assertThat(c.answeredOnce()).isTrue();
        assertThat(c.silentTooLong()).isFalse();
        assertThat(c.silence()).isZero();
        assertThat(c.sinceOpened()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void anIdleStreamIsProbedEveryQuarterTimeoutAtMostEveryFifteenSeconds() {
        BrokerContact c = contact(Duration.ofSeconds(4));
        advance(Duration.ofMillis(999));
        assertThat(c.probeDue()).isFalse();
        advance(Duration.ofMillis(1));
        assertThat(c.probeDue()).isTrue();
        assertThat(c.probeDue()).as("not again at once").isFalse();
        advance(Duration.ofSeconds(1));
        assertThat(c.probeDue()).isTrue();
        c.answered();
        advance(Duration.ofMillis(500));
        assertThat(c.probeDue()).as("an answer restarts the interval").isFalse();

        BrokerContact slow = contact(Duration.ofMinutes(10));
        advance(Duration.ofSeconds(15));
        assertThat(slow.probeDue()).isTrue();
    }

    @Test
    void aStreamingRunWarnsAtTheTimeoutThenEveryIntervalAndHearsWhenTheOutageEnds() {
        BrokerContact c = contact(Duration.ofSeconds(3));
        advance(Duration.ofMillis(2_999));
        assertThat(c.warnDue()).isFalse();
        advance(Duration.ofMillis(1));
        assertThat(c.warnDue()).isTrue();
        advance(Duration.ofSeconds(29));
        assertThat(c.warnDue()).as("at most every 30 s").isFalse();
        advance(Duration.ofSeconds(1));
        assertThat(c.warnDue()).isTrue();
        advance(Duration.ofSeconds(4));
        assertThat(c.answered()).as("the outage was reported, so its end is").isEqualTo(Duration.ofSeconds(37));
        advance(Duration.ofSeconds(3));
        assertThat(c.warnDue()).as("a new outage warns at its own timeout").isTrue();

        BrokerContact hourly = contact(Duration.ofHours(1));
        advance(Duration.ofHours(1));
        assertThat(hourly.warnDue()).isTrue();
        advance(Duration.ofMinutes(5));
        assertThat(hourly.warnDue()).as("at least every 5 min while it lasts").isTrue();
    }

    @Test
    void hugeTimeoutsSaturateInsteadOfOverflowing() {
        BrokerContact c = contact(Duration.ofDays(365L * 1000));
        advance(Duration.ofDays(365L * 100));
        assertThat(c.silentTooLong()).isFalse();
        assertThat(c.callTimeout(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
        assertThat(BrokerContact.nanos(Duration.ofDays(365L * 1000))).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void durationsReadAsPeopleSayThem() {
        assertThat(BrokerContact.text(Duration.ofMillis(250))).isEqualTo("250 ms");
        assertThat(BrokerContact.text(Duration.ofMillis(3_200))).isEqualTo("3.2 s");
        assertThat(BrokerContact.text(Duration.ofSeconds(3))).isEqualTo("3 s");
        assertThat(BrokerContact.text(Duration.ofSeconds(45))).isEqualTo("45 s");
        assertThat(BrokerContact.text(Duration.ofSeconds(60))).isEqualTo("1 min");
        assertThat(BrokerContact.text(Duration.ofSeconds(125))).isEqualTo("2 min 5 s");
        assertThat(BrokerContact.text(Duration.ofMinutes(70))).isEqualTo("1 h 10 min");
        assertThat(BrokerContact.text(Duration.ofDays(3650))).isEqualTo("3650 days");
    }
}
