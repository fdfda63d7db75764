package io.streamlake.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.source.BatchLimits;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * What every reader's tests of {@link BatchLimits} check: each batch within its bounds (a batch above
 * the byte bound holds one record), and across the batches every record sent exactly once, in
 * position order per partition, with its value. Shared through streamlake-core's test jar.
 *
 * <pre>{@code
 * List<List<SourceRecord>> batches = BoundedBatches.pollAll(reader, limits, 60, Duration.ofSeconds(60));
 * BoundedBatches.assertEachOnceInOrder(batches, sent);
 * }</pre>
 */
public final class BoundedBatches {
    private BoundedBatches() {
    }

    /**
     * Polls until {@code expected} records came, asserting the bounds of each batch.
     *
     * @return the non-empty batches, in the order polled
     */
    public static List<List<SourceRecord>> pollAll(SourceReader reader, BatchLimits limits, int expected,
            Duration within) {
        List<List<SourceRecord>> batches = new ArrayList<>();
        int read = 0;
        long deadline = System.nanoTime() + within.toNanos();
        while (read < expected) {
            assertThat(System.nanoTime() - deadline).as("read %d of %d records in time", read, expected)
                    .isNegative();
            List<SourceRecord> batch = reader.poll(limits);
            if (!batch.isEmpty()) {
                assertWithin(batch, limits);
                batches.add(batch);
                read += batch.size();
            }
        }
        return batches;
    }

    /**
     * Polls once while another thread sends an event every few milliseconds, with an hour's wait and
     * no bound by records or bytes: only the delay (or having nothing more at hand) may end the poll
     * while the trickle goes on. Asserts that the poll returned events while the trickle still ran.
     *
     * @param sendOne sends event {@code i}
     * @param delay the limits' delay
     * @return the batch
     */
    public static List<SourceRecord> pollDuringTrickle(SourceReader reader, IntConsumer sendOne, Duration delay)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> trickle = CompletableFuture.runAsync(() -> {
            for (int i = 0; !stop.get(); i++) {
                sendOne.accept(i);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            BatchLimits limits = new BatchLimits(Integer.MAX_VALUE, Long.MAX_VALUE, Duration.ofHours(1), delay);
            List<SourceRecord> batch = CompletableFuture.supplyAsync(() -> reader.poll(limits)).get(60,
                    TimeUnit.SECONDS);
            assertThat(batch).isNotEmpty();
            assertThat(trickle).as("returned while the events were still trickling in").isNotDone();
            return batch;
        } finally {
            stop.set(true);
            trickle.get(30, TimeUnit.SECONDS);
        }
    }

    /** Asserts one batch's bounds: its records, and its bytes unless it holds a single record. */
    public static void assertWithin(List<SourceRecord> batch, BatchLimits limits) {
        assertThat(batch.size()).isLessThanOrEqualTo(limits.maxRecords());
        if (batch.size() > 1) {
            assertThat(bytes(batch)).as("bytes of a batch of %d records", batch.size())
                    .isLessThanOrEqualTo(limits.maxBytes());
        }
    }

    /** @return the key and value bytes of a batch */
    public static long bytes(List<SourceRecord> batch) {
        long sum = 0;
        for (SourceRecord r : batch) {
            sum += BatchLimits.bytes(r);
        }
        return sum;
    }

    /**
     * Asserts that the batches hold exactly the values sent, each once, in order per partition, at
     * consecutive positions from the first one read.
     *
     * @param sent per partition, the values in the order sent
     */
    public static void assertEachOnceInOrder(List<List<SourceRecord>> batches,
            Map<SourcePartition, List<byte[]>> sent) {
        Map<SourcePartition, List<SourceRecord>> read = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        for (List<SourceRecord> batch : batches) {
            for (SourceRecord r : batch) {
                read.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r);
            }
        }
        Map<SourcePartition, List<byte[]>> expected = new LinkedHashMap<>(sent);
        expected.values().removeIf(List::isEmpty);
        assertThat(read.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        read.forEach((p, records) -> {
            List<byte[]> values = expected.get(p);
            assertThat(records).as("records of %s", p).hasSameSizeAs(values);
            long first = records.get(0).position();
            for (int i = 0; i < records.size(); i++) {
                SourceRecord r = records.get(i);
                assertThat(r.position()).as("position of record %d of %s", i, p).isEqualTo(first + i);
                assertThat(Arrays.equals(r.value(), values.get(i))).as("value of %s@%d", p, r.position()).isTrue();
            }
        });
    }

    /**
     * @param seed makes the value distinct
     * @param size its length
     * @return a value of that many bytes, whose first bytes tell it apart from the others
     */
    public static byte[] value(int seed, int size) {
        byte[] v = new byte[size];
        Arrays.fill(v, (byte) ('a' + seed % 26));
        byte[] id = Integer.toString(seed).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(id, 0, v, 0, Math.min(id.length, size));
        return v;
    }
}
