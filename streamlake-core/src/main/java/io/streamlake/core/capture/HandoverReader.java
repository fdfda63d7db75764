package io.streamlake.core.capture;

import io.streamlake.source.BatchLimits;
import io.streamlake.source.PositionGap;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the archive until it is drained, then opens the live source. The switch happens inside a
 * poll that found the archive empty: every archive record polled before was committed by then (the
 * engine commits, or rewinds, each batch before it polls again), so the live reader's start from the
 * bronze markers is exactly the archive's end.
 */
final class HandoverReader implements SourceReader {
    private static final Logger LOG = LoggerFactory.getLogger(HandoverReader.class);

    private final HandoverSource source;
    private final SourceContext context;
    // Volatile: written by the thread that polls, read by holdsFirstPartition() from the engine's others.
    private volatile @Nullable CaptureReader archive;
    private volatile @Nullable SourceReader live;
    /** Per partition, the archive's last position, until the first live record of it was checked. */
    private final Map<SourcePartition, Long> unchecked = new HashMap<>();

    HandoverReader(HandoverSource source, SourceContext context) {
        this.source = source;
        this.context = context;
        this.archive = new CaptureReader(source.archive(), context);
    }

    @Override
    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
        return poll(BatchLimits.of(maxRecords, maxWait));
    }

    /** Polls the archive, then the live reader, each within the limits. */
    @Override
    public List<SourceRecord> poll(BatchLimits limits) {
        CaptureReader a = archive;
        if (a != null) {
            List<SourceRecord> records = a.poll(limits);
            if (!records.isEmpty() || !a.caughtUp()) {
                return records;
            }
            handOver(a);
        }
        SourceReader l = live;
        if (l == null) {
            throw new IllegalStateException("closed");
        }
        List<SourceRecord> records = l.poll(limits);
        return unchecked.isEmpty() ? records : checkGaps(records);
    }

    private void handOver(CaptureReader a) {
        a.close();
        archive = null;
        if (!HandoverSource.checksItsOwnStart(source.live())) {
            // The Kafka and Event Hubs sources check their start against the hub themselves (checking here
            // too would report a skipped gap twice); for others, compare the first live record of each
            // partition after the archive's end with that end.
            for (SourcePartition p : a.partitions()) {
                OptionalLong marker = context.committedPosition(p);
                if (marker.isPresent()) {
                    unchecked.put(p, marker.getAsLong());
                }
            }
        }
        LOG.info("source '{}': the Capture archive is read; continuing with the live source {}", source.name(),
                source.live());
        live = source.live().open(context);
    }

    private List<SourceRecord> checkGaps(List<SourceRecord> records) {
        for (int i = 0; i < records.size() && !unchecked.isEmpty(); i++) {
            SourceRecord r = records.get(i);
            Long last = unchecked.get(r.partition());
            if (last == null || r.position() <= last) {
                continue; // a replay of what bronze holds, which the engine drops: the check waits for what follows
            }
            unchecked.remove(r.partition());
            if (r.position() == last + 1) {
                continue;
            }
            if (!source.skipsLostPositions()) {
                throw CaptureErrors.handoverGap(source.live(), r.partition(), last, r.position());
            }
            context.reportGap(new PositionGap(r.partition(), last + 1, r.position()));
        }
        return records;
    }

    @Override
    public void rewind() {
        SourceReader a = archive;
        if (a != null) {
            a.rewind();
        } else if (live != null) {
            live.rewind();
        }
    }

    /** The archive is read by one instance; once live, the live reader's group decides. */
    @Override
    public boolean holdsFirstPartition() {
        SourceReader l = live;
        return archive != null || l == null || l.holdsFirstPartition();
    }

    @Override
    public boolean caughtUp() {
        SourceReader l = live;
        return archive == null && l != null && l.caughtUp();
    }

    /** The live reader's lag once it reads; unknown while the archive is read (its end is the live source's start). */
    @Override
    public Map<SourcePartition, Long> recordsBehind() {
        SourceReader l = live;
        return l == null ? Map.of() : l.recordsBehind();
    }

    @Override
    public void committed(Map<SourcePartition, Long> lastPositions) {
        SourceReader l = live;
        if (l != null) {
            l.committed(lastPositions);
        }
    }

    @Override
    public void close() {
        SourceReader a = archive;
        SourceReader l = live;
        archive = null;
        live = null;
        try {
            if (a != null) {
                a.close();
            }
        } finally {
            if (l != null) {
                l.close();
            }
        }
    }
}
