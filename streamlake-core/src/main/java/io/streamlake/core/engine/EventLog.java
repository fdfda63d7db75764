package io.streamlake.core.engine;

import static io.streamlake.table.EventLogLayout.BRONZE_FROM;
import static io.streamlake.table.EventLogLayout.BRONZE_TO;
import static io.streamlake.table.EventLogLayout.BYTES;
import static io.streamlake.table.EventLogLayout.COMMIT_CONFLICT;
import static io.streamlake.table.EventLogLayout.COMPACTION;
import static io.streamlake.table.EventLogLayout.DETAILS;
import static io.streamlake.table.EventLogLayout.DURATION_MS;
import static io.streamlake.table.EventLogLayout.ERASURE;
import static io.streamlake.table.EventLogLayout.EVENTS;
import static io.streamlake.table.EventLogLayout.EVENT_TYPE;
import static io.streamlake.table.EventLogLayout.FAILED;
import static io.streamlake.table.EventLogLayout.FILES_ADDED;
import static io.streamlake.table.EventLogLayout.FILES_REMOVED;
import static io.streamlake.table.EventLogLayout.FLOW;
import static io.streamlake.table.EventLogLayout.FLOW_PROGRESS;
import static io.streamlake.table.EventLogLayout.MESSAGE;
import static io.streamlake.table.EventLogLayout.PIPELINE;
import static io.streamlake.table.EventLogLayout.POSITIONS_SKIPPED;
import static io.streamlake.table.EventLogLayout.QUARANTINED;
import static io.streamlake.table.EventLogLayout.ROWS_CHANGED;
import static io.streamlake.table.EventLogLayout.SCHEMA;
import static io.streamlake.table.EventLogLayout.SCHEMA_CHANGE;
import static io.streamlake.table.EventLogLayout.STARTED;
import static io.streamlake.table.EventLogLayout.STOPPED;
import static io.streamlake.table.EventLogLayout.TABLE_VERSION;
import static io.streamlake.table.EventLogLayout.TIMESTAMP;

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
 * <p>Threads: called as a listener of its events, one at a time (the engine's {@code Listeners}
 * delivers under its lock), on the pipeline's thread or the one that merges silver; each call
 * happens-before the next, so its state needs no lock of its own. A failed write is logged and tried
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
    private final @Nullable Table quarantine;
    private final List<Row> pending = new ArrayList<>();
    private long lastWriteNanos;
    private boolean created;

    EventLog(String pipeline, Table log, Table bronze, @Nullable Table silver, @Nullable Table quarantine) {
        this.pipeline = pipeline;
        this.log = log;
        this.bronze = bronze;
        this.silver = silver;
        this.quarantine = quarantine;
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
            List<Row> rows = new ArrayList<>(pending);
            PendingCommit commit = log.newCommit();
            project("bronze", bronze, snapshot, rows, commit);
            if (silver != null) {
                project("silver", silver, snapshot, rows, commit);
            }
            if (quarantine != null) {
                project("quarantine", quarantine, snapshot, rows, commit);
            }
            if (rows.isEmpty()) {
                return;
            }
            commit.add(Tables.writeFile(log, SCHEMA, rows));
            commit.commit("WRITE");
            pending.clear();
        } catch (CommitConflictException e) {
            LOG.debug("event log {}: another instance wrote first; the next write reads again", log.location());
        } catch (RuntimeException e) {
            LOG.warn("event log {} not written ({}); ingestion goes on, and the next write catches up",
                    log.location(), e.toString());
        }
    }

    /**
     * Adds a row for each commit of a flow's table since the event log's marker for it, and has the
     * commit expect that marker and move it to the table's version.
     */
    private void project(String flow, Table table, TableSnapshot logSnapshot, List<Row> rows, PendingCommit commit) {
        String marker = Markers.eventLog(pipeline, flow);
        long after = logSnapshot.transaction(marker).orElse(-1);
        long to = table.snapshot().version();
        commit.expectTransaction(marker, after).setTransaction(marker, Math.max(after, to));
        if (to <= after) {
            return;
        }
        for (TableCommit c : table.history(after + 1, to)) {
            String note = c.userMetadata();
            Map<String, Object> fields = note == null ? Map.of() : fields(note);
            Object noteFlow = fields.get("flow");
            Row.Builder row = Row.builder(SCHEMA).set(TIMESTAMP, c.timestamp()).set(PIPELINE, pipeline)
                    .set(FLOW, flow).set(TABLE_VERSION, c.version()).set(DETAILS, note)
                    .set(FILES_ADDED, fields.get("filesAdded")).set(FILES_REMOVED, fields.get("filesRemoved"))
                    .set(DURATION_MS, fields.get("durationMs"));
            if ("compaction".equals(noteFlow)) {
                rows.add(row.set(EVENT_TYPE, COMPACTION).set(MESSAGE, "compacted " + fields.get("filesRemoved")
                        + " files into " + fields.get("filesAdded")).build());
            } else if ("erasure".equals(noteFlow) && pipeline.equals(fields.get("pipeline"))) {
                rows.add(row.set(EVENT_TYPE, ERASURE).set(ROWS_CHANGED, fields.get("rowsDeleted"))
                        .set(MESSAGE, "erasure " + fields.get("erasure") + " removed " + fields.get("rowsDeleted")
                                + " rows of " + fields.get("keys") + " keys")
                        .build());
            } else if (flow.equals(noteFlow) && pipeline.equals(fields.get("pipeline"))) {
                boolean isBronze = flow.equals("bronze");
                rows.add(row.set(EVENT_TYPE, FLOW_PROGRESS)
                        .set(BRONZE_FROM, isBronze ? c.version() : fields.get("bronzeFrom"))
                        .set(BRONZE_TO, isBronze ? c.version() : fields.get("bronzeTo"))
                        .set(EVENTS, fields.get("events")).set(BYTES, fields.get("bytes"))
                        .set(ROWS_CHANGED, fields.get("rowsChanged"))
                        .set(QUARANTINED, fields.getOrDefault("quarantined", fields.get("records"))).build());
            } else if (c.operation().equals("ADD COLUMNS")) {
                rows.add(row.set(EVENT_TYPE, SCHEMA_CHANGE).set(DETAILS, null)
                        .set(MESSAGE, "the " + flow + " table's schema gained columns").build());
            }
        }
    }

    private Row row(Instant at, String type, String message, @Nullable String details) {
        return Row.builder(SCHEMA).set(TIMESTAMP, at).set(PIPELINE, pipeline).set(EVENT_TYPE, type)
                .set(MESSAGE, message).set(DETAILS, details).build();
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
