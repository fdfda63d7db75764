package io.streamlake.core.capture;

import io.streamlake.core.storage.StorageLocation;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.file.DataFileStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the Capture files of one event hub under a root and orders each partition's files. */
final class CaptureFiles {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureFiles.class);
    static final String SUFFIX = ".avro";

    private CaptureFiles() {
    }

    /**
     * One Capture file with a record in it.
     *
     * @param first its first sequence number
     * @param last its last sequence number, or {@link Long#MAX_VALUE} where only decoding it would tell
     * @param previous the position of the partition's event right before this file's first, where the
     *     file's header says so (our archive), else {@link Long#MIN_VALUE}
     * @param contiguous true for an Event Hubs Capture file, whose positions are sequence numbers
     *     without holes, so that each event must follow the partition's previous one by exactly 1;
     *     false for our archive's files, whose positions are the source's and may have holes
     */
    record CaptureFile(Path path, String name, SourcePartition partition, long first, long last, long previous,
            boolean contiguous) {
        boolean lastKnown() {
            return last != Long.MAX_VALUE;
        }

        boolean previousKnown() {
            return previous != Long.MIN_VALUE;
        }
    }

    /**
     * Lists the event hub's files, reads each one's header and first record, and orders each
     * partition's files by their first sequence number (not by name: names need not sort in
     * sequence order, and other layouts may put the time anywhere). Files without records are dropped.
     *
     * @return the files by partition, in sequence order
     */
    static Map<SourcePartition, List<CaptureFile>> list(CaptureSource source, StorageLocation location) {
        CaptureLayout layout = source.layout();
        Map<SourcePartition, List<CaptureFile>> byPartition = new TreeMap<>(
                Comparator.comparingInt(SourcePartition::id));
        Map<Integer, SourcePartition> partitions = new TreeMap<>();
        Path root = location.path();
        String rootPath = root.toUri().getPath();
        String prefix = rootPath.endsWith("/") ? rootPath : rootPath + "/";
        int unmatched = 0;
        int empty = 0;
        try {
            FileSystem fs = location.fileSystem();
            if (!fs.exists(root)) {
                throw CaptureErrors.archiveFolderMissing(location, layout);
            }
            RemoteIterator<LocatedFileStatus> files = fs.listFiles(root, true);
            while (files.hasNext()) {
                LocatedFileStatus status = files.next();
                Path p = status.getPath();
                String fileName = p.getName();
                if (!status.isFile() || !fileName.endsWith(SUFFIX) || fileName.startsWith(".")
                        || fileName.startsWith("_")) {
                    continue; // not a Capture file, or an archive file still being written
                }
                String path = p.toUri().getPath();
                if (!path.startsWith(prefix)) {
                    continue;
                }
                String relative = path.substring(prefix.length(), path.length() - SUFFIX.length());
                CaptureLayout.Match m = layout.match(relative);
                if (m == null) {
                    unmatched++;
                    continue;
                }
                if ((m.eventHub() != null && !m.eventHub().equals(source.eventHubName()))
                        || (source.namespace().isPresent() && m.namespace() != null
                                && !m.namespace().equals(source.namespace().get()))) {
                    continue;
                }
                int id = partitionId(m.partitionId(), relative, layout);
                SourcePartition partition = partitions.computeIfAbsent(id,
                        i -> new SourcePartition(source.name(), i));
                CaptureFile f = probe(fs, p, relative + SUFFIX, partition, status.getLen(), location);
                if (f == null) {
                    empty++;
                } else {
                    byPartition.computeIfAbsent(partition, k -> new ArrayList<>()).add(f);
                }
            }
        } catch (IOException e) {
            throw CaptureErrors.listingFailed(source.name(), location, e);
        }
        byPartition.values().forEach(l -> l.sort(Comparator.comparingLong(CaptureFile::first)
                .thenComparing(f -> f.path().toString())));
        int count = byPartition.values().stream().mapToInt(List::size).sum();
        if (unmatched > 0) {
            LOG.warn("Capture archive {}: {} .avro files do not fit the layout {} and were not read; set"
                    + " CaptureSource.withLayout to your Capture file name format if they hold events of event hub '{}'",
                    location, unmatched, layout, source.eventHubName());
        }
        LOG.info("Capture archive {}: {} files with events of event hub '{}' in {} partitions ({} empty files)",
                location, count, source.eventHubName(), byPartition.size(), empty);
        return byPartition;
    }

    private static int partitionId(String text, String relative, CaptureLayout layout) {
        try {
            int id = Integer.parseInt(text);
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw CaptureErrors.badPartitionId(relative, text, layout);
    }

    /** Reads the header and, unless our archive wrote the sequence range there, the first record. */
    private static @Nullable CaptureFile probe(FileSystem fs, Path p, String name, SourcePartition partition,
            long length, StorageLocation location) throws IOException {
        if (length == 0) {
            return null; // not even a header: nothing was captured
        }
        EventDataReader decoder = new EventDataReader(partition);
        try (WholeFileCheck in = new WholeFileCheck(fs.open(p));
                DataFileStream<@Nullable SourceRecord> avro = new DataFileStream<>(in, decoder)) {
            byte[] first = avro.getMeta(CaptureFormat.FIRST_SEQUENCE_META);
            byte[] last = avro.getMeta(CaptureFormat.LAST_SEQUENCE_META);
            if (first != null && last != null) {
                // Our archive: even a file cut before its first block is known by its header, so it is
                // read, found short of its last sequence number and refused, never taken for an empty window.
                String previous = avro.getMetaString(CaptureFormat.PREVIOUS_SEQUENCE_META);
                return new CaptureFile(p, name, partition, Long.parseLong(avro.getMetaString(
                        CaptureFormat.FIRST_SEQUENCE_META)), Long.parseLong(
                                avro.getMetaString(
                                        CaptureFormat.LAST_SEQUENCE_META)),
                        previous == null ? Long.MIN_VALUE : Long.parseLong(previous), false);
            }
            if (!avro.hasNext()) {
                if (!in.complete()) {
                    throw new IOException("the file is truncated: it ends in the middle of its first Avro block"
                            + " (a partial upload or copy?)");
                }
                // A Capture window without events; or a file cut right after its header, which no byte
                // tells apart: the sequence check of the partition's next file (or of the live source)
                // finds its events missing.
                return null;
            }
            SourceRecord r = avro.next();
            return new CaptureFile(p, name, partition, r == null ? Long.MIN_VALUE : r.position(), Long.MAX_VALUE,
                    Long.MIN_VALUE, true);
        } catch (FileNotFoundException e) {
            return null; // removed since the listing
        } catch (IOException | RuntimeException e) {
            throw CaptureErrors.fileUnreadable(partition, name, location, e);
        }
    }
}
