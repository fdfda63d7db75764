package io.streamlake.testkit.capture;

import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.Pipeline;
import io.streamlake.core.capture.Capture;
import io.streamlake.core.testing.BoundedBatches;
import io.streamlake.core.testing.NoMarkers;
import io.streamlake.source.BatchLimits;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.testkit.InMemoryHub;
import io.streamlake.testkit.PipelineTestDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.file.CodecFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Capture reader's batches bounded by bytes and by delay, over Capture files on disk. */
class CaptureBatchLimitsTest {
    private static final int KIB = 1024;
    @TempDir Path tmp;

    /** Writes a partition's events in two files, and remembers their bodies. */
    private void write(int partition, List<CaptureFixture.Event> events, Map<SourcePartition, List<byte[]>> sent) {
        int half = events.size() / 2;
        CaptureFixture.write(tmp, "ns", "orders", partition, CaptureFixture.T0, CodecFactory.deflateCodec(1),
                events.subList(0, half));
        CaptureFixture.write(tmp, "ns", "orders", partition, CaptureFixture.T0.plusSeconds(60),
                CodecFactory.nullCodec(), events.subList(half, events.size()));
        for (CaptureFixture.Event e : events) {
            sent.computeIfAbsent(new SourcePartition("orders", partition), p -> new ArrayList<>())
                    .add(e.body().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static List<CaptureFixture.Event> events(int partition, int count, int bodyBytes, int bigSeq) {
        List<CaptureFixture.Event> out = new ArrayList<>();
        for (int seq = 0; seq < count; seq++) {
            byte[] body = BoundedBatches.value(partition * 1000 + seq, seq == bigSeq ? 300 * KIB : bodyBytes);
            out.add(new CaptureFixture.Event(seq, new String(body, StandardCharsets.US_ASCII), "k" + seq % 10,
                    CaptureFixture.T0.plusSeconds(seq)));
        }
        return out;
    }

    @Test
    void batchesAreCutByBytesAndTheRestOfAChunkComesNextInOrder() {
        Map<SourcePartition, List<byte[]>> sent = new HashMap<>();
        write(0, events(0, 30, 64 * KIB, 11), sent); // event 11 is larger than a whole batch may be
        write(1, events(1, 20, 64 * KIB, -1), sent);
        BatchLimits limits = new BatchLimits(10_000, 256 * KIB, Duration.ofMillis(500), Duration.ofSeconds(10));
        try (SourceReader reader = Capture.backfill(tmp.toString(), "orders").open(new NoMarkers("p"))) {
            List<List<SourceRecord>> batches = BoundedBatches.pollAll(reader, limits, 50, Duration.ofSeconds(60));
            BoundedBatches.assertEachOnceInOrder(batches, sent);
            assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeLessThanOrEqualTo(4));
            assertThat(batches).anySatisfy(b -> assertThat(b).singleElement()
                    .satisfies(r -> assertThat(r.value()).hasSize(300 * KIB)));
            assertThat(batches.stream().flatMap(List::stream).mapToLong(SourceRecord::position).min()).hasValue(0);
            assertThat(reader.poll(limits).isEmpty() && reader.caughtUp()).isTrue();
        }
    }

    @Test
    void theHandOverToTheLiveSourceKeepsTheByteBoundOnBothSides() {
        Map<SourcePartition, List<byte[]>> sent = new HashMap<>();
        List<CaptureFixture.Event> all = events(0, 24, 64 * KIB, -1);
        write(0, all.subList(0, 12), sent);
        InMemoryHub hub = InMemoryHub.create("orders", 1);
        for (CaptureFixture.Event e : all) {
            hub.send(0, e.partitionKey(), e.body());
        }
        Pipeline pipeline = Pipeline.from(Capture.backfill(tmp.toString(), "orders").thenLive(hub))
                .bronze("bronze/orders").bronzeOnly().withMaxBatchBytes(256 * KIB);
        List<Integer> batchSizes = new ArrayList<>();
        try (PipelineTestDriver driver = PipelineTestDriver.inMemory(pipeline)) {
            for (int total = 0; total < all.size();) {
                int n = driver.runOneBatch();
                assertThat(n).as("a batch after %d events", total).isPositive();
                batchSizes.add(n);
                total += n;
            }
            assertThat(driver.runUntilCaughtUp()).isZero();
            assertThat(driver.bronze()).hasRowCount(all.size()).hasNoDuplicates("partition", "position");
        }
        // four bodies of 64 KiB and their keys are more than 256 KiB: three a batch, on both sides
        assertThat(batchSizes).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(3));
    }

    @Test
    void aZeroDelayHandsOverWhatIsDecodedAndLosesNothing() {
        Map<SourcePartition, List<byte[]>> sent = new HashMap<>();
        write(0, events(0, 10_000, 16, -1), sent);
        // The whole archive is there and the wait is long: only the delay ends the first poll before
        // it holds every event.
        BatchLimits limits = new BatchLimits(1_000_000, Long.MAX_VALUE, Duration.ofSeconds(60), Duration.ZERO);
        try (SourceReader reader = Capture.backfill(tmp.toString(), "orders").open(new NoMarkers("p"))) {
            List<List<SourceRecord>> batches = BoundedBatches.pollAll(reader, limits, 10_000, Duration.ofSeconds(60));
            assertThat(batches.get(0)).hasSizeLessThan(10_000);
            BoundedBatches.assertEachOnceInOrder(batches, sent);
        }
    }
}
