package io.streamlake.source;

import java.time.Duration;
import java.util.Objects;

/**
 * What bounds one {@link SourceReader#poll(BatchLimits) poll}: how many records, how many bytes of
 * keys and values, how long to wait when nothing is available, and how long the first record gathered
 * may wait for more. The engine builds one from the pipeline's settings ({@code maxBatchRecords},
 * {@code maxBatchBytes}, {@code pollTimeout}, {@code maxBatchDelay}); a reader checks it while it
 * gathers, with {@link #admits} for each record and {@link #delayPassed} between fetches.
 *
 * <pre>{@code
 * BatchLimits limits = BatchLimits.of(10_000, Duration.ofMillis(500))   // records and wait only
 *     .withMaxBytes(16L << 20)                                          // and at most 16 MiB
 *     .withMaxDelay(Duration.ofMillis(100));                            // the first record waits 100 ms at most
 * List<SourceRecord> batch = reader.poll(limits);
 * }</pre>
 *
 * @param maxRecords at most this many records, at least 1
 * @param maxBytes at most this many bytes of keys and values ({@link #bytes(SourceRecord)}), at least 1;
 *     a single record larger than this still makes a batch of one, so that it is never stuck
 * @param maxWait how long a poll waits when nothing is available, not negative
 * @param maxDelay how long the first record gathered waits for more before the poll returns, not
 *     negative; zero returns what one fetch of the source brought
 */
public record BatchLimits(int maxRecords, long maxBytes, Duration maxWait, Duration maxDelay) {
    /** A delay that never cuts a batch: what a poll without one meant. */
    private static final Duration NO_DELAY_CUT = Duration.ofNanos(Long.MAX_VALUE);

    /**
     * Checks the bounds.
     *
     * @throws IllegalArgumentException for a bound out of range
     */
    public BatchLimits {
        Objects.requireNonNull(maxWait, "maxWait");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords must be at least 1, got " + maxRecords);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1, got " + maxBytes);
        }
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
        }
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxDelay must not be negative, got " + maxDelay);
        }
    }

    /**
     * The bounds of the older {@link SourceReader#poll(int, Duration)}: records and wait only, no
     * bound on bytes, and a first record that waits as long as the poll may.
     *
     * @param maxRecords at most this many records, at least 1
     * @param maxWait how long to wait when nothing is available
     * @return limits without a byte bound or a delay cut
     * @throws IllegalArgumentException for a bound out of range
     */
    public static BatchLimits of(int maxRecords, Duration maxWait) {
        return new BatchLimits(maxRecords, Long.MAX_VALUE, maxWait, NO_DELAY_CUT);
    }

    /**
     * @param bytes at most this many bytes of keys and values, at least 1
     * @return a copy with this byte bound
     */
    public BatchLimits withMaxBytes(long bytes) {
        return new BatchLimits(maxRecords, bytes, maxWait, maxDelay);
    }

    /**
     * @param delay how long the first record gathered waits for more, not negative
     * @return a copy with this delay
     */
    public BatchLimits withMaxDelay(Duration delay) {
        return new BatchLimits(maxRecords, maxBytes, maxWait, delay);
    }

    /**
     * What a record counts for against {@link #maxBytes}: its key's and value's lengths. Headers and
     * metadata are left out: they are small beside a payload, and counting them would cost a pass
     * over a map per record.
     *
     * @param record a record
     * @return the bytes of its key and value
     */
    public static long bytes(SourceRecord record) {
        byte[] k = record.key();
        byte[] v = record.value();
        return (k == null ? 0 : k.length) + (v == null ? 0L : v.length);
    }

    /**
     * Whether a batch may take one more record. The first record is always taken, however large, so
     * that a record above {@link #maxBytes} makes a batch of its own instead of blocking the source.
     *
     * <pre>{@code
     * long b = BatchLimits.bytes(r);
     * if (!limits.admits(out.size(), gathered, b)) { ... leave r for the next poll ... }
     * }</pre>
     *
     * @param records records the batch holds
     * @param bytes bytes the batch holds
     * @param recordBytes the next record's {@link #bytes(SourceRecord)}
     * @return true when the batch may take it
     */
    public boolean admits(int records, long bytes, long recordBytes) {
        return records == 0 || records < maxRecords && recordBytes <= maxBytes - bytes;
    }

    /**
     * Whether the first record gathered has waited {@link #maxDelay}: a reader that gathers several
     * fetches into a batch stops then.
     *
     * @param firstGatheredNanos the {@link System#nanoTime()} at which the batch's first record was gathered
     * @param nowNanos {@link System#nanoTime()} now
     * @return true once the delay has passed
     */
    public boolean delayPassed(long firstGatheredNanos, long nowNanos) {
        return nowNanos - firstGatheredNanos >= maxDelayNanos();
    }

    /**
     * How long, from now, a reader may still wait for more records for a batch begun at
     * {@code firstGatheredNanos}: the lesser of the delay's rest and the poll's.
     *
     * @param firstGatheredNanos when the batch's first record was gathered
     * @param deadlineNanos when the poll's wait ends
     * @param nowNanos now
     * @return nanoseconds, not negative
     */
    public long waitLeftNanos(long firstGatheredNanos, long deadlineNanos, long nowNanos) {
        long delayLeft = maxDelayNanos() - (nowNanos - firstGatheredNanos);
        return Math.max(0, Math.min(delayLeft, deadlineNanos - nowNanos));
    }

    /** @return {@link #maxDelay} in nanoseconds, saturated at {@link Long#MAX_VALUE} */
    private long maxDelayNanos() {
        return saturatedNanos(maxDelay);
    }

    /**
     * @return {@link #maxWait} in nanoseconds, saturated at {@link Long#MAX_VALUE}, so that a huge wait
     *     cannot overflow a reader's deadline arithmetic
     */
    public long maxWaitNanos() {
        return saturatedNanos(maxWait);
    }

    private static long saturatedNanos(Duration d) {
        return d.compareTo(NO_DELAY_CUT) >= 0 ? Long.MAX_VALUE : d.toNanos();
    }
}
