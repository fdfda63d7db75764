package io.streamlake.testkit.capture;

import static io.streamlake.testkit.capture.CaptureFixture.T0;
import static io.streamlake.testkit.capture.CaptureFixture.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.core.capture.Capture;
import io.streamlake.core.capture.CaptureArchive;
import io.streamlake.core.capture.CaptureSource;
import io.streamlake.core.delta.KernelReader;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.PositionGap;
import io.streamlake.source.Source;
import io.streamlake.source.SourcePartition;
import io.streamlake.testkit.PipelineTestDriver;
import io.streamlake.testkit.SimulatedCrash;
import io.streamlake.testkit.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Event Hubs numbers each partition's events without holes, so a jump in the sequence numbers of a
 * Capture archive is a lost file or a file cut short, which Avro alone does not show when the cut is
 * at a block boundary. Every test writes real Capture files and reads the Delta tables back.
 */
class CaptureGapsTest {
    private static final SourcePartition P0 = new SourcePartition("orders", 0);
    private static final SourcePartition P1 = new SourcePartition("orders", 1);

    @TempDir Path tmp;

    private Path archive() {
        return tmp.resolve("capture");
    }

    private String bronze() {
        return tmp.resolve("bronze").toString();
    }

    private Pipeline pipeline(Source source) {
        return Pipeline.from(source).bronze(bronze()).silver(tmp.resolve("silver").toString(), "order_id")
                .withSchema(CaptureBackfillTest.SCHEMA).withMaxBatchRecords(25).withPollTimeout(Duration.ZERO);
    }

    /** Positions per partition in a bronze table, sorted, duplicates kept (so that equality proves "once"). */
    private static Map<Integer, List<Long>> positions(String table) {
        Map<Integer, List<Long>> out = new TreeMap<>();
        for (Map<String, Object> r : KernelReader.rows(table)) {
            out.computeIfAbsent((Integer) r.get("partition"), k -> new ArrayList<>()).add((Long) r.get("position"));
        }
        out.values().forEach(l -> l.sort(null));
        return out;
    }

    private static List<Long> range(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }

    private static List<Long> concat(List<Long> a, List<Long> b) {
        List<Long> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** A partition a failed run stopped in holds a prefix of its events, each once. */
    private static void assertPrefixOnce(List<Long> held, long from) {
        assertThat(held).isEqualTo(range(from, from + held.size()));
    }

    @Test
    void aFileCutExactlyAtABlockBoundaryFollowedByAnotherFileFailsNamingTheGap() throws IOException {
        Path cut =
                CaptureFixture.write(archive(), "ns", "orders", 0, T0, CodecFactory.deflateCodec(6), events(0, 0, 200));
        byte[] whole = Files.readAllBytes(cut);
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(300), CodecFactory.nullCodec(),
                events(0, 200, 260));
        CaptureFixture.write(archive(), "ns", "orders", 1, T0, CodecFactory.deflateCodec(6), events(1, 0, 260));
        List<Long> left = CaptureFixture.cutAfterBlocks(cut, 2);
        int k = left.size();
        assertThat(left).as("Avro reads the cut file without an error").isEqualTo(range(0, k));
        assertThat(k).isBetween(1, 199);

        Pipeline pipeline = pipeline(Capture.backfill(archive().toString(), "orders"));
        assertThatThrownBy(pipeline::runUntilCaughtUp).isInstanceOf(SourceException.class)
                .hasMessageContaining("lacks sequence numbers " + k + " to 199 of partition orders/0 ("
                        + (200 - k) + " events)")
                .hasMessageContaining("file ns/orders/0/2026/03/01/10/00/00.avro ends at " + (k - 1))
                .hasMessageContaining("the archive's next event is 200, in file ns/orders/0/2026/03/01/10/05/00.avro")
                .hasMessageContaining("cut short")
                .hasMessageContaining("Find the missing Capture file")
                .hasMessageContaining("CaptureSource.skipLostPositions()");
        Map<Integer, List<Long>> held = positions(bronze());
        assertThat(held.get(0)).as("every event before the gap, once").isEqualTo(range(0, k));
        assertPrefixOnce(held.getOrDefault(1, List.of()), 0);

        // the whole file back in the archive: the next run continues at the gap
        Files.write(cut, whole);
        PipelineProgress progress = pipeline.runUntilCaughtUp();
        assertThat(progress.gaps()).isEmpty();
        assertThat(positions(bronze())).isEqualTo(Map.of(0, range(0, 260), 1, range(0, 260)));
        assertThat(KernelReader.rows(tmp.resolve("silver").toString())).hasSize(520);
    }

