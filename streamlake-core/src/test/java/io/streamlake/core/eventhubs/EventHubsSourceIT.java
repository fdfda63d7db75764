package io.streamlake.core.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.azure.messaging.eventhubs.checkpointstore.blob.BlobCheckpointStore;
import com.azure.messaging.eventhubs.models.Checkpoint;
import com.azure.messaging.eventhubs.models.CloseReason;
import com.azure.messaging.eventhubs.models.ErrorContext;
import com.azure.messaging.eventhubs.models.EventPosition;
import com.azure.messaging.eventhubs.models.PartitionContext;
import com.azure.storage.blob.BlobContainerAsyncClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import io.streamlake.Pipeline;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.core.engine.MicroBatchEngine;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.PositionGap;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.source.StartPosition;
import io.streamlake.spi.BatchResult;
import io.streamlake.spi.PipelineTables;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native Event Hubs source against the real {@code BlobCheckpointStore} on Azurite, driven by
 * {@link SimulatedHub} processors through the SDK's public callback contexts, into real Delta tables
 * read back by Delta Kernel.
 */
class EventHubsSourceIT {
    private static final String KEY = "c2ltdWxhdGVkLWV2ZW50LWh1Yi1rZXktZG8tbm90LXByaW50";
    /** A connection string for {@link SimulatedHub}'s namespace, with a made-up key. */
    static final String EH_CONNECTION = "Endpoint=sb://sim.servicebus.windows.net/;"
            + "SharedAccessKeyName=listen;SharedAccessKey=" + KEY;
    private static Azurite azurite;

    @TempDir Path lake;
    private String container;
    private String bronze;

    @BeforeAll
    static void startAzurite() {
        azurite = Azurite.start();
    }

    @AfterAll
    static void stopAzurite() {
        if (azurite != null) {
            azurite.close();
        }
    }

    @BeforeEach
    void names() {
        container = "cp-" + UUID.randomUUID();
        bronze = lake.resolve("bronze").toString();
    }

    private EventHubsSource source(SimulatedHub hub) {
        return EventHubs.amqp(EH_CONNECTION, hub.name, hub.consumerGroup)
                .withCheckpointStore(azurite.connectionString(), container);
    }

    private BlobCheckpointStore blobStore() {
        BlobContainerAsyncClient c = new BlobContainerClientBuilder().connectionString(azurite.connectionString())
                .containerName(container).buildAsyncClient();
        return new BlobCheckpointStore(c);
    }

    private Map<String, Checkpoint> blobCheckpoints(SimulatedHub hub) {
        return blobStore().listCheckpoints(SimulatedHub.NAMESPACE, hub.name, hub.consumerGroup).collectList().block()
                .stream().collect(Collectors.toMap(Checkpoint::getPartitionId, c -> c));
    }

    private void writeBlobCheckpoint(SimulatedHub hub, String partition, long seq) {
        new BlobContainerClientBuilder().connectionString(azurite.connectionString()).containerName(container)
                .buildClient().createIfNotExists();
        blobStore().updateCheckpoint(new Checkpoint().setFullyQualifiedNamespace(SimulatedHub.NAMESPACE)
                .setEventHubName(hub.name).setConsumerGroup(hub.consumerGroup).setPartitionId(partition)
                .setSequenceNumber(seq).setOffsetString(Long.toString(1000 + seq * 100))).block();
    }

    private List<Map<String, Object>> rows() {
        return KernelReader.rows(bronze);
    }

