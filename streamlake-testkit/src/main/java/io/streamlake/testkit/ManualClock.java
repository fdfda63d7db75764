package io.streamlake.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A clock that moves only when a test moves it, for deterministic source timestamps.
 *
 * <pre>{@code
 * ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
 * InMemoryHub hub = InMemoryHub.create("orders", 2).withClock(clock);
 * clock.advance(Duration.ofSeconds(5));
 * }</pre>
 */
public final class ManualClock extends Clock {
    private volatile Instant now;

    /** @param start the initial instant */
    public ManualClock(Instant start) {
        this.now = Objects.requireNonNull(start, "start");
    }

    /**
     * @param by how far to move forward
     * @return the new instant
     */
    public synchronized Instant advance(Duration by) {
        now = now.plus(by);
        return now;
    }

    /** @param instant the new time */
    public void set(Instant instant) {
        now = Objects.requireNonNull(instant, "instant");
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }
}