    /** Partition 1 lacks the file of sequence numbers 50,000 to 74,999, as in the report. */
    private void writeArchiveWithoutAMiddleFile() {
        CaptureFixture.write(archive(), "ns", "orders", 0, T0, CodecFactory.deflateCodec(6), events(0, 0, 40));
        CaptureFixture.write(archive(), "ns", "orders", 1, T0, CodecFactory.deflateCodec(6), events(1, 49_980, 50_000));
        CaptureFixture.write(archive(), "ns", "orders", 1, T0.plusSeconds(600), CodecFactory.nullCodec(),
                events(1, 75_000, 75_020));
    }

    @Test
    void aMissingMiddleFileFailsNamingThePartitionTheRangeAndTheCount() {
        writeArchiveWithoutAMiddleFile();
        assertThatThrownBy(() -> pipeline(Capture.backfill(archive().toString(), "orders")).runUntilCaughtUp())
                .isInstanceOf(SourceException.class)
                .hasMessageContaining("lacks sequence numbers 50000 to 74999 of partition orders/1 (25000 events)")
                .hasMessageContaining("file ns/orders/1/2026/03/01/10/00/00.avro ends at 49999")
                .hasMessageContaining("next event is 75000, in file ns/orders/1/2026/03/01/10/10/00.avro")
                .hasMessageContaining("Nothing of orders/1 after 49999 was ingested")
                .hasMessageContaining("continue at 75000");
        Map<Integer, List<Long>> held = positions(bronze());
        assertThat(held.get(1)).isEqualTo(range(49_980, 50_000));
        assertPrefixOnce(held.getOrDefault(0, List.of()), 0);
    }

    @Test
    void aMissingMiddleFileIsSkippedAndReportedWhenAskedToAndEverythingElseIsIngestedOnce() {
        writeArchiveWithoutAMiddleFile();
        CaptureSource source = Capture.backfill(archive().toString(), "orders").skipLostPositions();
        PipelineProgress progress = pipeline(source).runUntilCaughtUp();
        assertThat(progress.gaps()).containsExactly(new PositionGap(P1, 50_000, 75_000));
        assertThat(progress.gaps().get(0).count()).isEqualTo(25_000);
        Map<Integer, List<Long>> expected = new TreeMap<>(Map.of(0, range(0, 40),
                1, concat(range(49_980, 50_000), range(75_000, 75_020))));
        assertThat(positions(bronze())).isEqualTo(expected);
        assertThat(KernelReader.rows(tmp.resolve("silver").toString())).hasSize(80);

        // a restart neither reads again nor reports again what is behind the markers
        PipelineProgress again = pipeline(source).runUntilCaughtUp();
        assertThat(again.eventsIngested()).isZero();
        assertThat(again.gaps()).isEmpty();
        // and a later contiguous file is no gap
        CaptureFixture.write(archive(), "ns", "orders", 1, T0.plusSeconds(900), CodecFactory.nullCodec(),
                events(1, 75_020, 75_030));
        PipelineProgress later = pipeline(source).runUntilCaughtUp();
        assertThat(later.eventsIngested()).isEqualTo(10);
        assertThat(later.gaps()).isEmpty();
        expected.put(1, concat(expected.get(1), range(75_020, 75_030)));
        assertThat(positions(bronze())).isEqualTo(expected);
    }

    @Test
    void aGapAtTheArchivesStartAfterTheBronzeMarkerFailsAndIsReportedWhenSkipping() throws IOException {
        Path old =
                CaptureFixture.write(archive(), "ns", "orders", 0, T0, CodecFactory.deflateCodec(6), events(0, 0, 60));
        assertThat(pipeline(Capture.backfill(archive().toString(), "orders")).runUntilCaughtUp().eventsIngested())
                .isEqualTo(60);
        // the old file aged out of the archive, and the next one the backfill finds starts at 80
        Files.delete(old);
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(600), CodecFactory.nullCodec(),
                events(0, 80, 100));
        assertThatThrownBy(() -> pipeline(Capture.backfill(archive().toString(), "orders")).runUntilCaughtUp())
                .isInstanceOf(SourceException.class)
                .hasMessageContaining("lacks sequence numbers 60 to 79 of partition orders/0 (20 events): bronze holds"
                        + " the partition up to 59 (its progress marker) and the archive's next event is 80, in file"
                        + " ns/orders/0/2026/03/01/10/10/00.avro");
        assertThat(positions(bronze())).isEqualTo(Map.of(0, range(0, 60)));