    private static List<String> ids(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> r.get("partition") + "@" + r.get("position")).sorted().toList();
    }

    private static List<String> expected(int partition, int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(partition + "@" + i);
        }
        return out;
    }

    @Test
    void ingestsEveryEventWithItsMetadataAndCopiesCheckpointsToTheBlobStore() {
        SimulatedHub hub = new SimulatedHub("orders", 2);
        hub.send(0, 40);
        hub.send(1, 30);
        try (Instance a = new Instance(hub, source(hub), "a")) {
            a.claim("0", "1");
            assertThat(a.runUntilCaughtUp()).isEqualTo(70);
            // the lag: the last enqueued sequence number less the last one handed out, per partition
            assertThat(a.lags).anySatisfy(lag -> assertThat(lag.values()).anyMatch(n -> n > 0 && n < 40));
            assertThat(a.lags.get(a.lags.size() - 1)).containsOnly(
                    Map.entry(new SourcePartition("orders", 0), 0L), Map.entry(new SourcePartition("orders", 1), 0L));
        }
        List<Map<String, Object>> rows = rows();
        List<String> want = new ArrayList<>(expected(0, 0, 40));
        want.addAll(expected(1, 0, 30));
        assertThat(ids(rows)).containsExactlyInAnyOrderElementsOf(want);

        Map<String, Object> r = rows.stream().filter(x -> x.get("partition").equals(0) && x.get("position").equals(7L))
                .findFirst().orElseThrow();
        assertThat(new String((byte[]) r.get("value"), StandardCharsets.UTF_8)).isEqualTo("0-7");
        assertThat(new String((byte[]) r.get("key"), StandardCharsets.UTF_8)).isEqualTo("key-0");
        @SuppressWarnings("unchecked")
        Map<String, Object> metadata = (Map<String, Object>) r.get("metadata");
        assertThat(metadata).containsEntry("offset", "1700").containsEntry("partition_key", "key-0")
                .containsEntry("message-id", "m-7").doesNotContainKeys("x-opt-sequence-number", "x-opt-offset");
        @SuppressWarnings("unchecked")
        Map<String, Object> headers = (Map<String, Object>) r.get("headers");
        assertThat(new String((byte[]) headers.get("n"), StandardCharsets.UTF_8)).isEqualTo("7");
        assertThat(new String((byte[]) headers.get("source"), StandardCharsets.UTF_8)).isEqualTo("sim");

        Map<String, Checkpoint> cps = blobCheckpoints(hub);
        assertThat(cps.get("0").getSequenceNumber()).isEqualTo(39L);
        assertThat(cps.get("0").getOffsetString()).isEqualTo("4900");
        assertThat(cps.get("1").getSequenceNumber()).isEqualTo(29L);
    }

    @Test
    void ownershipMovingToAnotherInstanceWhileABatchIsInHandDropsThatBatch() {
        SimulatedHub hub = new SimulatedHub("orders", 2);
        hub.send(0, 100);
        hub.send(1, 100);
        try (Instance a = new Instance(hub, source(hub), "a"); Instance b = new Instance(hub, source(hub), "b")) {
            a.claim("0", "1");
            a.engine.runOnce(Duration.ofMillis(200));
            String[] moved = new String[1];
            a.afterPoll = held -> {
                // While A holds this batch, the load balancer gives the partition to B, which reads it all.
                moved[0] = Integer.toString(held.get(0).partition().id());
                a.processor.close(moved[0], CloseReason.LOST_PARTITION_OWNERSHIP);
                b.claim(moved[0]);
                b.runUntilCaughtUp();
            };
            BatchResult fenced = a.engine.runOnce(Duration.ofMillis(200));
            assertThat(fenced.conflict()).as("A's commit of the lost partition is fenced").isTrue();
            a.afterPoll = null;
            a.runUntilCaughtUp();
        }
        List<String> want = new ArrayList<>(expected(0, 0, 100));
        want.addAll(expected(1, 0, 100));
        assertThat(ids(rows())).containsExactlyElementsOf(want.stream().sorted().toList());
    }

    @Test
    void theNewOwnersBatchIsDroppedWhenTheOldOwnerCommitsFirst() throws Exception {
        SimulatedHub hub = new SimulatedHub("orders", 2);
        hub.send(0, 100);
        hub.send(1, 100);
        try (Instance a = new Instance(hub, source(hub), "a"); Instance b = new Instance(hub, source(hub), "b")) {
            a.claim("0", "1");
            a.runOnce(Duration.ofMillis(200));
            CountDownLatch aHolds = new CountDownLatch(1);
            CountDownLatch aMayCommit = new CountDownLatch(1);
            String[] moved = new String[1];
            a.afterPoll = held -> {
                moved[0] = Integer.toString(held.get(0).partition().id());
                aHolds.countDown();
                await(aMayCommit);
            };
            // A polls and holds a batch on a thread of its own, as a stalled instance would.
            CompletableFuture<BatchResult> aCommit =
                    CompletableFuture.supplyAsync(() -> a.runOnce(Duration.ofMillis(200)));
            await(aHolds);
            a.processor.close(moved[0], CloseReason.LOST_PARTITION_OWNERSHIP);
            // B starts after the marker A had committed before; while B holds its first batch, A commits.
            b.afterPoll = held -> {
                aMayCommit.countDown();
                aCommit.join();
            };
            b.claim(moved[0]);
            b.runUntilCaughtUp();
            assertThat(aCommit.get(60, TimeUnit.SECONDS).conflict()).as("A committed first").isFalse();
            assertThat(b.conflicts).as("B's batch overlapping A's commit is fenced and read again").isPositive();
            a.runUntilCaughtUp();
        }
        List<String> want = new ArrayList<>(expected(0, 0, 100));
        want.addAll(expected(1, 0, 100));
        assertThat(ids(rows())).containsExactlyElementsOf(want.stream().sorted().toList());
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void aCrashBetweenTheDeltaCommitAndTheBlobCheckpointDuplicatesNothing() {
        SimulatedHub hub = new SimulatedHub("orders", 1);
        hub.send(0, 200);
        Instance a = new Instance(hub, source(hub), "a");
        a.claim("0");
        assertThat(a.engine.runOnce(Duration.ofMillis(200)).events()).isPositive();
        long copied = KernelReader.transaction(bronze, "eh/orders/0").orElseThrow();
        assertThat(blobCheckpoints(hub).get("0").getSequenceNumber()).isEqualTo(copied);
        a.crashInCommitted = true;
        assertThatThrownBy(() -> a.engine.runOnce(Duration.ofMillis(200))).isInstanceOf(Crash.class);
        long marker = KernelReader.transaction(bronze, "eh/orders/0").orElseThrow();
        assertThat(marker).isGreaterThan(copied);
        assertThat(blobCheckpoints(hub).get("0").getSequenceNumber()).as("the copy stayed behind").isEqualTo(copied);
        a.processor.stop(); // the process is gone; its ownership record stays until another claims it

        try (Instance b = new Instance(hub, source(hub), "b")) {
            b.claim("0");
            assertThat(b.processor.startedAt.get("0")).isEqualTo(EventPosition.fromSequenceNumber(marker));
            assertThat(b.runUntilCaughtUp()).isEqualTo(200 - marker - 1);
        }
        assertThat(ids(rows())).containsExactlyElementsOf(expected(0, 0, 200).stream().sorted().toList());
        assertThat(blobCheckpoints(hub).get("0").getSequenceNumber()).isEqualTo(199L);
        assertThat(blobCheckpoints(hub).get("0").getOffsetString()).isEqualTo(Long.toString(1000 + 199 * 100));
    }

    @Test
    void aPartitionStartedWithoutAskingWhereIsStillPositionedFromTheMarker() {
        SimulatedHub hub = new SimulatedHub("orders", 1);
        hub.send(0, 30);
        try (Instance a = new Instance(hub, source(hub), "a")) {
            a.claim("0");
            a.runUntilCaughtUp();
        }
        hub.send(0, 20);
        try (Instance b = new Instance(hub, source(hub), "b")) {
            b.processor.startWithoutAsking("0", EventPosition.earliest());
            assertThat(b.runUntilCaughtUp()).as("only what follows the marker").isEqualTo(20);
        }
        assertThat(ids(rows())).containsExactlyElementsOf(expected(0, 0, 50).stream().sorted().toList());
    }

    @Test
    void aBlobCheckpointBehindTheMarkerIsIgnored() {
        restartAfterMovingTheBlobCheckpointTo(5);
    }

    @Test
    void aBlobCheckpointAheadOfTheMarkerIsIgnored() {
        restartAfterMovingTheBlobCheckpointTo(55);
    }

    private void restartAfterMovingTheBlobCheckpointTo(long seq) {
        SimulatedHub hub = new SimulatedHub("orders", 1);
        hub.send(0, 40);
        try (Instance a = new Instance(hub, source(hub), "a")) {
            a.claim("0");
            a.runUntilCaughtUp();
        }
        writeBlobCheckpoint(hub, "0", seq);
        hub.send(0, 30);
        try (Instance b = new Instance(hub, source(hub), "b")) {
            b.claim("0");
            assertThat(b.processor.startedAt.get("0")).isEqualTo(EventPosition.fromSequenceNumber(39));
            assertThat(b.runUntilCaughtUp()).isEqualTo(30);
        }
        assertThat(ids(rows())).containsExactlyElementsOf(expected(0, 0, 70).stream().sorted().toList());
    }

    @Test
    void withoutMarkerTheBlobCheckpointIsWhereAPartitionStarts() {
        SimulatedHub hub = new SimulatedHub("orders", 1);
        hub.send(0, 30);
        writeBlobCheckpoint(hub, "0", 9);
        try (Instance a = new Instance(hub, source(hub), "a")) {
            a.claim("0");
            assertThat(a.runUntilCaughtUp()).isEqualTo(20);
        }
        assertThat(ids(rows())).containsExactlyElementsOf(expected(0, 10, 30).stream().sorted().toList());
    }

    @Test
    void startPositionsApplyOnlyWhereNeitherMarkerNorCheckpointExists() {
        SimulatedHub hub = new SimulatedHub("orders", 3);
        Instant t1 = Instant.parse("2026-11-25T01:00:00Z");
        Instant t2 = Instant.parse("2026-11-25T02:00:00Z");
        for (int p = 0; p < 3; p++) {
            hub.send(p, 10, t1);
            hub.send(p, 10, t2);
        }
        // latest on partition 0, a sequence number on partition 1, an enqueued time on partition 2:
        // three pipelines over three bronze tables, one per start position.
        Map<StartPosition, String> cases = Map.of(
                StartPosition.latest(), "0",
                StartPosition.offsets(Map.of(new SourcePartition("orders", 1), 12L)), "1",
                StartPosition.timestamp(t2.minusSeconds(1)), "2");
        for (Map.Entry<StartPosition, String> c : cases.entrySet()) {
            bronze = lake.resolve("bronze-" + c.getValue()).toString();
            container = "cp-" + UUID.randomUUID();
            try (Instance a = new Instance(hub, source(hub).withStartPosition(c.getKey()), "a")) {
                a.claim(c.getValue());
                a.runUntilCaughtUp();
                if (c.getValue().equals("0")) {
                    hub.send(0, 5, t2);
                    a.runUntilCaughtUp();
                }
            }
        }
        bronze = lake.resolve("bronze-0").toString();
        assertThat(ids(rows())).containsExactlyElementsOf(expected(0, 20, 25));
        bronze = lake.resolve("bronze-1").toString();
        assertThat(ids(rows())).containsExactlyElementsOf(expected(1, 12, 20));
        bronze = lake.resolve("bronze-2").toString();
        assertThat(ids(rows())).containsExactlyElementsOf(expected(2, 10, 20));
    }

    @Test
    void anExpiredPositionFailsByDefaultAndIsSkippedAndReportedWhenAsked() {
        SimulatedHub hub = thirtyIngestedThenTenLost();
        try (Instance b = new Instance(hub, source(hub), "b")) {
            assertThatThrownBy(() -> {
                b.claim("0");
                b.runUntilCaughtUp();
            }).isInstanceOf(SourceException.class)
                    .hasMessageContaining("no longer holds sequence number 30")
                    .hasMessageContaining("30 to 39")
                    .hasMessageContaining("skipLostPositions");
        }
        assertThat(ids(rows())).hasSize(30);
        try (Instance c = new Instance(hub, source(hub).skipLostPositions(), "c")) {
            c.claim("0");
            assertThat(c.runUntilCaughtUp()).isEqualTo(10);
            assertThat(c.engine.gaps()).containsExactly(new PositionGap(new SourcePartition("orders", 0), 30, 40));
        }
        List<String> want = new ArrayList<>(expected(0, 0, 30));
        want.addAll(expected(0, 40, 50));
        assertThat(ids(rows())).containsExactlyElementsOf(want.stream().sorted().toList());
    }

    @Test
    void anExpiredPositionNamesItsSourceAndPartitionAsFields() {
        SimulatedHub hub = thirtyIngestedThenTenLost();
        try (Instance b = new Instance(hub, source(hub), "b")) {
            SourceException e = catchThrowableOfType(SourceException.class, () -> {
                b.claim("0");
                b.runUntilCaughtUp();
            });
            assertThat(e.partition()).hasValue(new SourcePartition("orders", 0));
            assertThat(e.source()).hasValue("orders");
        }
    }

    /** @return a hub whose partition 0 had 0 to 29 ingested, then got 30 to 49, of which 30 to 39 expired */
    private SimulatedHub thirtyIngestedThenTenLost() {
        SimulatedHub hub = new SimulatedHub("orders", 1);
        hub.send(0, 30);
        try (Instance a = new Instance(hub, source(hub), "a")) {
            a.claim("0");
            a.runUntilCaughtUp();
        }
        hub.send(0, 20);
        hub.expireBefore(0, 40);
        return hub;
    }

    @Test
    void noConnectionStringKeyOrSasAppearsInLogsMessagesOrToString() {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
        List<String> texts = new ArrayList<>();
        String sas =
                "sv=2023-11-03&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=U2lnbmF0dXJlVGhhdE11c3ROb3RMZWFrMDEyMzQ1Njc%3D";
        try {
            SimulatedHub hub = new SimulatedHub("orders", 1);
            hub.send(0, 20);
            EventHubsSource source = source(hub);
            texts.add(source.toString());
            try (Instance a = new Instance(hub, source, "a")) {
                a.claim("0");
                a.runUntilCaughtUp();
                // An SDK error that quotes the connection string is logged masked.
                a.reader.onError(new ErrorContext(new PartitionContext(SimulatedHub.NAMESPACE, "orders", "$Default",
                        "0"), new IllegalStateException("cannot connect with " + EH_CONNECTION)));
            }
            EventHubsSource unreachable = source.withCheckpointStoreUrl(azurite.blobEndpoint() + "/cp-sas?" + sas,
                    null);
            texts.add(unreachable.toString());
            Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> unreachable.open(
                    new ContextForTest(), (r, s) -> new SimulatedHub("x", 1).new Processor("z", r, s, 1)));
            assertThat(failure).isInstanceOf(SourceException.class);
            for (Throwable t = failure; t != null; t = t.getCause()) {
                texts.add(String.valueOf(t.getMessage()));
                texts.add(t.toString());
            }
            Throwable badConnection = org.assertj.core.api.Assertions.catchThrowable(() -> EventHubs.amqp(
                    EH_CONNECTION + ";Bogus=" + KEY, "orders", "$Default"));
            texts.add(badConnection.getMessage());
        } finally {
            System.setErr(originalErr);
            originalErr.write(logs.toByteArray(), 0, logs.size());
        }
        String all = logs.toString(StandardCharsets.UTF_8) + "\n" + String.join("\n", texts);
        // The logs were captured: the reader's start line, and the SDK error with the connection string masked.
        assertThat(logs.toString(StandardCharsets.UTF_8)).contains("source 'orders': started EventHubsSource[")
                .contains("cannot connect with ***");
        assertThat(all).doesNotContain(KEY).doesNotContain(Azurite.ACCOUNT_KEY)
                .doesNotContain("c2VjcmV0LXNhcy1zaWduYXR1cmU")
                .doesNotContain(EH_CONNECTION);
    }

    /** A context for opening a source outside an engine. */
    private static final class ContextForTest implements SourceContext {
        @Override
        public String pipelineName() {
            return "eh";
        }

        @Override
        public java.util.OptionalLong committedPosition(SourcePartition partition) {
            return java.util.OptionalLong.empty();
        }

        @Override
        public void reportGap(PositionGap gap) {
        }
    }

    /** Thrown from {@code committed}: the process dies after the Delta commit, before the blob checkpoint. */
    static final class Crash extends Error {
        private static final long serialVersionUID = 1L;

        Crash() {
            super("simulated crash after the Delta commit");
        }
    }

    /** One pipeline instance: an engine over the shared bronze table, reading through a simulated processor. */
    private final class Instance implements AutoCloseable {
        final MicroBatchEngine engine;
        SimulatedHub.Processor processor;
        EventHubsReader reader;
        volatile Consumer<List<SourceRecord>> afterPoll;
        volatile boolean crashInCommitted;
        /** Events this instance committed, during claims too. */
        int events;
        /** Batches of this instance that the Delta commit fenced. */
        int conflicts;
        /** The lag the source reported after each micro-batch. */
        final List<Map<SourcePartition, Long>> lags = new ArrayList<>();

        /** One micro-batch, counted. */
        BatchResult runOnce(Duration wait) {
            BatchResult r = engine.runOnce(wait);
            events += r.events();
            conflicts += r.conflict() ? 1 : 0;
            lags.add(engine.recordsBehind());
            return r;
        }

        Instance(SimulatedHub hub, EventHubsSource source, String owner) {
            Source wrapper = new Source() {
                @Override
                public String name() {
                    return source.name();
                }

                @Override
                public SourceReader open(SourceContext context) {
                    reader = source.open(context, (r, store) -> processor = hub.new Processor(owner, r, store, 10));
                    return new Hooked(reader);
                }
            };
            Pipeline pipeline = Pipeline.from(wrapper).bronze(bronze).bronzeOnly().withName("eh")
                    .withMaxBatchRecords(25).validate();
            engine = new MicroBatchEngine(pipeline,
                    new PipelineTables(DeltaTable.open(bronze, Map.of()), null, null, null));
            engine.open();
        }

        /** Claims partitions; the pipeline keeps polling meanwhile, which is what answers the start positions. */
        void claim(String... ids) {
            CompletableFuture<Void> claimed = processor.claim(ids);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!claimed.isDone()) {
                runOnce(Duration.ofMillis(20));
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("claim of " + List.of(ids) + " did not finish");
                }
            }
            claimed.join();
        }

        /** @return all events this instance committed, once the source says it is caught up */
        int runUntilCaughtUp() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            do {
                runOnce(Duration.ofMillis(100));
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("not caught up after 60 s");
                }
            } while (!engine.caughtUp());
            return events;
        }

        @Override
        public void close() {
            engine.close();
        }

        private final class Hooked implements SourceReader {
            private final SourceReader delegate;

            Hooked(SourceReader delegate) {
                this.delegate = delegate;
            }

            @Override
            public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                List<SourceRecord> out = delegate.poll(maxRecords, maxWait);
                Consumer<List<SourceRecord>> hook = afterPoll;
                if (hook != null && !out.isEmpty()) {
                    afterPoll = null;
                    hook.accept(out);
                }
                return out;
            }

            @Override
            public void rewind() {
                delegate.rewind();
            }

            @Override
            public Map<SourcePartition, Long> recordsBehind() {
                return delegate.recordsBehind();
            }

            @Override
            public boolean caughtUp() {
                return delegate.caughtUp();
            }

            @Override
            public void committed(Map<SourcePartition, Long> lastPositions) {
                if (crashInCommitted) {
                    throw new Crash();
                }
                delegate.committed(lastPositions);
            }

            @Override
            public void close() {
                delegate.close();
            }
        }
    }
}
