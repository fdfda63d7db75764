package io.streamlake.core.kafka;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * How long the brokers have been silent, and when that silence is worth a probe, a warning or a
 * failure: the bounds of {@link KafkaSource#withConnectTimeout} in one place, on a clock of their
 * own so that they are tested without a broker and without waiting.
 *
 * <p>The Kafka consumer never says it cannot reach a broker: {@code poll} returns nothing, exactly as
 * for an idle topic, and retries forever. So the reader counts the time since the brokers last
 * answered anything (records, metadata, offsets), and this class turns that time into decisions.
 */
final class BrokerContact {
    /** An idle stream is probed at most this often (a ListOffsets or metadata request). */
    static final Duration MAX_PROBE_INTERVAL = Duration.ofSeconds(15);
    /** Fast enough to notice silence well within a short timeout, slow enough not to spin. */
    static final Duration MIN_PROBE_INTERVAL = Duration.ofMillis(100);
    /** A streaming run repeats its outage warning at most this often... */
    static final Duration MIN_WARN_INTERVAL = Duration.ofSeconds(30);
    /** ...and at least this often, so a long outage stays visible in the logs. */
    static final Duration MAX_WARN_INTERVAL = Duration.ofMinutes(5);

    private final LongSupplier clock;
    private final long timeout;
    private final long probeInterval;
    private final long warnInterval;
    private long opened;
    private long lastAnswer;
    private boolean answeredOnce;
    private long lastProbe;
    /** When the current outage was last reported, or {@code null} while none was. */
    private @Nullable Long lastWarn;

    /**
     * @param timeout the connect timeout: the longest silence a bounded wait accepts
     * @param clock nanoseconds, as {@link System#nanoTime()}
     */
    BrokerContact(Duration timeout, LongSupplier clock) {
        this.clock = clock;
        this.timeout = nanos(timeout);
        this.probeInterval = Math.max(nanos(MIN_PROBE_INTERVAL), Math.min(this.timeout / 4, nanos(MAX_PROBE_INTERVAL)));
        this.warnInterval = Math.max(nanos(MIN_WARN_INTERVAL), Math.min(this.timeout, nanos(MAX_WARN_INTERVAL)));
        this.opened = clock.getAsLong();
        this.lastAnswer = opened;
        this.lastProbe = opened;
    }

    /** Starts counting now: a reader may be opened long before its first poll, after a backfill for example. */
    void begin() {
        long now = clock.getAsLong();
        opened = now;
        lastAnswer = now;
        lastProbe = now;
    }

    /**
     * The brokers answered: the silence ends.
     *
     * @return how long the brokers had been silent if that outage was reported with a warning, so the
     *     caller can say it is over; {@code null} otherwise
     */
    @Nullable
    Duration answered() {
        long now = clock.getAsLong();
        Duration reported = lastWarn == null ? null : Duration.ofNanos(now - lastAnswer);
        lastAnswer = now;
        lastProbe = now;
        answeredOnce = true;
        lastWarn = null;
        return reported;
    }

    /** @return true once any broker answered since the reader opened */
    boolean answeredOnce() {
        return answeredOnce;
    }

    /** @return the time since the brokers last answered, or since the reader opened if they never did */
    Duration silence() {
        return Duration.ofNanos(clock.getAsLong() - lastAnswer);
    }

    /** @return the time since the reader opened */
    Duration sinceOpened() {
        return Duration.ofNanos(clock.getAsLong() - opened);
    }

    /** @return true when the brokers have been silent for the whole connect timeout */
    boolean silentTooLong() {
        return clock.getAsLong() - lastAnswer >= timeout;
    }

    /**
     * @param cap the longest the caller wants to block
     * @return how long a blocking call may wait for the brokers: what is left of the connect timeout,
     *     at most {@code cap}, at least a millisecond (a zero timeout would not even send the request)
     */
    Duration callTimeout(Duration cap) {
        long left = timeout - (clock.getAsLong() - lastAnswer);
        return Duration.ofNanos(Math.max(nanos(Duration.ofMillis(1)), Math.min(left, nanos(cap))));
    }

    /**
     * @return true when the brokers have been silent for a probe interval and none was probed for as
     *     long; the caller then probes, so the next one is due a probe interval later
     */
    boolean probeDue() {
        long now = clock.getAsLong();
        if (now - lastAnswer >= probeInterval && now - lastProbe >= probeInterval) {
            lastProbe = now;
            return true;
        }
        return false;
    }

    /**
     * @return true when a streaming run should warn about the silence now: the first time after the
     *     connect timeout, then every warning interval (the timeout, within 30 s to 5 min) while it lasts
     */
    boolean warnDue() {
        long now = clock.getAsLong();
        if (now - lastAnswer < timeout) {
            return false;
        }
        if (lastWarn == null || now - lastWarn >= warnInterval) {
            lastWarn = now;
            return true;
        }
        return false;
    }

    /** @return the nanoseconds of a duration, saturated rather than overflowing for huge ones */
    static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** @return a duration as people read it in a message: "250 ms", "3 s", "2 min 5 s", "1 h 10 min" */
    static String text(Duration d) {
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            return d.toMillis() + " ms";
        }
        long s = d.getSeconds();
        if (s < 60) {
            long tenths = d.toMillis() % 1000 / 100;
            return s < 10 && tenths != 0 ? s + "." + tenths + " s" : s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min" + (s % 60 == 0 ? "" : " " + s % 60 + " s");
        }
        if (s < 48 * 3600) {
            return s / 3600 + " h" + (s % 3600 / 60 == 0 ? "" : " " + s % 3600 / 60 + " min");
        }
        return s / 86400 + " days";
    }
}
