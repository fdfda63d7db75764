package io.streamlake.core.util;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.streamlake.event.PositionRange;
import io.streamlake.event.RowChanges;
import io.streamlake.quality.ExpectationMetrics;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * What a bronze or silver commit records about the micro-batch that made it, as JSON in the commit's
 * user metadata ({@code DESCRIBE HISTORY} shows it): the commit itself then says what it did, so that
 * anything derived from it (the event log) is exactly-once by construction.
 *
 * <pre>{@code
 * {"streamlake":1,"flow":"bronze","pipeline":"orders","events":3,"bytes":412,"filesAdded":1,
 *  "positions":[{"stream":"orders","partition":0,"after":-1,"last":1}]}
 * {"streamlake":1,"flow":"silver","pipeline":"orders","bronzeFrom":4,"bronzeTo":4,"rowsChanged":2,
 *  "inserted":1,"updated":1,"deleted":0,"filesAdded":1,"filesRemoved":1,"quarantined":1,"expectations":[{"name":"positive_items","action":"QUARANTINE","passed":2,"failed":1}]}
 * }</pre>
 */
public final class CommitNotes {
    /** The format's version: a reader skips notes of a version it does not know. */
    public static final int FORMAT = 1;
    /** Thread-safe once configured, and configured only here. */
    private static final JsonFactory JSON = new JsonFactory();

    private CommitNotes() {
    }

    /**
     * @param pipeline the pipeline's name
     * @param events the batch's events
     * @param bytes their keys' and values' bytes
     * @param positions the source positions it commits
     * @param files the data files it adds
     * @param writeNanos how long writing them took
     * @return the bronze commit's note
     */
    public static String bronze(String pipeline, int events, long bytes, List<PositionRange> positions, int files,
            long writeNanos) {
        return write(json -> {
            start(json, "bronze", pipeline);
            json.writeNumberField("events", events);
            json.writeNumberField("bytes", bytes);
            json.writeNumberField("filesAdded", files);
            json.writeNumberField("durationMs", writeNanos / 1_000_000);
            json.writeArrayFieldStart("positions");
            for (PositionRange p : positions) {
                json.writeStartObject();
                json.writeStringField("stream", p.partition().stream());
                json.writeNumberField("partition", p.partition().id());
                json.writeNumberField("after", p.afterPosition());
                json.writeNumberField("last", p.lastPosition());
                json.writeEndObject();
            }
            json.writeEndArray();
        });
    }

    /**
     * @param pipeline the pipeline's name
     * @param bronzeFrom the first bronze version the commit merged
     * @param bronzeTo the last
     * @param changes silver keys inserted, updated and deleted
     * @param filesAdded data files the commit added
     * @param filesRemoved data files it removed
     * @param quarantined records written to the quarantine table with it
     * @param expectations each expectation's counts (and decoding's) over the merged records
     * @param workNanos how long decoding and merging them took, before the commit
     * @return the silver commit's note
     */
    public static String silver(String pipeline, long bronzeFrom, long bronzeTo, RowChanges changes, int filesAdded,
            int filesRemoved, long quarantined, List<ExpectationMetrics> expectations, long workNanos) {
        return write(json -> {
            start(json, "silver", pipeline);
            json.writeNumberField("bronzeFrom", bronzeFrom);
            json.writeNumberField("bronzeTo", bronzeTo);
            json.writeNumberField("rowsChanged", changes.total());
            json.writeNumberField("inserted", changes.inserted());
            json.writeNumberField("updated", changes.updated());
            json.writeNumberField("deleted", changes.deleted());
            json.writeNumberField("filesAdded", filesAdded);
            json.writeNumberField("filesRemoved", filesRemoved);
            json.writeNumberField("durationMs", workNanos / 1_000_000);
            json.writeNumberField("quarantined", quarantined);
            json.writeArrayFieldStart("expectations");
            for (ExpectationMetrics m : expectations) {
                json.writeStartObject();
                json.writeStringField("name", m.name());
                json.writeStringField("action", m.action().name());
                json.writeNumberField("passed", m.passed());
                json.writeNumberField("failed", m.failed());
                json.writeEndObject();
            }
            json.writeEndArray();
        });
    }

    /**
     * @param pipeline the pipeline's name
     * @param bronzeFrom the first bronze version whose records the commit may hold
     * @param bronzeTo the last
     * @param byRule the records it quarantines, by the rule (or {@code decode}) they failed
     * @return the quarantine commit's note
     */
    public static String quarantine(String pipeline, long bronzeFrom, long bronzeTo, Map<String, Long> byRule) {
        return write(json -> {
            start(json, "quarantine", pipeline);
            json.writeNumberField("bronzeFrom", bronzeFrom);
            json.writeNumberField("bronzeTo", bronzeTo);
            json.writeNumberField("records", byRule.values().stream().mapToLong(Long::longValue).sum());
            json.writeObjectFieldStart("rules");
            for (Map.Entry<String, Long> e : byRule.entrySet()) {
                json.writeNumberField(e.getKey(), e.getValue());
            }
            json.writeEndObject();
        });
    }

    /**
     * @param pipeline the pipeline's name
     * @param silverFrom the first silver version whose changes the commit may hold
     * @param silverTo the last
     * @param byType the change rows it adds, by {@code _change_type}
     * @return the change feed commit's note
     */
    public static String changeFeed(String pipeline, long silverFrom, long silverTo, Map<String, Long> byType) {
        return write(json -> {
            start(json, "changeFeed", pipeline);
            json.writeNumberField("silverFrom", silverFrom);
            json.writeNumberField("silverTo", silverTo);
            json.writeObjectFieldStart("rows");
            for (Map.Entry<String, Long> e : byType.entrySet()) {
                json.writeNumberField(e.getKey(), e.getValue());
            }
            json.writeEndObject();
        });
    }

    /**
     * @param pipeline the pipeline's name
     * @param erasure the erasure's id
     * @param keys how many keys the commit looked for (never the keys: they are personal data)
     * @param rows the rows it removed
     * @return an erasure commit's note
     */
    public static String erasure(String pipeline, long erasure, int keys, long rows) {
        return write(json -> {
            start(json, "erasure", pipeline);
            json.writeNumberField("erasure", erasure);
            json.writeNumberField("keys", keys);
            json.writeNumberField("rowsDeleted", rows);
        });
    }

    /**
     * @param filesRemoved small files the compaction replaced
     * @param filesAdded files that hold their rows now
     * @return the compaction commit's note
     */
    public static String compaction(int filesRemoved, int filesAdded) {
        return write(json -> {
            json.writeNumberField("streamlake", FORMAT);
            json.writeStringField("flow", "compaction");
            json.writeNumberField("filesRemoved", filesRemoved);
            json.writeNumberField("filesAdded", filesAdded);
        });
    }

    private static void start(JsonGenerator json, String flow, String pipeline) throws IOException {
        json.writeNumberField("streamlake", FORMAT);
        json.writeStringField("flow", flow);
        json.writeStringField("pipeline", pipeline);
    }

    /** The body of a note, between its braces. */
    private interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private static String write(Body body) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            body.write(json);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }
}
