package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.RunMode;
import io.streamlake.core.delta.DeltaTable;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.BatchLimits;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeFiles;
import io.streamlake.table.DataFile;
import io.streamlake.table.ForwardingTable;
import io.streamlake.table.TableRef;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A streaming run without silver writes each batch into its bronze file as the source's polls bring
 * it, on bronze's writer thread, so that no record outlives its poll; the engine's thread only commits.
 * Events arriving while it runs, in batches smaller and larger than the chunks it asks the source for,
 * end up in bronze once each, every value as sent (read back with Delta Kernel); a failure to write
 * ends the run as bronze's failure, and a restart ingests every event once.
 */
class BronzeWrittenAsFetchedTest {
    private static final int PARTITIONS = 4;

    @TempDir Path lake;

    private final InMemoryHub hub = InMemoryHub.create("events", PARTITIONS);
    private final AskingSource source = new AskingSource(hub);
    /** Every event sent, by partition and position. */
    private final Map<List<Object>, Sent> sent = new HashMap<>();

    private record Sent(byte[] key, byte[] value, Map<String, byte[]> headers) {
    }

    @ParameterizedTest(name = "batches of up to {0} records")
    @CsvSource({"25", "3000", "20000"})
    void eventsArrivingWhileItRunsAreInBronzeOnceWithEveryValueAsSent(int batchRecords) throws Exception {
        int events = 30_000;
        CommittedBatches committed = new CommittedBatches();
        Pipeline p = pipeline(bronzePath()).withMaxBatchRecords(batchRecords).withListener(committed);
        Random random = new Random(batchRecords);
        try (PipelineRun run = p.start(RunMode.CONTINUOUS)) {
            // in bursts, so that some batches fill up and others end by their delay
            for (int n = 0; n < events; n++) {
                send(random);
                if (random.nextInt(2_000) == 0) {
                    Thread.sleep(random.nextInt(300));
                }
            }
            committed.await(run, events);
            run.stop();
            run.awaitTermination(Duration.ofSeconds(60));
        }
        assertBronzeHoldsEverySentEventOnce();
        // the fetch thread asked for a chunk at a time, also for batches larger than one: written as
        // fetched, not held whole (the run's first batch is polled on the pipeline's thread, whole)
        assertThat(source.mostAskedByFetchThread.get()).isBetween(1, Math.min(batchRecords, 4_096));
        if (batchRecords > 4_096) {
            assertThat(committed.batches).anySatisfy(b -> assertThat(b.events()).isGreaterThan(4_096));
        }
    }

    @Test
    void aFailureToWriteEndsTheRunAsBronzesAndARestartIngestsEveryEventOnce() throws Exception {
        int events = 20_000;
        Random random = new Random(7);
        for (int n = 0; n < events; n++) {
            send(random);
        }
        // a table whose files fail (a full disk) once 12,345 records were written, mid-batch
        FailingBronze failing = new FailingBronze(DeltaTable.open(bronzePath(), Map.of()), 12_345);
        Pipeline p = pipeline(bronzePath()).withMaxBatchRecords(5_000);
        try (PipelineRun run = Pipeline.from(source).bronze(TableRef.of(failing)).bronzeOnly()
                .withName("events-ingest").withMaxBatchRecords(5_000).withPollTimeout(Duration.ofMillis(20))
                .start(RunMode.CONTINUOUS)) {
            assertThatThrownBy(() -> run.awaitTermination(Duration.ofSeconds(60)))
                    .isNotInstanceOf(SourceException.class)
                    .hasRootCauseMessage("disk full");
            assertThat(run.progress().state()).isEqualTo(PipelineProgress.State.FAILED);
        }
        assertThat(failing.written.get()).isGreaterThanOrEqualTo(12_345);
        List<Map<String, Object>> before = KernelReader.rows(bronzePath());
        assertThat(before.size()).as("only the batches before the failure").isLessThan(12_345);

        CommittedBatches committed = new CommittedBatches();
        try (PipelineRun run = p.withListener(committed).start(RunMode.CONTINUOUS)) {
            committed.await(run, events - before.size());
            run.stop();
            run.awaitTermination(Duration.ofSeconds(60));
        }
        assertBronzeHoldsEverySentEventOnce();
    }

