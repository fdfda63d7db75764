package io.streamlake.core.capture;

import io.streamlake.core.azure.AzureStorage;
import io.streamlake.core.storage.StorageLocation;
import io.streamlake.source.RecordArchive;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes each batch as one Capture Avro file per partition at
 * {@code {root}/{namespace}/{stream}/{partition}/{yyyy}/{MM}/{dd}/{HH}/{mm}/{ss}-{first sequence number}.avro},
 * the time being the first record's timestamp (UTC). The name depends only on the batch's first
 * record, so that a batch written again after a crash before its bronze commit, which starts at the
 * same position, replaces its earlier file. Each file is written under a name starting with
 * {@code _} and renamed when complete, so a reader never sees half a file; its header holds the
 * first and last sequence numbers, so a backfill orders and skips it without decoding it and knows
 * it whole only if it reaches the last, and the partition's bronze marker before the batch, so a
 * backfill finds a missing file even where the source's positions have holes (Kafka transactions).
 * Deflate-compressed (level 1, fast), as Capture's own files are.
 * Made by {@link CaptureArchive#at}; the engine knows it only as a {@link RecordArchive}.
 */
final class CaptureArchiveWriter implements RecordArchive {
    private final StorageLocation location;
    private final String namespace;

    private CaptureArchiveWriter(StorageLocation location, String namespace) {
        this.location = location;
        this.namespace = namespace;
    }

    /**
     * @param root the archive's root folder or URI
     * @param namespace the {@code {Namespace}} folder
     * @param storageOptions Hadoop settings (secrets)
     * @return the archive
     */
    static RecordArchive open(String root, String namespace, Map<String, String> storageOptions) {
        return new CaptureArchiveWriter(AzureStorage.locate(root, storageOptions), namespace);
    }

    @Override
    public void write(List<SourceRecord> records, Map<SourcePartition, Long> committed) {
        Map<SourcePartition, List<SourceRecord>> byPartition = new LinkedHashMap<>();
        for (SourceRecord r : records) {
            byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r);
        }
        try {
            FileSystem fs = location.fileSystem();
            for (Map.Entry<SourcePartition, List<SourceRecord>> e : byPartition.entrySet()) {
                writeFile(fs, e.getKey(), e.getValue(), committed.getOrDefault(e.getKey(), -1L));
            }
        } catch (IOException | RuntimeException e) {
            throw CaptureErrors.archiveWriteFailed(location, e);
        }
    }

    private void writeFile(FileSystem fs, SourcePartition partition, List<SourceRecord> records, long previous)
            throws IOException {
        SourceRecord first = records.get(0);
        SourceRecord last = records.get(records.size() - 1);
        ZonedDateTime t = first.timestamp().atZone(ZoneOffset.UTC);
        Path folder = new Path(location.path(), String.format("%s/%s/%d/%04d/%02d/%02d/%02d/%02d", namespace,
                partition.stream(), partition.id(), t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(),
                t.getMinute()));
        String name = String.format("%02d-%020d", t.getSecond(), first.position()) + CaptureFiles.SUFFIX;
        Path target = new Path(folder, name);
        Path temporary = new Path(folder, "_" + name + ".tmp");
        try (OutputStream out = fs.create(temporary, true);
                DataFileWriter<SourceRecord> avro = new DataFileWriter<>(new EventDataWriter())) {
            avro.setCodec(CodecFactory.deflateCodec(1));
            avro.setMeta(CaptureFormat.FIRST_SEQUENCE_META, Long.toString(first.position()));
            avro.setMeta(CaptureFormat.LAST_SEQUENCE_META, Long.toString(last.position()));
            if (previous >= 0) {
                avro.setMeta(CaptureFormat.PREVIOUS_SEQUENCE_META, Long.toString(previous));
            }
            avro.create(CaptureFormat.SCHEMA, out);
            for (SourceRecord r : records) {
                avro.append(r);
            }
        }
        if (fs.exists(target)) {
            fs.delete(target, false); // the same batch written before a crash: replaced whole
        }
        if (!fs.rename(temporary, target)) {
            throw new IOException("renaming " + temporary.getName() + " to " + name + " in " + folder + " failed");
        }
    }

    @Override
    public String toString() {
        return "CaptureArchiveWriter[" + location + ", namespace " + namespace + "]";
    }
}
