package io.streamlake.core.capture;

import io.streamlake.core.capture.CaptureFiles.CaptureFile;
import io.streamlake.core.delta.StorageLocation;
import io.streamlake.exceptions.SourceException;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 */
final class CaptureReader implements SourceReader {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureReader.class);
    private static final int CHUNK = 4096;
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

    CaptureReader(CaptureSource source, SourceContext context) {
        this.source = source;
        this.context = context;
        this.location = StorageLocation.of(source.root(), source.storageOptions(context));
        this.files = CaptureFiles.list(source, location);
        start();
    }

    /** @return the partitions the archive holds events of */
    java.util.Set<SourcePartition> partitions() {
        return files.keySet();
    }

    private void start() {
        Map<SourcePartition, Long> floors = new HashMap<>();
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
            Thread t = new Thread(() -> decode(share, shareFloors, q),
                    "streamlake-capture-" + source.name() + (threads == 1 ? "" : "-" + i));
            t.setDaemon(true);
            started.add(t);
        }
        workers = started;
        running = threads;
        started.forEach(Thread::start);
    }

    /** Reads the partitions' files round-robin, one file at a time, so that batches mix partitions. */
    private void decode(List<ArrayDeque<CaptureFile>> plan, Map<SourcePartition, Long> floors,
            BlockingQueue<Object> q) {
        try {
            FileSystem fs = location.fileSystem();
            Map<SourcePartition, EventDataReader> decoders = new HashMap<>();
            List<SourceRecord> chunk = new ArrayList<>(CHUNK);
            boolean more = true;
            while (more) {
                more = false;
                for (ArrayDeque<CaptureFile> files : plan) {
                    CaptureFile f = files.poll();
                    if (f == null) {
                        continue;
                    }
                    more = true;
                    EventDataReader decoder = decoders.computeIfAbsent(f.partition(), EventDataReader::new);
                    decoder.floor = floors.get(f.partition());
                    decoder.file = f.name();
                    chunk = readFile(fs, f, decoder, chunk, q);
                    floors.put(f.partition(), decoder.floor);
                }
            }
            if (!chunk.isEmpty()) {
                q.put(chunk);
            }
            q.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // a rewind or close stopped us
        } catch (RuntimeException | IOException | Error e) {
            try {
                q.put(e);
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private List<SourceRecord> readFile(FileSystem fs, CaptureFile f, EventDataReader decoder,
            List<SourceRecord> chunk, BlockingQueue<Object> q) throws InterruptedException {
        List<SourceRecord> c = chunk;
        try (WholeFileCheck in = new WholeFileCheck(fs.open(f.path()));
                DataFileStream<@Nullable SourceRecord> avro = new DataFileStream<>(in, decoder)) {
            while (avro.hasNext()) {
                SourceRecord r = avro.next(null);
                if (r == null) {
                    continue; // at or before what was already emitted
                }
                decoder.floor = r.position();
                c.add(r);
                if (c.size() == CHUNK) {
                    q.put(c);
                    c = new ArrayList<>(CHUNK);
                }
            }
            if (!in.complete()) {
                // Avro ends a file cut in the middle of a block without an error: never drop its tail silently
                throw new IOException("the file is truncated: it ends in the middle of an Avro block, after sequence"
                        + " number " + decoder.floor + " (a partial upload or copy?); the events after that in it"
                        + " are missing");
            }
            return c;
        } catch (IOException | RuntimeException e) {
            throw new SourceException("reading Capture file " + f.name() + " under " + location + " failed: "
                    + location.redact(String.valueOf(e.getMessage())) + ". It is damaged or not an Event Hubs"
                    + " Capture file; every event before it is safe in bronze. Fix or move the file and restart",
                    location.sanitize(e));
        }
    }

    @Override
    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
        List<SourceRecord> out = new ArrayList<>(Math.min(maxRecords, 65_536));
        long deadline = System.nanoTime() + maxWait.toNanos();
        try {
            // The files are all there: wait for the decoder for the first chunk, so that a poll returns
            // nothing only at the end of the archive; then up to maxWait for the batch to fill, as a
            // live source does, since full batches mean fewer commits and no small files to compact.
            while (out.size() < maxRecords) {
                if (!pending.isEmpty()) {
                    while (out.size() < maxRecords && !pending.isEmpty()) {
                        out.add(pending.poll());
                    }
                    continue;
                }
                if (ended) {
                    break;
                }
                Object item = out.isEmpty() ? queue.take()
                        : queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (item == null) {
                    break;
                }
                if (item == END) {
                    ended = --running == 0; // every thread puts one END
                } else if (item instanceof Throwable t) {
                    ended = true;
                    throw t instanceof StreamLakeException s ? s : new SourceException("decoding the Capture archive "
                            + location + " failed: " + location.redact(t.getMessage()), location.sanitize(t));
                } else {
                    @SuppressWarnings("unchecked")
                    List<SourceRecord> chunk = (List<SourceRecord>) item;
                    int room = maxRecords - out.size();
                    if (chunk.size() <= room) {
                        out.addAll(chunk);
                    } else {
                        out.addAll(chunk.subList(0, room));
                        pending.addAll(chunk.subList(room, chunk.size()));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
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
    }
}
