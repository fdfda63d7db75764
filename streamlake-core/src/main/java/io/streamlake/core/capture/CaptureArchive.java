package io.streamlake.core.capture;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.RecordArchive;
import java.util.Map;
import java.util.Objects;

/**
 * An archive of raw events in the layout and schema of Azure Event Hubs Capture
 * ({@code {root}/{namespace}/{stream}/{partition}/yyyy/MM/dd/HH/mm/ss-...avro}), for
 * {@link io.streamlake.Pipeline#withArchive(RecordArchive)}: a source without Capture (a Kafka topic)
 * keeps an archive that {@link Capture#backfill} rebuilds tables from after the source's retention
 * dropped the events. The event hub folder is each record's stream (topic) name, so a backfill maps
 * the events back to the same partitions and progress markers. Needs {@code org.apache.avro:avro} on
 * the class path. Making one touches no storage.
 *
 * <pre>{@code
 * Pipeline.from(KafkaSource.topics("broker:9092", "orders"))
 *     .bronze("lake/bronze/orders").bronzeOnly()
 *     .withName("orders-ingest")
 *     .withArchive(CaptureArchive.at("abfss://archive@acct.dfs.core.windows.net/", "orders-ingest",
 *         AdlsGen2.entraId("acct")));
 * // later: Pipeline.from(Capture.backfill("abfss://archive@acct.dfs.core.windows.net/orders-ingest", "orders"))...
 * }</pre>
 */
public final class CaptureArchive {
    /** A class of Apache Avro, the optional dependency the archive's files are written with. */
    private static final String AVRO_CLASS = "org.apache.avro.file.DataFileWriter";

    private CaptureArchive() {
    }

    /**
     * An archive on local disk, or on storage that needs no settings.
     *
     * @param root local folder or Hadoop URI under which the namespace folder is
     * @param namespace the {@code {Namespace}} folder under the root, such as the pipeline's name
     * @return the archive, for {@link io.streamlake.Pipeline#withArchive(RecordArchive)}
     * @throws ConfigurationException for a blank root or namespace, a namespace with '/', or no Avro on
     *     the class path
     */
    public static RecordArchive at(String root, String namespace) {
        return at(root, namespace, Map.of());
    }

    /**
     * @param root local folder or Hadoop URI under which the namespace folder is
     * @param namespace the {@code {Namespace}} folder under the root, such as the pipeline's name
     * @param storageOptions Hadoop settings of the root's storage, such as the pipeline's
     *     {@linkplain io.streamlake.Pipeline#storageOptions() storage options} (secrets: never printed)
     * @return the archive, for {@link io.streamlake.Pipeline#withArchive(RecordArchive)}
     * @throws ConfigurationException for a blank root or namespace, a namespace with '/', or no Avro on
     *     the class path
     */
    public static RecordArchive at(String root, String namespace, Map<String, String> storageOptions) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(storageOptions, "storageOptions");
        if (root.isBlank()) {
            throw CaptureErrors.blankArchivePath();
        }
        if (namespace.isBlank() || namespace.contains("/")) {
            throw CaptureErrors.badArchiveNamespace(namespace);
        }
        requireAvro(namespace);
        return CaptureArchiveWriter.open(root, namespace, storageOptions);
    }

    /** Fails where the archive is defined, before any data moves, rather than at the first batch. */
    private static void requireAvro(String namespace) {
        try {
            Class.forName(AVRO_CLASS, false, CaptureArchive.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw CaptureErrors.avroMissing(namespace, e);
        }
    }
}