        PipelineProgress progress = pipeline(Capture.backfill(archive().toString(), "orders").skipLostPositions())
                .runUntilCaughtUp();
        assertThat(progress.gaps()).containsExactly(new PositionGap(P0, 60, 80));
        assertThat(positions(bronze())).isEqualTo(Map.of(0, concat(range(0, 60), range(80, 100))));
    }

    @Test
    void contiguousArchivesPassWithoutAFalseGapThroughOverlapsCopiesEmptyFilesAndAKill() {
        // partition 0: names in another order than the sequence numbers, an overlapping file, a copy of
        // a file under another name, an empty window, and a file cut at a block boundary whose events
        // another file holds (nothing is lost, so nothing is reported)
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(120), CodecFactory.deflateCodec(6),
                events(0, 0, 20));
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(60), CodecFactory.nullCodec(),
                events(0, 20, 40));
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(500), CodecFactory.nullCodec(),
                events(0, 20, 40));
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(400), CodecFactory.deflateCodec(1),
                events(0, 35, 45));
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(210), CodecFactory.deflateCodec(1),
                events(0, 40, 60));
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(300), CodecFactory.nullCodec(), List.of());
        Path cut = CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(700), CodecFactory.nullCodec(),
                events(0, 60, 80));
        assertThat(CaptureFixture.cutAfterBlocks(cut, 1)).isNotEmpty().hasSizeLessThan(20);
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(800), CodecFactory.deflateCodec(6),
                events(0, 60, 90));
        // partition 1: an archive that starts late (Capture turned on later): not a gap without a marker
        CaptureFixture.write(archive(), "ns", "orders", 1, T0, CodecFactory.deflateCodec(6), events(1, 1000, 1030));
        CaptureFixture.write(archive(), "ns", "orders", 1, T0.plusSeconds(60), CodecFactory.nullCodec(), List.of());
        CaptureFixture.write(archive(), "ns", "orders", 1, T0.plusSeconds(120), CodecFactory.nullCodec(),
                events(1, 1030, 1060));
        // partition 2: an empty window before its only file
        CaptureFixture.write(archive(), "ns", "orders", 2, T0, CodecFactory.nullCodec(), List.of());
        CaptureFixture.write(archive(), "ns", "orders", 2, T0.plusSeconds(60), CodecFactory.deflateCodec(6),
                events(2, 0, 50));

        Pipeline pipeline = pipeline(Capture.backfill(archive().toString(), "orders"));
        try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
            driver.runOneBatch();
            driver.runOneBatch();
            driver.crashAfterNextCommit(Stage.BRONZE);
            assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
        }
        // the rest, from the markers the kill left, which the sequence check starts from
        PipelineProgress progress = pipeline.runUntilCaughtUp();
        assertThat(progress.gaps()).isEmpty();
        assertThat(positions(bronze())).isEqualTo(Map.of(0, range(0, 90), 1, range(1000, 1060), 2, range(0, 50)));
        assertThat(KernelReader.rows(tmp.resolve("silver").toString())).hasSize(90 + 60 + 50);
    }

    @Test
    void aFileSkippedAsAlreadyInBronzeIsReadAfterAllWhenAnOverlappingCopyEndsSooner() {
        Path upload = CaptureFixture.write(archive(), "ns", "orders", 0, T0, CodecFactory.deflateCodec(6),
                events(0, 0, 56));
        assertThat(pipeline(Capture.backfill(archive().toString(), "orders")).runUntilCaughtUp().eventsIngested())
                .isEqualTo(56);
        // the whole upload replaces the partial one, a partial copy of it lies next to it (starting before
        // the bronze marker, so the whole file looks skippable), and the next window follows
        CaptureFixture.write(upload, CodecFactory.deflateCodec(6), events(0, 0, 100));
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(60), CodecFactory.nullCodec(),
                events(0, 50, 60));
        CaptureFixture.write(archive(), "ns", "orders", 0, T0.plusSeconds(120), CodecFactory.nullCodec(),
                events(0, 100, 120));
        PipelineProgress progress = pipeline(Capture.backfill(archive().toString(), "orders")).runUntilCaughtUp();
        assertThat(progress.gaps()).isEmpty();
        assertThat(progress.eventsIngested()).isEqualTo(64);
        assertThat(positions(bronze())).isEqualTo(Map.of(0, range(0, 120)));
    }

    // --- the handover to the live source ---

    /** Partitions 0 and 1 archived up to 59, partition 0's file cut at a block boundary. */
    private int archiveWithACutLastFile() {
        Path cut =
                CaptureFixture.write(archive(), "ns", "orders", 0, T0, CodecFactory.deflateCodec(6), events(0, 0, 60));
        CaptureFixture.write(archive(), "ns", "orders", 1, T0, CodecFactory.deflateCodec(6), events(1, 0, 60));
        int k = CaptureFixture.cutAfterBlocks(cut, 3).size();
        assertThat(k).isBetween(1, 59);
        return k;
    }

    @Test
    void aCutLastFileShowsAtTheHandoverWhenTheLiveStreamNoLongerHoldsItsEvents() {
        int k = archiveWithACutLastFile();
        // retention: the live stream holds events from 60 on
        ListSource live = new ListSource("orders").addRange(0, 60, 80).addRange(1, 60, 80);
        assertThatThrownBy(() -> pipeline(Capture.backfill(archive().toString(), "orders").thenLive(live))
                .runUntilCaughtUp()).isInstanceOf(SourceException.class)
                .hasMessageContaining("no longer holds sequence numbers " + k + " to 59 of partition orders/0")
                .hasMessageContaining("the Capture archive ends at " + (k - 1))
                .hasMessageContaining((60 - k) + " events are in neither")
                .hasMessageContaining("cut short");
        assertThat(positions(bronze()).get(0)).isEqualTo(range(0, k));

        PipelineProgress progress = pipeline(Capture.backfill(archive().toString(), "orders").thenLive(live)
                .skipLostPositions()).runUntilCaughtUp();
        assertThat(progress.gaps()).containsExactly(new PositionGap(P0, k, 60));
        assertThat(positions(bronze())).isEqualTo(Map.of(0, concat(range(0, k), range(60, 80)), 1, range(0, 80)));
    }

    @Test
    void aCutLastFileLosesNothingWhenTheLiveStreamStillHoldsItsEvents() {
        archiveWithACutLastFile();
        ListSource live = new ListSource("orders").addRange(0, 0, 80).addRange(1, 0, 80);
        PipelineProgress progress = pipeline(Capture.backfill(archive().toString(), "orders").thenLive(live))
                .runUntilCaughtUp();
        assertThat(progress.gaps()).isEmpty();
        assertThat(positions(bronze())).isEqualTo(Map.of(0, range(0, 80), 1, range(0, 80)));
    }

    @Test
    void aLiveSourceThatReplaysWhatTheArchiveHeldIsStillCheckedForAGap() {
        CaptureFixture.write(archive(), "ns", "orders", 0, T0, CodecFactory.deflateCodec(6), events(0, 0, 60));
        // starts before the archive's end (bronze drops those) and lacks 60 to 64
        ListSource live = new ListSource("orders").addRange(0, 55, 60).addRange(0, 65, 80).replaying();
        assertThatThrownBy(() -> pipeline(Capture.backfill(archive().toString(), "orders").thenLive(live))
                .runUntilCaughtUp()).isInstanceOf(SourceException.class)
                .hasMessageContaining("no longer holds sequence numbers 60 to 64 of partition orders/0");
        assertThat(positions(bronze())).isEqualTo(Map.of(0, range(0, 60)));
    }

    // --- the archive the engine writes for sources without Capture ---

    /** Positions with holes, as a Kafka topic with transaction markers has: every 7th is missing. */
    private static long[] holey(long to) {
        return LongStream.range(0, to).filter(s -> s % 7 != 3).toArray();
    }

    private static List<Long> list(long[] positions) {
        return LongStream.of(positions).boxed().toList();
    }

    /** The archive's files of a partition, in sequence order, with the positions each holds. */
    private static TreeMap<Long, Path> archiveFiles(Path root, int partition) throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path f : walk.filter(f -> f.toString().endsWith(".avro")
                    && f.toString().contains("/orders/" + partition + "/")).toList()) {
                files.put(Long.parseLong(f.getFileName().toString().replaceAll("^\\d\\d-0*(\\d)", "$1")
                        .replace(".avro", "")), f);
            }
        }
        return files;
    }

    private static List<Long> sequenceNumbers(Path file) throws IOException {
        List<Long> out = new ArrayList<>();
        try (DataFileStream<GenericRecord> in = new DataFileStream<>(Files.newInputStream(file),
                new GenericDatumReader<>())) {
            for (GenericRecord r : in) {
                out.add((Long) r.get("SequenceNumber"));
            }
        }
        return out;
    }

    @Test
    void ourArchiveOfASourceWithHolesRebuildsWithoutAFalseGapAndAMissingFileIsFound() throws IOException {
        long[] p0 = holey(100);
        ListSource source = new ListSource("orders").add(0, p0).addRange(1, 0, 60);
        Path archive = tmp.resolve("archive");
        Pipeline original = Pipeline.from(source).bronze(tmp.resolve("original").toString()).bronzeOnly()
                .withName("ingest").withMaxBatchRecords(10)
                .withArchive(CaptureArchive.at(archive.toString(), "ingest"));
        assertThat(original.runUntilCaughtUp().eventsIngested()).isEqualTo(p0.length + 60);

        CaptureSource backfill = Capture.backfill(archive.toString(), "orders").withNamespace("ingest");
        String rebuilt = tmp.resolve("rebuilt").toString();
        PipelineProgress progress = Pipeline.from(backfill).bronze(rebuilt).bronzeOnly().runUntilCaughtUp();
        assertThat(progress.gaps()).as("holes in the source's positions are no gap").isEmpty();
        assertThat(positions(rebuilt)).isEqualTo(positions(tmp.resolve("original").toString()))
                .isEqualTo(Map.of(0, list(p0), 1, range(0, 60)));

        // a file of the archive goes missing: its neighbours' headers show it
        TreeMap<Long, Path> files = archiveFiles(archive, 0);
        assertThat(files).hasSizeGreaterThan(5);
        Path gone = new ArrayList<>(files.values()).get(3);
        List<Long> lost = sequenceNumbers(gone);
        long before = files.lowerEntry(lost.get(0)) == null ? -1
                : sequenceNumbers(files.lowerEntry(lost.get(0)).getValue()).stream().max(Comparator.naturalOrder())
                        .orElseThrow();
        long after = files.higherKey(lost.get(0));
        Files.delete(gone);
        String again = tmp.resolve("again").toString();
        assertThatThrownBy(() -> Pipeline.from(backfill).bronze(again).bronzeOnly().runUntilCaughtUp())
                .isInstanceOf(SourceException.class)
                .hasMessageContaining("lacks sequence numbers " + (before + 1) + " to " + (after - 1)
                        + " of partition orders/0 (up to " + (after - before - 1) + " events)")
                .hasMessageContaining("ends at " + before + ", but the next file")
                .hasMessageContaining("was written after " + lost.get(lost.size() - 1) + " (its header says so)");

        PipelineProgress skipped = Pipeline.from(backfill.skipLostPositions()).bronze(again).bronzeOnly()
                .runUntilCaughtUp();
        assertThat(skipped.gaps()).containsExactly(new PositionGap(P0, before + 1, after));
        List<Long> expected = new ArrayList<>(list(p0));
        expected.removeAll(lost);
        assertThat(positions(again)).isEqualTo(Map.of(0, expected, 1, range(0, 60)));
    }

    @Test
    void aFileOfOurArchiveCutAtABlockBoundaryIsRefusedEvenAsThePartitionsLastFile() throws IOException {
        ListSource source = new ListSource("orders").addRange(0, 0, 1000).addRange(1, 0, 3);
        Path archive = tmp.resolve("archive");
        Pipeline.from(source).bronze(bronze()).bronzeOnly().withName("ingest").withMaxBatchRecords(2000)
                .withArchive(CaptureArchive.at(archive.toString(), "ingest")).runUntilCaughtUp();
        Path file0 = archiveFiles(archive, 0).firstEntry().getValue();
        Path file1 = archiveFiles(archive, 1).firstEntry().getValue();
        byte[] whole0 = Files.readAllBytes(file0);
        CaptureSource backfill = Capture.backfill(archive.toString(), "orders").withNamespace("ingest");

        List<Long> left = CaptureFixture.cutAfterBlocks(file0, 1);
        assertThat(left).as("a whole block is left, read without an error").isNotEmpty().hasSizeLessThan(1000);
        assertThatThrownBy(() -> Pipeline.from(backfill).bronze(tmp.resolve("a").toString()).bronzeOnly()
                .runUntilCaughtUp()).isInstanceOf(SourceException.class)
                .hasMessageContaining(archive.relativize(file0).toString())
                .hasMessageContaining("its header says its events run to sequence number 999, but it ends after "
                        + (left.size() - 1));

        // cut before its first block, a file would look like an empty window: its header tells
        Files.write(file0, whole0);
        assertThat(CaptureFixture.cutAfterBlocks(file1, 0)).isEmpty();
        assertThatThrownBy(() -> Pipeline.from(backfill).bronze(tmp.resolve("b").toString()).bronzeOnly()
                .runUntilCaughtUp()).isInstanceOf(SourceException.class)
                .hasMessageContaining(archive.relativize(file1).toString())
                .hasMessageContaining("its header says its events run to sequence number 2, but it ends before its"
                        + " first event");
    }
}
