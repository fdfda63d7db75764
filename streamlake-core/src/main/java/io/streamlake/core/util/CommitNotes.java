package io.streamlake.core.util;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.streamlake.event.PositionRange;
import io.streamlake.quality.ExpectationMetrics;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What a bronze or silver commit records about the micro-batch that made it, as JSON in the commit's
 * user metadata ({@code DESCRIBE HISTORY} shows it): the commit itself then says what it did, so that
 * anything derived from it (the event log) is exactly-once by construction.
 *
 * <pre>{@code
 * {"streamlake":1,"flow":"bronze","pipeline":"orders","events":3,"bytes":412,
 *  "positions":[{"stream":"orders","partition":0,"after":-1,"last":1}]}
 * {"streamlake":1,"flow":"silver","pipeline":"orders","bronzeFrom":4,"bronzeTo":4,"rowsChanged":2,
 *  "quarantined":1,"expectations":[{"name":"positive_items","action":"QUARANTINE","passed":2,"failed":1}]}
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
     * @return the bronze commit's note
     */
    public static String bronze(String pipeline, int events, long bytes, List<PositionRange> positions) {
        return write(json -> {
            start(json, "bronze", pipeline);
            json.writeNumberField("events", events);
            json.writeNumberField("bytes", bytes);
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
     * @param rowsChanged silver rows inserted, replaced or deleted
     * @param quarantined records written to the quarantine table with it
     * @param expectations each expectation's counts (and decoding's) over the merged records
     * @return the silver commit's note
     */
    public static String silver(String pipeline, long bronzeFrom, long bronzeTo, long rowsChanged, long quarantined,
            List<ExpectationMetrics> expectations) {
        return write(json -> {
            start(json, "silver", pipeline);
            json.writeNumberField("bronzeFrom", bronzeFrom);
            json.writeNumberField("bronzeTo", bronzeTo);
            json.writeNumberField("rowsChanged", rowsChanged);
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