    @Test
    void twoInstancesReadingTheSamePartitionsWriteEveryEventOnce() throws Exception {
        // Both runs read every partition: each commit is fenced by the markers its batch was read
        // from, a batch the other instance got ahead of is dropped (its file abandoned) and read again.
        int events = 20_000;
        Random random = new Random(11);
        Pipeline p = pipeline(bronzePath()).withMaxBatchRecords(6_000);
        try (PipelineRun a = p.start(RunMode.CONTINUOUS); PipelineRun b = p.start(RunMode.CONTINUOUS)) {
            for (int n = 0; n < events; n++) {
                send(random);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (bronzeRows() < events) {
                assertThat(a.progress().state()).isNotEqualTo(PipelineProgress.State.FAILED);
                assertThat(b.progress().state()).isNotEqualTo(PipelineProgress.State.FAILED);
                assertThat(System.nanoTime()).as("every event in bronze within 120 s").isLessThan(deadline);
                Thread.sleep(200);
            }
            a.stop();
            b.stop();
            a.awaitTermination(Duration.ofSeconds(60));
            b.awaitTermination(Duration.ofSeconds(60));
        }
        assertBronzeHoldsEverySentEventOnce();
    }

    private Pipeline pipeline(String bronze) {
        return Pipeline.from(source).bronze(bronze).bronzeOnly().withName("events-ingest")
                .withPollTimeout(Duration.ofMillis(20));
    }

    /** @return the rows bronze holds, 0 before a run created it */
    private int bronzeRows() {
        return Files.exists(lake.resolve("bronze").resolve("_delta_log").resolve("00000000000000000000.json"))
                ? KernelReader.rows(bronzePath()).size() : 0;
    }

    private String bronzePath() {
        return lake.resolve("bronze").toString();
    }

    /** One event with random bytes: a key (or none), a value (or a tombstone, or empty), some headers. */
    private void send(Random random) {
        int partition = random.nextInt(PARTITIONS);
        byte[] key = random.nextInt(10) == 0 ? null : bytes(random, 1 + random.nextInt(24));
        byte[] value = random.nextInt(20) == 0 ? null : bytes(random, random.nextInt(300));
        Map<String, byte[]> headers = new HashMap<>();
        for (int h = random.nextInt(3); h > 0; h--) {
            headers.put("h" + random.nextInt(5), bytes(random, random.nextInt(16)));
        }
        long position = hub.send(partition, key, value, headers);
        sent.put(List.of(partition, position), new Sent(key, value, Map.copyOf(headers)));
    }

    private static byte[] bytes(Random random, int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    private void assertBronzeHoldsEverySentEventOnce() {
        List<Map<String, Object>> rows = KernelReader.rows(bronzePath());
        Map<List<Object>, Sent> left = new HashMap<>(sent);
        for (Map<String, Object> row : rows) {
            List<Object> at = List.of(row.get("partition"), row.get("position"));
            Sent s = left.remove(at);
            assertThat(s).as("bronze row %s sent, and once", at).isNotNull();
            assertThat((byte[]) row.get("key")).as("key of %s", at).isEqualTo(s.key());
            assertThat((byte[]) row.get("value")).as("value of %s", at).isEqualTo(s.value());
            @SuppressWarnings("unchecked")
            Map<String, Object> headers = (Map<String, Object>) row.get("headers");
            if (s.headers().isEmpty()) {
                assertThat(headers).as("headers of %s", at).isNull();
            } else {
                assertThat(headers).as("headers of %s", at).hasSameSizeAs(s.headers());
                s.headers().forEach((name, v) -> assertThat((byte[]) headers.get(name)).isEqualTo(v));
            }
        }
        assertThat(left).as("events missing from bronze").isEmpty();
    }

    /** The hub, whose readers note the most records a poll on a run's fetch thread asked for. */
    private static final class AskingSource implements Source {
        private final InMemoryHub hub;
        final AtomicInteger mostAskedByFetchThread = new AtomicInteger();

        AskingSource(InMemoryHub hub) {
            this.hub = hub;
        }

        @Override
        public String name() {
            return hub.name();
        }

        @Override
        public SourceReader open(SourceContext context) {
            SourceReader r = hub.open(context);
            return new SourceReader() {
                @Override
                public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                    return poll(BatchLimits.of(maxRecords, maxWait));
                }

                @Override
                public List<SourceRecord> poll(BatchLimits limits) {
                    if (Thread.currentThread().getName().startsWith("streamlake-fetch-")) {
                        mostAskedByFetchThread.accumulateAndGet(limits.maxRecords(), Math::max);
                    }
                    return r.poll(limits);
                }

                @Override
                public void rewind() {
                    r.rewind();
                }

                @Override
                public boolean caughtUp() {
                    return r.caughtUp();
                }

                @Override
                public Map<SourcePartition, Long> recordsBehind() {
                    return r.recordsBehind();
                }

                @Override
                public void close() {
                    r.close();
                }
            };
        }
    }

    /** Bronze, whose files fail to write once the table has written a given number of records. */
    private static final class FailingBronze extends ForwardingTable implements BronzeFiles {
        private final BronzeFiles files;
        private final int failAt;
        final AtomicInteger written = new AtomicInteger();

        FailingBronze(DeltaTable table, int failAt) {
            super(table);
            this.files = table;
            this.failAt = failAt;
        }

        @Override
        public RecordFileWriter newBronzeFile(Instant ingestionTime) {
            RecordFileWriter w = files.newBronzeFile(ingestionTime);
            return new RecordFileWriter() {
                @Override
                public void write(SourceRecord record) {
                    if (written.incrementAndGet() >= failAt) {
                        throw new UncheckedIOException(new java.io.IOException("disk full"));
                    }
                    w.write(record);
                }

                @Override
                public DataFile finish() {
                    return w.finish();
                }

                @Override
                public void close() {
                    w.close();
                }
            };
        }
    }
}
