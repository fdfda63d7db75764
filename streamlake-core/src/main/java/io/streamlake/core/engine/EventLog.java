package io.streamlake.core.engine;

import static io.streamlake.table.EventLogLayout.COMMIT_CONFLICT;
import static io.streamlake.table.EventLogLayout.COMPACTION;
import static io.streamlake.table.EventLogLayout.FAILED;
import static io.streamlake.table.EventLogLayout.FLOW_PROGRESS;
import static io.streamlake.table.EventLogLayout.POSITIONS_SKIPPED;
import static io.streamlake.table.EventLogLayout.SCHEMA;
import static io.streamlake.table.EventLogLayout.SCHEMA_CHANGE;
import static io.streamlake.table.EventLogLayout.STARTED;
import static io.streamlake.table.EventLogLayout.STOPPED;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.streamlake.core.util.Markers;
import io.streamlake.core.util.Tables;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.CommitConflicted;
import io.streamlake.event.PipelineFailed;
import io.streamlake.event.PipelineListener;
import io.streamlake.event.PipelineStarted;
import io.streamlake.event.PipelineStopped;
import io.streamlake.event.PositionsSkipped;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.schema.Row;
import io.streamlake.source.PositionGap;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableCommit;
import io.streamlake.table.TableSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the pipeline's event log ({@code Pipeline.withEventLog}). A flow's rows are a projection of
 * its table's commits, which record what their batch did ({@link io.streamlake.core.util.CommitNotes}):
 * each write reads the bronze and silver commits since the log's markers and advances the markers in
 * the same commit, so every commit appears exactly once, also after a crash (the next write picks up
 * what the crash left) and with several instances (the one that loses the race reads again).
 * Life-cycle rows (start, stop, failure, skipped positions, conflicts) are this instance's, kept
 * until a write takes them.
 *
 * <p>Threads: the pipeline's only, as a listener of its events. A failed write is logged and tried
 * again with the next one: the event log never stops ingestion.
 */
final class EventLog implements PipelineListener {
    private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
    /** Writes at most this often between a run's start and end, so that small batches stay cheap. */
    static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    /** Thread-safe once configured, and configured only here. */
    private static final JsonFactory JSON = new JsonFactory();

    private final String pipeline;
    private final Table log;
    private final Table bronze;
    private final @Nullable Table silver;
    private final List<Row> pending = new ArrayList<>();
    private long lastWriteNanos;
    private boolean created;

    EventLog(String pipeline, Table log, Table bronze, @Nullable Table silver) {
        this.pipeline = pipeline;
        this.log = log;
        this.bronze = bronze;
        this.silver = silver;
    }

    @Override
    public void onStarted(PipelineStarted e) {
        pending.add(row(e.at(), STARTED, "started at bronze version " + e.bronzeVersion()
                + (silver == null ? "" : " and silver version " + e.silverVersion()), null));
        write();
    }

    @Override
    public void onBatchCommitted(BatchCommitted e) {
        if (System.nanoTime() - lastWriteNanos >= MIN_INTERVAL.toNanos()) {
            write();
        }
    }

    @Override
    public void onPositionsSkipped(PositionsSkipped e) {
        PositionGap g = e.gap();
        pending.add(row(e.at(), POSITIONS_SKIPPED, "the source no longer held positions " + g.fromPosition() + " to "
                + (g.toPosition() - 1) + " of " + g.partition().stream() + "/" + g.partition().id()
                + " and skipped them",
                "{\"stream\":" + quote(g.partition().stream()) + ",\"partition\":"
                        + g.partition().id() + ",\"from\":" + g.fromPosition() + ",\"to\":" + g.toPosition() + "}"));
    }

    @Override
    public void onCommitConflicted(CommitConflicted e) {
        pending.add(row(e.at(), COMMIT_CONFLICT, "another instance committed first; " + e.events()
                + " events are read again", "{\"table\":" + quote(e.table()) + ",\"events\":" + e.events() + "}"));
    }

    @Override
    public void onFailed(PipelineFailed e) {
        pending.add(row(e.at(), FAILED, String.valueOf(e.cause().getMessage()),
                "{\"exception\":" + quote(e.cause().getClass().getName()) + ",\"batches\":" + e.batches()
                        + ",\"events\":" + e.events() + "}"));
        write();
    }

