package io.streamlake.core.capture;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.GapCheckingSource;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourceReader;
import java.util.Objects;

/**
 * A Capture archive followed by the live stream, made by {@link CaptureSource#thenLive(Source)}:
 * rebuilds the tables from the archive, then continues live from the markers the archive left,
 * without a gap or a duplicate. Every start reads the archive first (files already in bronze are
 * skipped without decoding them), so a restart before, during or after the handover resumes in the
 * right place.
 *
 * <pre>{@code
 * Source orders = Capture.backfill(captureRoot, "orders").thenLive(EventHubs.kafka(connectionString, "orders"));
 * Pipeline.from(orders).bronze(bronze).bronzeOnly().start();
 * }</pre>
 *
 * <p><b>Gaps.</b> If the live stream no longer holds the event after the archive's last one of a
 * partition (the hub's retention passed it, and Capture did not keep it, or the archive's last file
 * was cut short), the pipeline fails by default, exactly as a Kafka source does for an expired
 * position, naming the partition and the lost range; nothing is skipped. With
 * {@link #skipLostPositions()} it continues at the earliest event the live stream holds and reports
 * the gap in the logs and {@link io.streamlake.PipelineProgress#gaps()}; gaps inside the archive
 * (see {@link CaptureSource}) are then skipped and reported too. A live source that is a
 * {@link GapCheckingSource} detects the gap itself (a Kafka source, as for Event Hubs' Kafka endpoint
 * whose offsets are the event hub's sequence numbers, from the earliest offset the broker holds; the
 * native Event Hubs source from the first sequence number the hub delivers) and is given the skip
 * option with this one. For other live sources, whose positions must be the event hub's sequence
 * numbers, a gap is a partition's first live event after the archive's last coming later than the
 * next sequence number.
 * A last archive file cut short whose events the live stream still holds loses nothing: they are
 * read from the live stream.
 */
public final class HandoverSource implements Source {
    private final Spec spec;

    /**
     * The source's state, as {@code Pipeline} keeps its own. Only {@link #of} makes one, since the
     * skip option reaches into the archive and the live source as well.
     *
     * @param archive the archive, skipping lost positions if this source does
     * @param live the live source, told to skip lost positions if this source does and it checks them itself
     */
    private record Spec(CaptureSource archive, Source live, boolean skipLostPositions) {
    }

    private HandoverSource(Spec spec) {
        this.spec = spec;
    }

    /**
     * @param archive the Capture archive, read first
     * @param live the live source, whose stream name must be the archive's
     * @param skipLostPositions whether lost positions are skipped and reported rather than failing
     * @return the combined source
     * @throws ConfigurationException if the stream names differ
     */
    static HandoverSource of(CaptureSource archive, Source live, boolean skipLostPositions) {
        Objects.requireNonNull(archive, "archive");
        Objects.requireNonNull(live, "live");
        if (!live.name().equals(archive.name())) {
            throw CaptureErrors.streamNamesDiffer(live, archive.name());
        }
        return new HandoverSource(new Spec(
                skipLostPositions && !archive.skipsLostPositions() ? archive.skipLostPositions() : archive,
                skipLostPositions ? skipping(live) : live, skipLostPositions));
    }

    /** Live sources that check the position after each partition's bronze marker themselves. */
    static boolean checksItsOwnStart(Source live) {
        return live instanceof GapCheckingSource;
    }

    /** The live source, told to skip lost positions if it checks them itself (else it would fail on its own). */
    private static Source skipping(Source live) {
        return live instanceof GapCheckingSource checking ? checking.skipLostPositions() : live;
    }

    /**
     * When the live stream no longer holds the events right after the archive's end, continue at the
     * earliest event it holds instead of failing; the lost range is reported (see the class comment).
     * Applies to the whole source: gaps inside the archive are skipped and reported as well.
     *
     * @return a copy that skips lost positions
     */
    public HandoverSource skipLostPositions() {
        // through of(): skipping changes the archive and the live source too, not only the flag
        return of(spec.archive(), spec.live(), true);
    }

    /** @return the archive read first */
    public CaptureSource archive() {
        return spec.archive();
    }

    /** @return the live source read after the archive */
    public Source live() {
        return spec.live();
    }

    /** @return true if lost positions at the handover are skipped and reported rather than failing */
    public boolean skipsLostPositions() {
        return spec.skipLostPositions();
    }

    @Override
    public String name() {
        return spec.archive().name();
    }

    @Override
    public SourceReader open(SourceContext context) {
        return new HandoverReader(this, context);
    }

    @Override
    public String toString() {
        return "HandoverSource[" + spec.archive() + " then " + spec.live()
                + (spec.skipLostPositions() ? ", skip lost positions" : "") + "]";
    }
}
