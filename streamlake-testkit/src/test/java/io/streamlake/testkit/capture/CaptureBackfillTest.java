package io.streamlake.testkit.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.core.capture.Capture;
import io.streamlake.core.capture.CaptureArchive;
import io.streamlake.core.capture.CaptureSource;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SourceException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.source.PositionGap;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import io.streamlake.testkit.InMemoryHub;
import io.streamlake.testkit.PipelineTestDriver;
import io.streamlake.testkit.SimulatedCrash;
import io.streamlake.testkit.Stage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.file.CodecFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backfill from Capture files written by the Avro library to the documented schema and layout, into
 * real Delta tables read back with Delta Kernel: order, resumption after a kill, the handover to a
 * live source, a gap at the handover, and the archive the engine writes for sources without Capture.
 */
class CaptureBackfillTest {
    static final Schema SCHEMA = Schema.builder()
            .required("order_id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("updated_at", DataType.TIMESTAMP)
            .build();
    static final int PARTITIONS = 4;
    /** Events per partition in the archive. */
    static final int ARCHIVED = 60;

    @TempDir Path tmp;

    private Path archive() {
        return tmp.resolve("capture");
    }

    private String bronze() {
        return tmp.resolve("bronze").toString();
    }

    private String silver() {
        return tmp.resolve("silver").toString();
    }

    /**
     * Per partition: three windows whose time order is not the sequence order (the names sort wrong),
     * deflate and null codecs, an empty file, and on partition 0 a file overlapping two others. Next
     * to them, another event hub's file and a file that fits no layout.
     */
    static void writeArchive(Path root) {
        Instant t = CaptureFixture.T0;
        for (int p = 0; p < PARTITIONS; p++) {
            CaptureFixture.write(root, "ns", "orders", p, t.plusSeconds(120), CodecFactory.deflateCodec(6),
                    CaptureFixture.events(p, 0, 20));
            CaptureFixture.write(root, "ns", "orders", p, t.plusSeconds(60), CodecFactory.nullCodec(),
                    CaptureFixture.events(p, 20, 40));
            CaptureFixture.write(root, "ns", "orders", p, t.plusSeconds(180 + 30), CodecFactory.deflateCodec(1),
                    CaptureFixture.events(p, 40, ARCHIVED));
            CaptureFixture.write(root, "ns", "orders", p, t.plusSeconds(300), CodecFactory.nullCodec(), List.of());
        }
        CaptureFixture.write(root, "ns", "orders", 0, t.plusSeconds(400), CodecFactory.deflateCodec(6),
                CaptureFixture.events(0, 35, 45));
        CaptureFixture.write(root, "ns", "payments", 0, t, CodecFactory.nullCodec(), CaptureFixture.events(0, 0, 5));
        CaptureFixture.write(root.resolve("ns/orders/notes.avro"), CodecFactory.nullCodec(), List.of());
    }

    private Pipeline pipeline(Source source) {
        return Pipeline.from(source).bronze(bronze()).silver(silver(), "order_id").withSchema(SCHEMA)
                .withMaxBatchRecords(25).withPollTimeout(Duration.ZERO);
    }

    /** Asserts bronze holds exactly these positions per partition of stream "orders", once each. */
    private void assertBronzeHoldsOnce(Map<Integer, Integer> eventsPerPartition) {
        Map<Integer, List<Long>> expected = new TreeMap<>();
        eventsPerPartition.forEach((p, n) -> expected.put(p, range(n)));
        assertThat(bronzePositions()).isEqualTo(expected);
    }

    /** @return bronze's positions per partition, sorted, read back by Delta Kernel */
    private Map<Integer, List<Long>> bronzePositions() {
        Map<Integer, List<Long>> positions = new TreeMap<>();
        for (Map<String, Object> r : KernelReader.rows(bronze())) {
            assertThat(r.get("source")).isEqualTo("orders");
            positions.computeIfAbsent((Integer) r.get("partition"), k -> new ArrayList<>())
                    .add((Long) r.get("position"));
        }
        positions.values().forEach(l -> l.sort(null));
        return positions;
    }

    /** @return 0 to n - 1 */
    private static List<Long> range(long n) {
        List<Long> l = new ArrayList<>();
        for (long s = 0; s < n; s++) {
            l.add(s);
        }
        return l;
    }

    private static Map<Integer, Integer> each(int n) {
        Map<Integer, Integer> m = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            m.put(p, n);
        }
        return m;
    }

