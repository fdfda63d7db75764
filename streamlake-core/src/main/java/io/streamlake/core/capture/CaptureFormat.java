package io.streamlake.core.capture;

import io.streamlake.core.util.IsoInstants;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.apache.avro.Schema;
import org.jspecify.annotations.Nullable;

/**
 * The Event Hubs Capture file format: the documented Avro schema of its records, and the
 * conventions of its fields. Treat it as a file format: Capture and other tools read what we write.
 */
final class CaptureFormat {
    /**
     * The schema Event Hubs Capture writes (record {@code EventData} in namespace
     * {@code Microsoft.ServiceBus.Messaging}), as the Capture overview documents it.
     */
    static final Schema SCHEMA = new Schema.Parser().parse("""
            {"type":"record","name":"EventData","namespace":"Microsoft.ServiceBus.Messaging","fields":[
              {"name":"SequenceNumber","type":"long"},
              {"name":"Offset","type":"string"},
              {"name":"EnqueuedTimeUtc","type":"string"},
              {"name":"SystemProperties","type":{"type":"map","values":["long","double","string","bytes"]}},
              {"name":"Properties","type":{"type":"map","values":["long","double","string","bytes"]}},
              {"name":"Body","type":["null","bytes"]}
            ]}""");

    static final String SEQUENCE_NUMBER = "SequenceNumber";
    static final String OFFSET = "Offset";
    static final String ENQUEUED_TIME = "EnqueuedTimeUtc";
    static final String SYSTEM_PROPERTIES = "SystemProperties";
    static final String PROPERTIES = "Properties";
    static final String BODY = "Body";

    /** The system property that holds the partition key. */
    static final String PARTITION_KEY_PROPERTY = "x-opt-partition-key";
    /** Names of the {@link io.streamlake.source.SourceRecord#metadata()} entries a Capture record gets. */
    static final String OFFSET_METADATA = "offset";
    static final String PARTITION_KEY_METADATA = "partition_key";

    /**
     * Header keys of the files our archive writes: the first and last sequence number of the file, so
     * that a backfill can order and skip a file without decoding any record of it.
     */
    static final String FIRST_SEQUENCE_META = "streamlake.first-sequence-number";
    static final String LAST_SEQUENCE_META = "streamlake.last-sequence-number";
    /**
     * Header key of the files our archive writes: the position of the partition's last event in bronze
     * before the file's batch (absent for a partition's first batch, and in files of earlier versions).
     * The archive's positions are the source's, which need not be contiguous (a Kafka topic with
     * transactions or compaction has holes), so the backfill checks this chain between files instead
     * of counting on the next file to start at the previous one's last position + 1.
     */
    static final String PREVIOUS_SEQUENCE_META = "streamlake.previous-sequence-number";

    /** .NET's invariant-culture date format, which Capture has used for {@code EnqueuedTimeUtc}. */
    private static final DateTimeFormatter DOTNET = DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.US);
    private static final DateTimeFormatter DOTNET_24H = DateTimeFormatter.ofPattern("M/d/yyyy H:mm:ss", Locale.US);

    private CaptureFormat() {
    }

    /**
     * Parses an {@code EnqueuedTimeUtc} value: ISO-8601 (with {@code Z}, an offset, or none, meaning
     * UTC), or .NET's {@code 9/19/2017 10:47:33 PM}. The common {@code ...Z} form is parsed by hand,
     * because a general formatter costs more per record than the rest of decoding.
     *
     * @return the instant, or null if the text is in none of these forms
     */
    static @Nullable Instant parseTime(String text) {
        Instant fast = IsoInstants.parse(text);
        if (fast != null) {
            return fast;
        }
        try {
            if (text.indexOf('T') > 0) {
                char last = text.charAt(text.length() - 1);
                if (last == 'Z' || text.lastIndexOf('+') > 10 || text.lastIndexOf('-') > 10) {
                    return OffsetDateTime.parse(text).toInstant();
                }
                return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
            }
            String upper = text.toUpperCase(Locale.ROOT);
            DateTimeFormatter f = upper.endsWith("AM") || upper.endsWith("PM") ? DOTNET : DOTNET_24H;
            return LocalDateTime.parse(upper, f).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
            return null;
        }
    }
}
