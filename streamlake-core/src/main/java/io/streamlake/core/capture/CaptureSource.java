package io.streamlake.core.capture;

import io.streamlake.SecretMap;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourceReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Reads an Azure Event Hubs Capture archive (Avro files) into a pipeline: a backfill that rebuilds
 * bronze and silver after the hub's retention dropped the events, with the same partitions, positions
 * and progress markers as the live sources, so that {@link #thenLive(Source)} continues with the live
 * stream without a gap or a duplicate. An immutable description; nothing is read until the pipeline starts.
 *
 * <pre>{@code
 * CaptureSource archive = Capture.backfill("abfss://capture@acct.dfs.core.windows.net/", "orders")
 *     .withNamespace("my-namespace");                 // only if the container holds several namespaces
 * Pipeline.from(archive).bronze("lake/bronze/orders").bronzeOnly().runUntilCaughtUp();
 * }</pre>
 *
 * <p><b>Where the files are.</b> The root is the folder under which Capture's file name format
 * starts: for the default {@value Capture#DEFAULT_LAYOUT}, the container (or the folder Capture
 * writes into). Files of other event hubs (and, with {@link #withNamespace}, other namespaces) under
 * the root are left alone. A custom Capture file name format is given with {@link #withLayout}; a
 * root that points at one event hub's folder uses a layout that starts at {@code {PartitionId}}.
 * The root is a local folder or any Hadoop URI ({@code abfss://}), read with the pipeline's
 * {@linkplain io.streamlake.Pipeline#withStorageOption storage options} and those given here.
 *
 * <p><b>Records.</b> The partition is {@code (stream name, PartitionId)} with the event hub's name as
 * stream name, which is the topic name of the Kafka endpoint and the name the Event Hubs sources use;
 * the position is the SequenceNumber; the timestamp EnqueuedTimeUtc; the key the partition key
 * ({@code x-opt-partition-key}) as UTF-8; the value the Body; the headers the application Properties
 * (strings as UTF-8, bytes as they are, numbers as their text; properties without a value are left
 * out). The metadata holds {@code offset} (the Offset), {@code partition_key}, and every other system
 * property by its own name as text (bytes in Base64).
 *
 * <p><b>Order and resumption.</b> Each partition's files are ordered by their first sequence number,
 * whatever their names; each partition starts after its bronze marker, skipping whole files that end
 * at or before it without decoding them (a file ends where the partition's next file begins: Capture
 * windows do not overlap), and never emits a sequence number twice, so overlapping files do no harm.
 * Files without records, which Capture writes for idle windows, are skipped. A kill during a backfill
 * resumes where bronze ends. Files are decoded on one background thread while the engine writes.
 *
 * <p><b>Gaps.</b> Event Hubs numbers each partition's events without holes, so the backfill checks
 * that every event it reads is the partition's previous one + 1: from event to event within a file,
 * from file to file (after skipping overlaps), and from the partition's bronze marker to the first
 * event read after it. A jump means events are missing from the archive: a Capture file is missing, or
 * one was cut short (a file cut exactly at an Avro block boundary reads as complete; only the jump
 * shows it). By default the pipeline then fails with a {@link io.streamlake.exceptions.SourceException}
 * naming the partition, the missing range and how many events it holds, after every event before the
 * gap is committed; put the missing file back and restart, it continues there. With
 * {@link #skipLostPositions()} it continues after the gap and reports it. A partition's last file has
 * nothing after it in the archive: a cut there shows at the handover to the live source
 * ({@link #thenLive}), or at the next run once Capture has written a later file; an archive read alone
 * cannot tell it. Nor is the first event of a partition without a bronze marker checked, since an
 * archive may begin anywhere (Capture turned on later, old files removed). The files our own archive
 * writes ({@link CaptureArchive}) keep their last position and the bronze
 * marker before them in their header: a cut one is refused wherever it is, and a missing one found,
 * even though their positions are the source's and need not be contiguous.
 */
public final class CaptureSource implements Source {
    private final Spec spec;

    /**
     * The source's state, as {@code Pipeline} keeps its own: every option method returns a source over
     * a copy with its own component changed.
     *
     * @param streamName null for the event hub's name
     * @param namespace null to read every namespace's files
     * @param storageOptions Hadoop settings on top of the pipeline's, a {@link SecretMap}
     */
    private record Spec(
            String root,
            String eventHubName,
            @Nullable String streamName,
            @Nullable String namespace,
            String layout,
            Map<String, String> storageOptions,
            boolean skipLostPositions) {

        Spec {
            new CaptureLayout(layout); // fail on a bad layout when the source is described, not when it runs
        }

        // One list of the components (Draft, build()) instead of one per option, and each option sets only its own.
        Spec with(Consumer<Draft> change) {
            Draft draft = new Draft();
            change.accept(draft);
            return draft.build();
        }

        /** A mutable copy of this spec, for {@link #with}: each field starts as the component of its name. */
        private final class Draft {
            String root = Spec.this.root;
            String eventHubName = Spec.this.eventHubName;
            @Nullable String streamName = Spec.this.streamName;
            @Nullable String namespace = Spec.this.namespace;
            String layout = Spec.this.layout;
            Map<String, String> storageOptions = Spec.this.storageOptions;
            boolean skipLostPositions = Spec.this.skipLostPositions;

            Spec build() {
                return new Spec(root, eventHubName, streamName, namespace, layout, storageOptions, skipLostPositions);
            }
        }

        /** @return the description without storage option values */
        @Override
        public String toString() {
            return "CaptureSource[" + eventHubName + (streamName == null ? "" : " as stream " + streamName) + " under "
                    + root + (namespace == null ? "" : ", namespace " + namespace) + ", layout " + layout
                    + (storageOptions.isEmpty() ? "" : ", storage options " + storageOptions.keySet())
                    + (skipLostPositions ? ", skip lost positions" : "") + "]";
        }
    }

    private CaptureSource(Spec spec) {
        this.spec = spec;
    }

    /**
     * @param root the folder under which Capture's file name format starts
     * @param eventHubName the event hub whose files are read (a checked {@link #name(String, String)})
     * @return a source with the default layout, reading every namespace
     */
    static CaptureSource of(String root, String eventHubName) {
        return new CaptureSource(new Spec(root, eventHubName, null, null, Capture.DEFAULT_LAYOUT, Map.of(), false));
    }

    /**
     * @param namespaceName read only files whose {@code {Namespace}} folder is this
     * @return a copy with this filter
     */
    public CaptureSource withNamespace(String namespaceName) {
        return new CaptureSource(spec.with(d -> d.namespace = name("namespace", namespaceName)));
    }

    /**
     * @param captureFileNameFormat the Capture file name format, with the tokens {@code {Namespace}},
     *     {@code {EventHub}}, {@code {PartitionId}}, {@code {Year}}, {@code {Month}}, {@code {Day}},
     *     {@code {Hour}}, {@code {Minute}}, {@code {Second}} (only {@code {PartitionId}} is required);
     *     files are the format followed by {@code .avro}
     * @return a copy with this layout
     */
    public CaptureSource withLayout(String captureFileNameFormat) {
        Objects.requireNonNull(captureFileNameFormat, "captureFileNameFormat");
        return new CaptureSource(spec.with(d -> d.layout = captureFileNameFormat));
    }

    /**
     * Names the stream of the records differently from the event hub, for a pipeline whose live source
     * is a Kafka topic of another name (a mirror): positions and markers are per stream name.
     *
     * @param stream the stream (topic) name the records and progress markers use
     * @return a copy with this stream name
     */
    public CaptureSource withStreamName(String stream) {
        return new CaptureSource(spec.with(d -> d.streamName = name("stream", stream)));
    }

    /**
     * Adds a Hadoop setting for reading the archive, on top of the pipeline's storage options (for an
     * archive in another storage account). Values are secrets: never logged or printed.
     *
     * @param key a Hadoop configuration key
     * @param value its value
     * @return a copy with this setting
     */
    public CaptureSource withStorageOption(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Map<String, String> copy = new LinkedHashMap<>(spec.storageOptions());
        copy.put(key, value);
        return new CaptureSource(spec.with(d -> d.storageOptions = SecretMap.of(copy)));
    }

    /**
     * Reads the archive to its end, then continues with the live source from the markers the
     * archive's events left, in one pipeline. The live source's stream name must be this source's
     * {@link #name()} (see {@link #withStreamName}), since progress is kept per stream name.
     *
     * <pre>{@code
     * Source orders = Capture.backfill(captureRoot, "orders").thenLive(EventHubs.kafka(connectionString, "orders"));
     * Pipeline.from(orders).bronze(bronze).silver(silver, "order_id").withSchema(schema).start();
     * }</pre>
     *
     * @param live the live source: a {@link io.streamlake.core.kafka.KafkaSource} of one topic (Event
     *     Hubs' Kafka endpoint, whose offsets are the sequence numbers), or any source whose positions
     *     are the event hub's sequence numbers
     * @return the combined source
     * @throws ConfigurationException if the stream names differ
     */
    public HandoverSource thenLive(Source live) {
        return HandoverSource.of(this, live, spec.skipLostPositions());
    }

    /**
     * When the archive lacks events of a partition (a Capture file missing or cut short, found where
     * the sequence numbers jump), continue after the gap instead of failing. The lost range is logged
     * at error level and listed in {@link io.streamlake.PipelineProgress#gaps()}; every other event is
     * still ingested exactly once. With {@link #thenLive}, the combined source skips too, at the
     * handover as well.
     *
     * <pre>{@code
     * PipelineProgress p = Pipeline.from(Capture.backfill(root, "orders").skipLostPositions())
     *     .bronze(bronze).bronzeOnly().runUntilCaughtUp();
     * p.gaps().forEach(gap -> alert("lost " + gap.count() + " events of " + gap.partition()));
     * }</pre>
     *
     * @return a copy that skips and reports missing sequence numbers
     */
    public CaptureSource skipLostPositions() {
        return new CaptureSource(spec.with(d -> d.skipLostPositions = true));
    }

    /** @return true if missing sequence numbers are skipped and reported rather than failing */
    public boolean skipsLostPositions() {
        return spec.skipLostPositions();
    }

    /** @return the root folder or URI */
    public String root() {
        return spec.root();
    }

    /** @return the event hub whose files are read */
    public String eventHubName() {
        return spec.eventHubName();
    }

    /** @return the namespace filter, if any */
    public Optional<String> namespace() {
        return Optional.ofNullable(spec.namespace());
    }

    CaptureLayout layout() {
        return new CaptureLayout(spec.layout());
    }

    Map<String, String> storageOptions(SourceContext context) {
        Map<String, String> merged = new LinkedHashMap<>(context.storageOptions());
        merged.putAll(spec.storageOptions());
        return SecretMap.of(merged);
    }

    /** @return the stream name of the records: the event hub's name unless {@link #withStreamName} changed it */
    @Override
    public String name() {
        String stream = spec.streamName();
        return stream != null ? stream : spec.eventHubName();
    }

    @Override
    public SourceReader open(SourceContext context) {
        return new CaptureReader(this, context);
    }

    static String name(String what, String value) {
        Objects.requireNonNull(value, what);
        if (value.isBlank() || value.contains("/")) {
            throw CaptureErrors.badName(what, value);
        }
        return value;
    }

    /** @return the description without storage option values */
    @Override
    public String toString() {
        return spec.toString();
    }
}
