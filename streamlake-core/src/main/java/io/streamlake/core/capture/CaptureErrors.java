package io.streamlake.core.capture;

import io.streamlake.core.storage.StorageLocation;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.Source;
import io.streamlake.source.SourcePartition;
import java.util.List;

/**
 * The capture package's failures, written once: each message says what failed, why, and what to
 * do, and names the archive, the file or the partition. Messages that quote a cause go through the
 * archive location's redactor (its storage options are secrets). Sources' failures carry the source's
 * name and, where one partition failed, the partition. Sites throw what these return:
 *
 * <pre>{@code
 * throw CaptureErrors.fileUnreadable(partition, name, location, e);
 * }</pre>
 */
final class CaptureErrors {
    private CaptureErrors() {
    }

    // ---- describing a backfill or an archive ----

    static ConfigurationException blankRoot() {
        return new ConfigurationException("the Capture archive root must not be blank; give a local folder or a"
                + " Hadoop URI such as abfss://capture@account.dfs.core.windows.net/");
    }

    /** @param what {@code namespace}, {@code stream} or {@code event hub} */
    static ConfigurationException badName(String what, String value) {
        return new ConfigurationException("the " + what + " name '" + value + "' must be non-blank and hold no '/'");
    }

    /** @param tokens the tokens a layout may use */
    static ConfigurationException unknownLayoutToken(String format, String token, List<String> tokens) {
        return new ConfigurationException("Capture layout '" + format + "' has an unknown token {" + token
                + "}; the tokens are " + tokens.stream().map(t -> "{" + t + "}").toList());
    }

    static ConfigurationException layoutWithoutPartitionId(String format) {
        return new ConfigurationException("Capture layout '" + format + "' has no {PartitionId}: the backfill"
                + " needs it to tell the partitions apart");
    }

    static ConfigurationException streamNamesDiffer(Source live, String archiveName) {
        String liveName = live.name();
        return new ConfigurationException("the live source '" + liveName + "' (" + live + ") does not read the"
                + " stream '" + archiveName + "' that the Capture archive's events are filed under: progress"
                + " is kept per stream name, so the live source would start over instead of continuing after"
                + " the archive. Read the event hub's own topic (the Kafka topic of an event hub is its name),"
                + " or map the archive with CaptureSource.withStreamName(\"" + liveName + "\") if the live"
                + " topic is a copy of the event hub under another name");
    }

    static ConfigurationException blankArchivePath() {
        return new ConfigurationException("the capture archive path must not be blank; give a local folder or a"
                + " Hadoop URI such as abfss://archive@account.dfs.core.windows.net/");
    }

    static ConfigurationException badArchiveNamespace(String namespace) {
        return new ConfigurationException("capture archive namespace '" + namespace + "' must be a non-blank"
                + " folder name without '/'");
    }

    static ConfigurationException avroMissing(String namespace, Throwable e) {
        return new ConfigurationException("the capture archive of namespace " + namespace + " needs Apache Avro,"
                + " which is not on the class path (" + e.getMessage() + "): add the dependency"
                + " org.apache.avro:avro (the version streamlake-core declares), or drop the archive", e);
    }

    // ---- listing and reading the archive ----

    static ConfigurationException archiveFolderMissing(StorageLocation location, CaptureLayout layout) {
        return new ConfigurationException("the Capture archive folder " + location + " does not exist; point"
                + " the backfill at the folder that holds the layout " + layout + " (for Event Hubs Capture,"
                + " the container root)");
    }

    /**
     * @param relative the file's path under the root, without {@code .avro}
     * @param text what stands in the place of {@code {PartitionId}}
     */
    static ConfigurationException badPartitionId(String relative, String text, CaptureLayout layout) {
        return new ConfigurationException("Capture file " + relative + " has partition id '" + text + "' in the"
                + " place of {PartitionId} of the layout " + layout + "; Event Hubs partition ids are numbers: check"
                + " the layout (CaptureSource.withLayout) and the root the backfill points at");
    }

    static SourceException listingFailed(String source, StorageLocation location, Exception e) {
        return new SourceException("listing the Capture archive " + location + " failed: "
                + location.redact(e.getMessage()) + "; check the path and the storage options (credentials)",
                location.sanitize(e), source, null);
    }

    /** A file whose header (or first event) cannot be read while the archive is listed. */
    static SourceException fileUnreadable(SourcePartition partition, String name, StorageLocation location,
            Exception e) {
        return new SourceException("Capture file " + name + " under " + location + " cannot be read: "
                + location.redact(String.valueOf(e.getMessage())) + "; it is not an Event Hubs Capture Avro file"
                + " or it is damaged. Move it out of the archive, or fix it, and restart", location.sanitize(e),
                partition.stream(), partition);
    }

    /** A file that fails while its events are read. */
    static SourceException readFailed(SourcePartition partition, String name, StorageLocation location,
            Exception e) {
        return new SourceException("reading Capture file " + name + " under " + location + " failed: "
                + location.redact(String.valueOf(e.getMessage())) + ". It is damaged or not an Event Hubs"
                + " Capture file; every event before it is safe in bronze. Fix or move the file and restart",
                location.sanitize(e), partition.stream(), partition);
    }

    /** A failure on a decoding thread that names no file. */
    static SourceException decodeFailed(String source, StorageLocation location, Throwable t) {
        return new SourceException("decoding the Capture archive " + location + " failed: "
                + location.redact(String.valueOf(t.getMessage())), location.sanitize(t), source, null);
    }

    /**
     * @param description what is missing and where the archive shows it
     * @param floor the last sequence number ingested before the gap
     * @param next the first sequence number after it
     */
    static SourceException archiveGap(SourcePartition partition, String description, long floor, long next) {
        return new SourceException(description + " Nothing of " + partition + " after "
                + floor + " was ingested; every event before the gap is in bronze. Find the"
                + " missing Capture file (or a whole copy of the cut one), put it in the archive and"
                + " restart: the backfill continues after " + floor + ". Or, to accept the loss,"
                + " use CaptureSource.skipLostPositions() (HandoverSource.skipLostPositions() with"
                + " a live source) to continue at " + next + "; the gap is then reported"
                + " in the logs and the run's progress", null, partition.stream(), partition);
    }

    /**
     * @param last the archive's last sequence number of the partition
     * @param next the earliest sequence number the live source returned
     */
    static SourceException handoverGap(Source live, SourcePartition partition, long last, long next) {
        return new SourceException("the live source " + live + " no longer holds sequence numbers "
                + (last + 1) + " to " + (next - 1) + " of partition " + partition + ": the"
                + " Capture archive ends at " + last + " and the earliest event the live source returned is "
                + next + ", so " + (next - last - 1) + " events are in neither (the hub's"
                + " retention passed them before Capture kept them, or the archive's last file of the"
                + " partition was cut short). Nothing was skipped. Recover them (another Capture destination, a"
                + " copy) into the archive and restart, or use HandoverSource.skipLostPositions() to continue at "
                + next + " (the gap is then reported in the logs and the run's progress)", null, partition.stream(),
                partition);
    }

    // ---- writing the archive ----

    static SinkException archiveWriteFailed(StorageLocation location, Exception e) {
        return new SinkException("writing the Capture archive under " + location + " failed: "
                + location.redact(String.valueOf(e.getMessage())) + "; the batch was not committed to bronze"
                + " and will be read again after a restart. Check the archive path and its storage options",
                location.sanitize(e));
    }
}
