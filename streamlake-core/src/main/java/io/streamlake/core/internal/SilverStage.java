package io.streamlake.core.internal;

import io.streamlake.Pipeline;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableChange;
import io.streamlake.table.TableSnapshot;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings silver up to a bronze version: decode, merge by key, commit with a marker that records the
 * bronze version consumed. Because the marker and the data land in one commit, replaying bronze
 * into silver after any crash neither loses nor repeats a row.
 */
final class SilverStage {
    private static final Logger LOG = LoggerFactory.getLogger(SilverStage.class);
    /** Payloads above this size are refused rather than decoded: Kafka's and Event Hubs' own default limit. */
    static final int MAX_VALUE_BYTES = 1024 * 1024;
    private static final int MAX_CONFLICT_RETRIES = 10;

    private final Table bronze;
    private final Table silver;
    private final Schema schema;
    private final String appId;
    private final JsonRowDecoder decoder;
    private final SilverMerger merger;
    private final int replayChunkRows;
    private long silverVersion = -1;

    SilverStage(Pipeline pipeline, Table bronze, Table silver) {
        this.bronze = bronze;
        this.silver = silver;
        this.schema = pipeline.silverSchema().orElseThrow();
        String key = pipeline.silverKey().orElseThrow();
        this.appId = Markers.silver(pipeline.name());
        this.decoder = new JsonRowDecoder(schema, key, MAX_VALUE_BYTES);
        this.merger = new SilverMerger(silver, schema, key, pipeline.mergeStrategy(), pipeline.targetFileRows());
        this.replayChunkRows = pipeline.maxBatchRecords();
    }

    void open() {
        silverVersion = silver.create(schema).version();
    }

    long version() {
        return silverVersion;
    }

    /** @return the last bronze version silver holds, -1 if none */
    long consumedBronzeVersion() {
        return silver.snapshot().transaction(appId).orElse(-1);
    }

    /**
     * @param bronzeVersion the bronze version to reach
     * @param recent the records bronze committed at exactly {@code bronzeVersion}, when the caller
     *     has them in memory, so the common case needs no read of bronze files
     * @return silver rows changed
     */
    long catchUp(long bronzeVersion, @Nullable List<SourceRecord> recent) {
        long changed = 0;
        int conflicts = 0;
        while (true) {
            TableSnapshot snapshot = silver.snapshot();
            long consumed = snapshot.transaction(appId).orElse(-1);
            if (consumed >= bronzeVersion) {
                return changed;
            }
            List<Row> rows = new ArrayList<>();
            long upTo;
            if (recent != null && consumed == bronzeVersion - 1) {
                for (SourceRecord r : recent) {
                    rows.add(decode(r.value(), r.partition().toString(), r.position()));
                }
                upTo = bronzeVersion;
            } else {
                upTo = readBronze(consumed + 1, bronzeVersion, rows);
            }
            SilverMerger.Result merged = merger.merge(snapshot.files(), rows);
            PendingCommit commit = silver.newCommit();
            merged.removed().forEach(commit::remove);
            merged.added().forEach(commit::add);
            commit.expectTransaction(appId, consumed).setTransaction(appId, upTo);
            try {
                silverVersion = commit.commit("STREAMING UPDATE");
                changed += merged.rowsChanged();
            } catch (CommitConflictException e) {
                // Another instance advanced silver first; its commit already holds those bronze
                // versions, so start again from the new marker.
                if (++conflicts > MAX_CONFLICT_RETRIES) {
                    throw e;
                }
                LOG.info("silver commit on {} lost a race ({}); retrying from the new marker", silver.location(),
                        e.getMessage());
            }
        }
    }

    /** Reads bronze versions from..to in order, stopping after a chunk of rows; returns the last version read. */
    private long readBronze(long from, long to, List<Row> out) {
        long last = from - 1;
        for (TableChange change : bronze.changes(from, to)) {
            for (DataFile file : change.addedFiles()) {
                Iterator<Row> it = bronze.read(file, BronzeRows.SCHEMA);
                while (it.hasNext()) {
                    Row b = it.next();
                    out.add(decode((byte[]) b.value(BronzeRows.VALUE_POS),
                            b.value(BronzeRows.SOURCE_POS) + "/" + b.value(BronzeRows.PARTITION_POS),
                            (Long) Objects.requireNonNull(b.value(BronzeRows.POSITION_POS))));
                }
            }
            last = change.version();
            if (out.size() >= replayChunkRows) {
                return last;
            }
        }
        return to;
    }

    private Row decode(byte @Nullable [] value, String partition, long position) {
        if (value == null) {
            throw new SchemaMismatchException("record " + partition + "@" + position + " has no value (a tombstone);"
                    + " silver cannot decode it. The pipeline stopped so that nothing is dropped silently;"
                    + " bronze holds the record. Stop producing tombstones to this stream or run bronzeOnly().");
        }
        try {
            return decoder.decode(value);
        } catch (DecodeException e) {
            throw new SchemaMismatchException("record " + partition + "@" + position + " does not fit the silver schema "
                    + schema + ": " + e.getMessage() + ". The pipeline stopped so that nothing is dropped silently;"
                    + " bronze holds the record. Fix the producer or the declared schema, then restart.", e);
        }
    }
}