    @Test
    void backfillsEveryArchivedEventOnceInSequenceOrderIntoBronzeAndSilver() {
        writeArchive(archive());
        CaptureSource source = Capture.backfill(archive().toString(), "orders");
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(source))) {
            assertThat(driver.runUntilCaughtUp()).isEqualTo(PARTITIONS * ARCHIVED);
        }
        assertBronzeHoldsOnce(each(ARCHIVED));
        assertThat(KernelReader.rows(silver())).hasSize(PARTITIONS * ARCHIVED);

        Map<String, Object> row = KernelReader.rows(bronze()).stream()
                .filter(r -> r.get("partition").equals(2) && r.get("position").equals(23L)).findFirst().orElseThrow();
        CaptureFixture.Event e = CaptureFixture.event(2, 23);
        assertThat(new String((byte[]) row.get("value"), StandardCharsets.UTF_8)).isEqualTo(e.body());
        assertThat(new String((byte[]) row.get("key"), StandardCharsets.UTF_8)).isEqualTo("k3");
        assertThat(row.get("source_timestamp")).isEqualTo(e.enqueued());
        @SuppressWarnings("unchecked")
        Map<String, Object> headers = (Map<String, Object>) row.get("headers");
        assertThat(new String((byte[]) headers.get("source"), StandardCharsets.UTF_8)).isEqualTo("capture-test");
        assertThat(new String((byte[]) headers.get("attempt"), StandardCharsets.UTF_8)).isEqualTo("3");
        assertThat(new String((byte[]) headers.get("score"), StandardCharsets.UTF_8)).isEqualTo("0.5");
        assertThat((byte[]) headers.get("raw")).containsExactly(1, 2, 255);
        assertThat(row.get("metadata")).isEqualTo(Map.of("offset", e.offset(), "partition_key", "k3",
                "x-opt-enqueued-time", Long.toString(e.enqueued().toEpochMilli())));
    }

    @Test
    void aKillDuringTheBackfillResumesWithEveryEventExactlyOnce() {
        writeArchive(archive());
        Pipeline pipeline = pipeline(Capture.backfill(archive().toString(), "orders"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            driver.runOneBatch();
            driver.runOneBatch();
            driver.crashAfterNextCommit(Stage.BRONZE); // dies between the bronze and the silver commit
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            driver.runOneBatch();
            driver.crashBeforeNextCommit(Stage.BRONZE); // dies with a batch written but not committed
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            driver.runOneBatch();
        }
        assertThat(KernelReader.rows(bronze()).size()).isBetween(100, PARTITIONS * ARCHIVED - 1);
        // a new process over the same tables
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            driver.runUntilCaughtUp();
        }
        assertBronzeHoldsOnce(each(ARCHIVED));
        assertThat(KernelReader.rows(silver())).hasSize(PARTITIONS * ARCHIVED);
        // and once more: everything is in bronze, so nothing is read again
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            assertThat(driver.runUntilCaughtUp()).isZero();
        }
    }

    @Test
    void filesAlreadyInBronzeAreSkippedWithoutDecodingThem() throws Exception {
        writeArchive(archive());
        Pipeline pipeline = pipeline(Capture.backfill(archive().toString(), "orders"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            driver.runUntilCaughtUp();
        }
        // Damage the tail of every partition's first file (sequence numbers 0 to 19): decoding it
        // again would fail, so the next run proves it only reads the header and first block.
        for (int p = 0; p < PARTITIONS; p++) {
            Path first;
            try (var files = Files.walk(archive().resolve("ns/orders/" + p))) {
                first = files.filter(f -> f.toString().endsWith("/10/02/00.avro")).findFirst().orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(first);
            Files.write(first, Arrays.copyOf(bytes, bytes.length - 300));
        }
        CaptureFixture.write(archive(), "ns", "orders", 3, CaptureFixture.T0.plusSeconds(600),
                CodecFactory.deflateCodec(6), CaptureFixture.events(3, ARCHIVED, ARCHIVED + 10));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            assertThat(driver.runUntilCaughtUp()).isEqualTo(10);
        }
        Map<Integer, Integer> expected = each(ARCHIVED);
        expected.put(3, ARCHIVED + 10);
        assertBronzeHoldsOnce(expected);
    }

    @Test
    void aDamagedFileThatIsStillNeededFailsNamingTheFile() throws Exception {
        writeArchive(archive());
        Path last;
        try (var files = Files.walk(archive().resolve("ns/orders/1"))) {
            last = files.filter(f -> f.toString().endsWith("/10/03/30.avro")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(last);
        Files.write(last, Arrays.copyOf(bytes, bytes.length - 300));
        Pipeline pipeline = pipeline(Capture.backfill(archive().toString(), "orders"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            assertThatThrownBy(driver::runUntilCaughtUp).isInstanceOf(SourceException.class)
                    .hasMessageContaining("ns/orders/1/2026/03/01/10/03/30.avro").hasMessageContaining("truncated");
        }
        // cut inside its only block, a file would look empty to Avro: it is refused as well
        Path small = CaptureFixture.write(archive(), "ns", "orders", 2, CaptureFixture.T0.plusSeconds(900),
                CodecFactory.deflateCodec(6), CaptureFixture.events(2, ARCHIVED, ARCHIVED + 2));
        byte[] smallBytes = Files.readAllBytes(small);
        Files.write(small, Arrays.copyOf(smallBytes, smallBytes.length - 20));
        assertThatThrownBy(() -> Pipeline.from(Capture.backfill(archive().toString(), "orders"))
                .bronze(tmp.resolve("other").toString()).bronzeOnly().runUntilCaughtUp())
                .isInstanceOf(SourceException.class).hasMessageContaining("10/15/00.avro")
                .hasMessageContaining("truncated");
    }

    /** The live hub holds every event from sequence number 0, as an event hub within its retention does. */
    private InMemoryHub liveHub(int eventsPerPartition) {
        InMemoryHub hub = InMemoryHub.create("orders", PARTITIONS);
        for (int p = 0; p < PARTITIONS; p++) {
            for (int s = 0; s < eventsPerPartition; s++) {
                hub.send(p, "k" + (s % 10), CaptureFixture.body(p, s));
            }
        }
        return hub;
    }

    @Test
    void handsOverToTheLiveSourceAtTheNextSequenceNumberWithoutGapOrDuplicate() {
        writeArchive(archive());
        int live = 20;
        InMemoryHub hub = liveHub(ARCHIVED + live);
        Source source = Capture.backfill(archive().toString(), "orders").thenLive(hub);
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(source))) {
            assertThat(driver.runUntilCaughtUp()).isEqualTo(PARTITIONS * (ARCHIVED + live));
            hub.send(1, "k1", CaptureFixture.body(1, ARCHIVED + live));
            assertThat(driver.runUntilCaughtUp()).isEqualTo(1);
        }
        Map<Integer, Integer> expected = each(ARCHIVED + live);
        expected.put(1, ARCHIVED + live + 1);
        assertBronzeHoldsOnce(expected);
        assertThat(KernelReader.rows(silver())).hasSize(PARTITIONS * (ARCHIVED + live) + 1);
        // the archive's events carry their Capture offset, the live ones do not: the handover was at 60
        for (Map<String, Object> r : KernelReader.rows(bronze())) {
            assertThat(r.get("metadata") != null).as("metadata of position %s", r.get("position"))
                    .isEqualTo((Long) r.get("position") < ARCHIVED);
        }
        // a restart reads the archive's listing again, skips it, and continues live
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline(source))) {
            assertThat(driver.runUntilCaughtUp()).isZero();
        }
    }

    /** A live source that lost the positions before {@code retainedFrom} of partition 0 to retention. */
    private static Source retained(InMemoryHub hub, long retainedFrom) {
        return new Source() {
            @Override
            public String name() {
                return hub.name();
            }

            @Override
            public SourceReader open(SourceContext context) {
                SourceReader inner = hub.open(context);
                return new SourceReader() {
                    @Override
                    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                        return inner.poll(maxRecords, maxWait).stream()
                                .filter(r -> r.partition().id() != 0 || r.position() >= retainedFrom).toList();
                    }

                    @Override
                    public void rewind() {
                        inner.rewind();
                    }

                    @Override
                    public boolean caughtUp() {
                        return inner.caughtUp();
                    }

                    @Override
                    public void close() {
                        inner.close();
                    }
                };
            }
        };
    }

    @Test
    void aGapBetweenTheArchiveAndTheLiveStreamFailsByDefault() {
        writeArchive(archive());
        Source source = Capture.backfill(archive().toString(), "orders").thenLive(retained(liveHub(ARCHIVED + 20), 65));
        assertThatThrownBy(() -> pipeline(source).runUntilCaughtUp()).isInstanceOf(SourceException.class)
                .hasMessageContaining("no longer holds sequence numbers 60 to 64 of partition orders/0")
                .hasMessageContaining("skipLostPositions");
        // Nothing of partition 0 past the gap. The other partitions' first live events may be committed
        // before partition 0's arrive and fail the run (a batch gathers several polls): each once.
        Map<Integer, List<Long>> held = bronzePositions();
        assertThat(held.keySet()).containsExactly(0, 1, 2, 3);
        assertThat(held.get(0)).isEqualTo(range(ARCHIVED));
        for (int p = 1; p < PARTITIONS; p++) {
            List<Long> partition = held.get(p);
            assertThat(partition).hasSizeBetween(ARCHIVED, ARCHIVED + 20);
            assertThat(partition).isEqualTo(range(partition.size()));
        }
    }

    @Test
    void aGapBetweenTheArchiveAndTheLiveStreamIsReportedWhenSkipping() {
        writeArchive(archive());
        Source source = Capture.backfill(archive().toString(), "orders")
                .thenLive(retained(liveHub(ARCHIVED + 20), 65)).skipLostPositions();
        PipelineProgress progress = pipeline(source).runUntilCaughtUp();
        assertThat(progress.gaps()).containsExactly(new PositionGap(new SourcePartition("orders", 0), 60, 65));
        assertThat(KernelReader.rows(bronze())).hasSize(PARTITIONS * (ARCHIVED + 20) - 5);
    }

    @Test
    void aLiveSourceOfAnotherStreamIsRefusedUnlessMapped() {
        CaptureSource archive = Capture.backfill(archive().toString(), "orders");
        InMemoryHub mirror = InMemoryHub.create("orders-mirror", PARTITIONS);
        assertThatThrownBy(() -> archive.thenLive(mirror)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'orders-mirror'")
                .hasMessageContaining("withStreamName(\"orders-mirror\")");
        assertThat(archive.withStreamName("orders-mirror").thenLive(mirror).name()).isEqualTo("orders-mirror");
    }

    @Test
    void aMissingArchiveFolderFailsClearly() {
        Pipeline pipeline = pipeline(Capture.backfill(tmp.resolve("nowhere").toString(), "orders"));
        assertThatThrownBy(pipeline::runUntilCaughtUp).hasMessageContaining("does not exist");
    }

    /** A row of bronze without the columns that differ by design between two ingestions of one event. */
    private static String essence(Map<String, Object> r) {
        @SuppressWarnings("unchecked")
        Map<String, Object> headers = (Map<String, Object>) r.get("headers");
        String h = headers == null ? "" : headers.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + Arrays.toString((byte[]) e.getValue())).collect(Collectors.joining(","));
        return r.get("source") + "/" + r.get("partition") + "@" + r.get("position") + " key "
                + Arrays.toString((byte[]) r.get("key")) + " value " + Arrays.toString((byte[]) r.get("value"))
                + " at " + r.get("source_timestamp") + " headers " + h;
    }

    @Test
    void theArchiveOfASourceWithoutCaptureRebuildsTheSameBronzeEvenAfterACrashBeforeTheCommit() throws Exception {
        InMemoryHub hub = InMemoryHub.create("orders", PARTITIONS);
        for (int i = 0; i < 200; i++) {
            hub.send(i % PARTITIONS, i % 3 == 0 ? null : new byte[] {(byte) i, (byte) 0xFE},
                    i % 11 == 0 ? null : CaptureFixture.body(i % PARTITIONS, i).getBytes(StandardCharsets.UTF_8),
                    i % 2 == 0 ? Map.of() : Map.of("trace", new byte[] {(byte) i}, "kind", "order".getBytes()));
        }
        String archive = tmp.resolve("archive").toString();
        Pipeline original = Pipeline.from(hub).bronze(bronze()).bronzeOnly().withName("orders-ingest")
                .withMaxBatchRecords(30).withArchive(CaptureArchive.at(archive, "orders-ingest"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(original)) {
            driver.runOneBatch();
            driver.crashBeforeNextCommit(Stage.BRONZE); // archive written, bronze not committed
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            driver.runOneBatch();
            driver.crashBeforeNextCommit(Stage.BRONZE);
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
            driver.runUntilCaughtUp();
        }
        try (var files = Files.walk(Path.of(archive))) {
            assertThat(files.filter(Files::isRegularFile).map(f -> f.getFileName().toString()))
                    .allMatch(n -> n.matches("\\d\\d-\\d{20}\\.avro"));
        }
        String rebuilt = tmp.resolve("rebuilt").toString();
        Pipeline backfill = Pipeline.from(Capture.backfill(archive, "orders").withNamespace("orders-ingest"))
                .bronze(rebuilt).bronzeOnly().withMaxBatchRecords(70);
        assertThat(backfill.runUntilCaughtUp().eventsIngested()).isEqualTo(200);

        List<String> before = KernelReader.rows(bronze()).stream().map(CaptureBackfillTest::essence).sorted().toList();
        List<String> after = KernelReader.rows(rebuilt).stream().map(CaptureBackfillTest::essence).sorted().toList();
        assertThat(before).hasSize(200).doesNotHaveDuplicates();
        assertThat(after).isEqualTo(before);
    }
}