    @Override
    public void onStopped(PipelineStopped e) {
        pending.add(row(e.at(), STOPPED, "stopped after " + e.events() + " events in " + e.batches() + " batches",
                null));
        write();
    }

    /** Writes what the flows committed since the markers, and the pending life-cycle rows, in one commit. */
    private void write() {
        lastWriteNanos = System.nanoTime();
        try {
            if (!created) {
                log.create(SCHEMA);
                created = true;
            }
            TableSnapshot snapshot = log.snapshot();
            String bronzeMarker = Markers.eventLog(pipeline, "bronze");
            String silverMarker = Markers.eventLog(pipeline, "silver");
            long bronzeFrom = snapshot.transaction(bronzeMarker).orElse(-1);
            long silverFrom = snapshot.transaction(silverMarker).orElse(-1);
            long bronzeTo = bronze.snapshot().version();
            long silverTo = silver == null ? -1 : silver.snapshot().version();
            List<Row> rows = new ArrayList<>(pending);
            project("bronze", bronze, bronzeFrom, bronzeTo, rows);
            if (silver != null) {
                project("silver", silver, silverFrom, silverTo, rows);
            }
            if (rows.isEmpty()) {
                return;
            }
            PendingCommit commit = log.newCommit().add(Tables.writeFile(log, SCHEMA, rows))
                    .expectTransaction(bronzeMarker, bronzeFrom)
                    .setTransaction(bronzeMarker, Math.max(bronzeFrom, bronzeTo));
            if (silver != null) {
                commit.expectTransaction(silverMarker, silverFrom).setTransaction(silverMarker,
                        Math.max(silverFrom, silverTo));
            }
            commit.commit("WRITE");
            pending.clear();
        } catch (CommitConflictException e) {
            LOG.debug("event log {}: another instance wrote first; the next write reads again", log.location());
        } catch (RuntimeException e) {
            LOG.warn("event log {} not written ({}); ingestion goes on, and the next write catches up",
                    log.location(), e.toString());
        }
    }

    /** Adds a row for each commit of a flow table after {@code after} up to {@code to}. */
    private void project(String flow, Table table, long after, long to, List<Row> rows) {
        if (to <= after) {
            return;
        }
        for (TableCommit c : table.history(after + 1, to)) {
            String note = c.userMetadata();
            Map<String, Object> fields = note == null ? Map.of() : fields(note);
            Object noteFlow = fields.get("flow");
            if ("compaction".equals(noteFlow)) {
                rows.add(Row.of(SCHEMA, c.timestamp(), pipeline, COMPACTION, flow, c.version(), null, null, null,
                        null, null, null, "compacted " + fields.get("filesRemoved") + " files into "
                                + fields.get("filesAdded"),
                        note));
            } else if (flow.equals(noteFlow) && pipeline.equals(fields.get("pipeline"))) {
                boolean isBronze = flow.equals("bronze");
                rows.add(Row.of(SCHEMA, c.timestamp(), pipeline, FLOW_PROGRESS, flow, c.version(),
                        isBronze ? c.version() : fields.get("bronzeFrom"),
                        isBronze ? c.version() : fields.get("bronzeTo"), fields.get("events"), fields.get("bytes"),
                        fields.get("rowsChanged"), fields.get("quarantined"), null, note));
            } else if (c.operation().equals("ADD COLUMNS")) {
                rows.add(Row.of(SCHEMA, c.timestamp(), pipeline, SCHEMA_CHANGE, flow, c.version(), null, null, null,
                        null, null, null, "the " + flow + " table's schema gained columns", null));
            }
        }
    }

    private Row row(Instant at, String type, String message, @Nullable String details) {
        return Row.of(SCHEMA, at, pipeline, type, null, null, null, null, null, null, null, null, message, details);
    }

    /** @return the note's top-level numbers (as longs) and strings; nested values are left to {@code details} */
    private static Map<String, Object> fields(String note) {
        Map<String, Object> out = new HashMap<>();
        try (JsonParser p = JSON.createParser(note)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return out;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NUMBER_INT) {
                    out.put(name, p.getLongValue());
                } else if (t == JsonToken.VALUE_STRING) {
                    out.put(name, p.getText());
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            LOG.debug("a commit's user metadata is not a StreamLake note: {}", e.toString());
        }
        return out;
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, b);
        return b.append('"').toString();
    }
}
