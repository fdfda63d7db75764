package io.streamlake.core.capture;

import io.streamlake.core.azure.AzureStorage;
import io.streamlake.core.capture.CaptureFiles.CaptureFile;
import io.streamlake.core.storage.StorageLocation;
import io.streamlake.exceptions.SourceException;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.source.BatchLimits;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.avro.file.DataFileStream;
import org.apache.hadoop.fs.FileSystem;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running side of a {@link CaptureSource}. Background threads decode the files into chunks of
 * records while the engine writes the previous batch; {@link #poll} hands the chunks over. Each
 * partition is decoded by one thread, in sequence order; with several partitions, up to one thread
 * per core shares them out, since decoding (inflate, Avro) is the backfill's slowest stage. The plan
 * (which files, from which sequence number) is made on the engine's thread from the bronze markers,
 * at open and at every rewind.
 *
 * <p>The decoding threads check each partition's sequence numbers as they go (see {@link CaptureSource}
 * on gaps) and hand a gap or a failure over in the queue, behind the records before it, so that the
 * engine commits those first: a poll that meets a failure after some records returns them, and the
 * next poll throws. A restart after the missing file is put back then continues exactly at the gap.
 */
final class CaptureReader implements SourceReader {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureReader.class);
    private static final int CHUNK = 4096;
    /**
     * A chunk also ends at this many bytes of keys and values, so that {@link #AHEAD} chunks of large
     * events (1 MB each) hold 64 MiB, not 32 times 4096 of them.
     */
    private static final long CHUNK_BYTES = 2L << 20;
    /** Chunks decoded ahead of the engine: enough to keep it busy, bounded so memory is too. */
    private static final int AHEAD = 32;
    private static final Object END = new Object();

    private final CaptureSource source;
    private final SourceContext context;
    private final StorageLocation location;
    private final Map<SourcePartition, List<CaptureFile>> files;
    private BlockingQueue<Object> queue = new ArrayBlockingQueue<>(AHEAD);
    private List<Thread> workers = List.of();
    /** Decoding threads that have not yet reported their end. */
    private int running;
    private final ArrayDeque<SourceRecord> pending = new ArrayDeque<>();
    private boolean ended;
    /** A failure that came after the records of the last poll: thrown by the next poll, once they are committed. */
    private @Nullable StreamLakeException failure;
    private final Set<PositionGap> reported = new HashSet<>();

    CaptureReader(CaptureSource source, SourceContext context) {
        this.source = source;
        this.context = context;
        this.location = AzureStorage.locate(source.root(), source.storageOptions(context));
        this.files = CaptureFiles.list(source, location);
        start();
    }

    /** @return the partitions the archive holds events of */
    Set<SourcePartition> partitions() {
        return files.keySet();
    }

    private void start() {
        Map<SourcePartition, Long> floors = new HashMap<>();
        Map<SourcePartition, ArrayDeque<CaptureFile>> unread = new HashMap<>();
        List<ArrayDeque<CaptureFile>> plan = new ArrayList<>();
        int skipped = 0;
        int toRead = 0;
        for (Map.Entry<SourcePartition, List<CaptureFile>> e : files.entrySet()) {
            long floor = context.committedPosition(e.getKey()).orElse(Long.MIN_VALUE);
            floors.put(e.getKey(), floor);
            List<CaptureFile> list = e.getValue();
            ArrayDeque<CaptureFile> read = new ArrayDeque<>();
            for (int i = 0; i < list.size(); i++) {
                CaptureFile f = list.get(i);
                boolean before = f.lastKnown() ? f.last() <= floor
                        : i + 1 < list.size() && floor != Long.MIN_VALUE && list.get(i + 1).first() <= floor + 1;
                if (before) {
                    skipped++;
                    if (!f.lastKnown()) {
                        unread.computeIfAbsent(e.getKey(), k -> new ArrayDeque<>()).add(f);
                    }
                } else {
                    read.add(f);
                }
            }
            toRead += read.size();
            plan.add(read);
        }
        LOG.info("source '{}': reading {} Capture files from the bronze markers, {} files skipped as already in"
                + " bronze", source.name(), toRead, skipped);
        pending.clear();
        ended = false;
        BlockingQueue<Object> q = new ArrayBlockingQueue<>(AHEAD);
        queue = q;
        int threads = Math.max(1, Math.min(plan.size(), Runtime.getRuntime().availableProcessors()));
        List<List<ArrayDeque<CaptureFile>>> shares = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            shares.add(new ArrayList<>());
        }
        for (int i = 0; i < plan.size(); i++) {
            shares.get(i % threads).add(plan.get(i));
        }
        List<Thread> started = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            List<ArrayDeque<CaptureFile>> share = shares.get(i);
            Map<SourcePartition, Long> shareFloors = new HashMap<>(floors);
            // each partition's deque is used by the one thread that decodes the partition
            Map<SourcePartition, ArrayDeque<CaptureFile>> shareUnread = new HashMap<>(unread);
            Thread t = new Thread(() -> decode(share, shareFloors, shareUnread, q),
                    "streamlake-capture-" + source.name() + (threads == 1 ? "" : "-" + i));
            t.setDaemon(true);
            started.add(t);
        }
        workers = started;
        running = threads;
        started.forEach(Thread::start);
    }

    /** A jump in a partition's sequence numbers, found by a decoding thread, reported on the engine's. */
    private record Gap(PositionGap gap, String description) {
    }

    /** A decoding thread's records not yet handed over, in chunks, in order with its gaps and failures. */
    private static final class Output {
        private final BlockingQueue<Object> queue;
        private List<SourceRecord> chunk = new ArrayList<>(CHUNK);
        private long chunkBytes;

        Output(BlockingQueue<Object> queue) {
            this.queue = queue;
        }

        void add(SourceRecord r) throws InterruptedException {
            chunk.add(r);
            chunkBytes += BatchLimits.bytes(r);
            if (chunk.size() == CHUNK || chunkBytes >= CHUNK_BYTES) {
                flush();
            }
        }

        void flush() throws InterruptedException {
            if (!chunk.isEmpty()) {
                queue.put(chunk);
                chunk = new ArrayList<>(CHUNK);
                chunkBytes = 0;
            }
        }

        /** Hands over the records before {@code item} first, so that they reach bronze before it is acted on. */
        void put(Object item) throws InterruptedException {
            flush();
            queue.put(item);
        }
    }

    /** Reads the partitions' files round-robin, one file at a time, so that batches mix partitions. */
    private void decode(List<ArrayDeque<CaptureFile>> plan, Map<SourcePartition, Long> floors,
            Map<SourcePartition, ArrayDeque<CaptureFile>> unread, BlockingQueue<Object> q) {
        Output out = new Output(q);
        try {
            FileSystem fs = location.fileSystem();
            Map<SourcePartition, EventDataReader> decoders = new LinkedHashMap<>();
            boolean more = true;
            while (more) {
                more = false;
                for (ArrayDeque<CaptureFile> files : plan) {
                    CaptureFile f = files.poll();
                    if (f == null) {
                        continue;
                    }
                    more = true;
                    EventDataReader decoder = decoders.computeIfAbsent(f.partition(), p -> {
                        EventDataReader d = new EventDataReader(p);
                        d.floor = floors.get(p);
                        return d;
                    });
                    readFile(fs, f, decoder, out, unread);
                }
            }
            if (!decoders.isEmpty()) {
                // What an archive read alone cannot check: whether a partition's last file was cut after
                // a whole Avro block. Its end, logged, can be compared with the hub's last sequence number.
                StringBuilder ends = new StringBuilder();
                decoders.forEach((p, d) -> ends.append(ends.isEmpty() ? "" : ", ").append(p).append(" at ")
                        .append(d.floor).append(d.floorFile == null ? " (its bronze marker)" : " in " + d.floorFile));
                LOG.info("source '{}': the Capture archive is read to its end: {}", source.name(), ends);
            }
            out.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // a rewind or close stopped us
        } catch (RuntimeException | IOException | Error e) {
            try {
                out.put(e); // after the records before it, so that those are committed before the failure
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Decodes one file into {@code out}, checking each event follows the partition's previous one.
     *
     * @param unread per partition, files the plan skipped as wholly in bronze without decoding them,
     *     read after all when a jump shows that judgement was wrong
     */
    private void readFile(FileSystem fs, CaptureFile f, EventDataReader decoder, Output out,
            Map<SourcePartition, ArrayDeque<CaptureFile>> unread) throws InterruptedException {
        decoder.file = f.name();
        SourceException lost = null;
        long seen = Long.MIN_VALUE; // the file's highest sequence number, of skipped records too
        boolean first = true;
        try (WholeFileCheck in = new WholeFileCheck(fs.open(f.path()));
                DataFileStream<@Nullable SourceRecord> avro = new DataFileStream<>(in, decoder)) {
            while (avro.hasNext()) {
                SourceRecord r = avro.next(null);
                seen = Math.max(seen, decoder.lastSeen);
                if (r == null) {
                    if (decoder.lastSeen == decoder.floor) {
                        decoder.floorFile = f.name();
                    }
                    continue; // at or before what was already emitted
                }
                long floor = decoder.floor;
                if (floor != Long.MIN_VALUE && r.position() != floor + 1 && unread.containsKey(f.partition())) {
                    // The plan skipped files that end where the next one begins, which holds for Capture's
                    // own windows, not for an overlapping copy that ends sooner: read them before calling
                    // this a gap. Their events after the floor come before this one, in sequence order.
                    for (CaptureFile skipped : unread.remove(f.partition())) {
                        readFile(fs, skipped, decoder, out, unread);
                    }
                    decoder.file = f.name();
                    if (r.position() <= decoder.floor) {
                        continue;
                    }
                    floor = decoder.floor;
                }
                if (floor != Long.MIN_VALUE && r.position() != floor + 1) {
                    // A Capture file's sequence numbers are the hub's, without holes. Our archive's are the
                    // source's, with holes where it has them; its chain of files is what tells a loss.
                    boolean chainBroken = !f.contiguous() && first && f.previousKnown() && f.previous() > floor;
                    if (f.contiguous() || chainBroken) {
                        Gap gap = new Gap(new PositionGap(f.partition(), floor + 1, r.position()),
                                describeGap(f, decoder, r.position(), chainBroken));
                        if (!source.skipsLostPositions()) {
                            lost = CaptureErrors.archiveGap(f.partition(), gap.description(), floor, r.position());
                            break;
                        }
                        out.put(gap);
                    }
                }
                first = false;
                decoder.floor = r.position();
                decoder.floorFile = f.name();
                out.add(r);
            }
            if (lost == null && !in.complete()) {
                // Avro ends a file cut in the middle of a block without an error: never drop its tail silently
                throw new IOException("the file is truncated: it ends in the middle of an Avro block, after sequence"
                        + " number " + seen + " (a partial upload or copy?); the events after that in it are missing");
            }
            if (lost == null && f.lastKnown() && seen < f.last()) {
                // Our archive's header knows where the file ends: a cut after a whole block shows here.
                throw new IOException("the file is truncated: its header says its events run to sequence number "
                        + f.last() + ", but it ends " + (seen == Long.MIN_VALUE ? "before its first event"
                                : "after " + seen)
                        + " (a partial upload or copy cut at an Avro block boundary); the events"
                        + " after that in it are missing");
            }
        } catch (IOException | RuntimeException e) {
            throw CaptureErrors.readFailed(f.partition(), f.name(), location, e);
        }
        if (lost != null) {
            throw lost;
        }
    }

    /** What is missing, where the archive shows it, and why that means a missing or cut file. */
    private String describeGap(CaptureFile f, EventDataReader d, long next, boolean chain) {
        long floor = d.floor;
        StringBuilder m = new StringBuilder("the Capture archive ").append(location).append(" lacks sequence numbers ")
                .append(floor + 1).append(" to ").append(next - 1).append(" of partition ").append(f.partition())
                .append(" (").append(chain ? "up to " : "").append(next - floor - 1).append(" events): ");
        String before = d.floorFile == null ? "bronze holds the partition up to " + floor + " (its progress marker)"
                : "file " + d.floorFile + " ends at " + floor;
        if (chain) {
            m.append(before).append(", but the next file, ").append(f.name()).append(", was written after ")
                    .append(f.previous()).append(" (its header says so) and starts at ").append(next)
                    .append(". A file of the archive is missing, or one was cut short.");
        } else {
            if (f.name().equals(d.floorFile)) {
                m.append("file ").append(f.name()).append(" jumps from ").append(floor).append(" to ").append(next);
            } else {
                m.append(before).append(" and the archive's next event is ").append(next).append(", in file ")
                        .append(f.name());
            }
            m.append(". Event Hubs numbers a partition's events without holes, so a Capture file is missing from"
                    + " the archive, or one was cut short (a copy or upload cut exactly at an Avro block boundary"
                    + " reads as complete).");
        }
        return m.toString();
    }

    @Override
    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
        return poll(BatchLimits.of(maxRecords, maxWait));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Waits for the decoders' first chunk (the files are all there, so a poll returns nothing only
     * at the end of the archive), then gathers chunks until the batch is full (records or bytes), the
     * first record has waited the limits' delay, or the limits' wait is over. Records of a chunk left
     * out come first in the next poll.
     */
    @Override
    public List<SourceRecord> poll(BatchLimits limits) {
        int maxRecords = limits.maxRecords();
        StreamLakeException failed = failure;
        if (failed != null) {
            failure = null;
            ended = true;
            throw failed;
        }
        List<SourceRecord> out = new ArrayList<>(Math.min(maxRecords, 65_536));
        long deadline = System.nanoTime() + limits.maxWaitNanos();
        long first = System.nanoTime();
        long bytes = 0;
        try {
            // The files are all there: wait for the decoder for the first chunk, so that a poll returns
            // nothing only at the end of the archive; then up to maxWait (and the delay) for the batch to
            // fill, as a live source does, since full batches mean fewer commits and no small files to compact.
            while (out.size() < maxRecords) {
                if (!pending.isEmpty()) {
                    long b = BatchLimits.bytes(pending.peek());
                    if (!limits.admits(out.size(), bytes, b)) {
                        break; // full: the rest of the chunk waits for the next poll
                    }
                    bytes += b;
                    out.add(pending.poll());
                    continue;
                }
                if (ended) {
                    break;
                }
                Object item;
                if (out.isEmpty()) {
                    item = queue.take();
                } else {
                    long wait = limits.waitLeftNanos(first, deadline, System.nanoTime());
                    if (wait == 0) {
                        break; // the first record has waited the delay, or the poll its wait
                    }
                    item = queue.poll(wait, TimeUnit.NANOSECONDS);
                }
                if (item == null) {
                    break;
                }
                if (out.isEmpty()) {
                    first = System.nanoTime();
                }
                if (item == END) {
                    ended = --running == 0; // every thread puts one END
                } else if (item instanceof Throwable t) {
                    StreamLakeException e = t instanceof StreamLakeException s ? s
                            : CaptureErrors.decodeFailed(source.name(), location, t);
                    if (out.isEmpty()) {
                        ended = true;
                        throw e;
                    }
                    failure = e; // the records before it are committed first, so that a restart continues there
                    break;
                } else if (item instanceof Gap g) {
                    report(g);
                } else {
                    @SuppressWarnings("unchecked")
                    List<SourceRecord> chunk = (List<SourceRecord>) item;
                    pending.addAll(chunk); // taken above, record by record, as the limits admit
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /** Reports a gap the user chose to skip, once per run even if a rewind reads past it again. */
    private void report(Gap g) {
        if (reported.add(g.gap())) {
            LOG.warn("source '{}': {} Continuing at {}, as CaptureSource.skipLostPositions() asks", source.name(),
                    g.description(), g.gap().toPosition());
            context.reportGap(g.gap());
        }
    }

    @Override
    public void rewind() {
        stop();
        start();
    }

    @Override
    public boolean caughtUp() {
        return ended && pending.isEmpty();
    }

    @Override
    public void close() {
        stop();
    }

    private void stop() {
        List<Thread> threads = workers;
        workers = List.of();
        threads.forEach(Thread::interrupt);
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (Thread t : threads) {
            try {
                while (t.isAlive() && System.nanoTime() < deadline) {
                    queue.clear(); // unblocks a put
                    t.join(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        queue.clear();
        pending.clear();
        failure = null; // the decoding starts again from the markers and finds it again
    }
}
