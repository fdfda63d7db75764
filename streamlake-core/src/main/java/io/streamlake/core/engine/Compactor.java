package io.streamlake.core.engine;

import io.streamlake.core.silver.SilverKey;
import io.streamlake.core.util.CommitNotes;
import io.streamlake.core.util.FileJoiner;
import io.streamlake.core.util.MemoryBudget;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableSnapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites runs of small files into files near the target size, in a commit marked as a
 * rearrangement (dataChange=false) so that streaming readers of the table, silver's replay of bronze
 * among them, skip it. The rows are the same before and after.
 *
 * <p>Files are combined in order: by minimum key for silver, whose files keep disjoint key ranges
 * that the merge planner relies on, and for bronze in arrival order ({@code TableSnapshot.files()}:
 * commit order, then slice order), the combined file taking the place of the files it replaces, so
 * that each source partition's positions keep increasing within and across bronze files. A partitioned table is
 * compacted partition by partition, since a data file holds the rows of one partition. A run is only rewritten when it
 * holds enough small files to be worth the I/O.
 *
 * <p>Files are small, runs end and written files are cut by bytes as well as by rows
 * ({@link MemoryBudget#fileBytes()}): by rows alone, sixteen files of sixteen 1 MB events were
 * "small", and a multi-column key's run, which is sorted in memory, would hold them all. Bytes are
 * the files' sizes on disk, so a run of highly compressible values holds more in memory than its
 * size says; row groups bounded by bytes keep the writer's share bounded regardless.
 *
 * <p>A bronze run is joined rather than rewritten where the table can ({@link FileJoiner}): the
 * files' stored row groups are copied one after another into one file, no value decoded, which keeps
 * arrival order and each row group's size as written. A run ends once it reaches the target, so a
 * joined file holds at most about one and a half targets.
 */
final class Compactor {
    private static final Logger LOG = LoggerFactory.getLogger(Compactor.class);

    private final Table table;
    /** The schema for a table that records none (a table implementation without schemas). */
    private final Schema schema;
    private final long targetRows;
    private final long targetBytes;
    private final int minFiles;
    /** The silver key's columns, to keep files in key order; empty for bronze. */
    private final List<String> keyColumns;

    /**
     * @param keyColumns the silver key's columns, to keep files in key order; empty for bronze
     * @param minFiles rewrite only when at least this many small files can be combined
     */
    Compactor(Table table, Schema schema, long targetRows, int minFiles, List<String> keyColumns) {
        this(table, schema, targetRows, MemoryBudget.JVM.fileBytes(), minFiles, keyColumns);
    }

    /** @param targetBytes about how many bytes on disk a file holds at most (tests make it small) */
    Compactor(Table table, Schema schema, long targetRows, long targetBytes, int minFiles, List<String> keyColumns) {
        this.table = table;
        this.schema = schema;
        this.targetRows = targetRows;
        this.targetBytes = targetBytes;
        this.minFiles = minFiles;
        this.keyColumns = List.copyOf(keyColumns);
    }

    /** @return files removed, 0 when nothing was worth compacting or a concurrent writer won */
    int compactIfWorthIt() {
        TableSnapshot snapshot = table.snapshot();
        List<DataFile> all = snapshot.files();
        // The table's own schema, not the declared one: silver may store fewer columns
        // (dropColumns), or more (ones an earlier version stored), and a rearrangement keeps them as they are.
        Schema schema = snapshot.schema().orElse(this.schema);
        SilverKey key = keyColumns.isEmpty() ? null : SilverKey.of(schema, keyColumns);
        if (key != null && all.stream().anyMatch(f -> key.bound(f.minValues()) == null)) {
            return 0; // without key bounds the order of files is unknown: leave them as they are
        }
        // A partitioned table is compacted partition by partition: a file holds one partition's rows.
        Map<Map<String, @Nullable String>, List<DataFile>> partitions = new LinkedHashMap<>();
        for (DataFile f : all) {
            partitions.computeIfAbsent(f.partitionValues(), p -> new ArrayList<>()).add(f);
        }
        PendingCommit commit = table.newCommit().rearrangeOnly();
        int removed = 0;
        int added = 0;
        for (List<DataFile> files : partitions.values()) {
            if (key != null) {
                files.sort(Comparator.comparing(f -> Objects.requireNonNull(key.bound(f.minValues())),
                        ValueOrder.NATURAL));
            }
            for (List<DataFile> run : runsOfSmallFiles(files)) {
                // in the run's place: a bronze file's rows keep their arrival order among the others
                List<DataFile> rewritten = rewrite(run, schema, key);
                commit.replace(run, rewritten);
                removed += run.size();
                added += rewritten.size();
            }
        }
        if (removed == 0) {
            return 0;
        }
        try {
            commit.withUserMetadata(CommitNotes.compaction(removed, added)).commit("OPTIMIZE");
        } catch (CommitConflictException e) {
            LOG.info("compaction of {} gave way to a concurrent writer ({})", table.location(), e.getMessage());
            return 0;
        }
        LOG.info("compacted {} small files of {} into {}", removed, table.location(), added);
        return removed;
    }

    /**
     * Consecutive small files whose rows and bytes fit in about one target-size file; runs too short
     * are left alone.
     */
    private List<List<DataFile>> runsOfSmallFiles(List<DataFile> files) {
        List<List<DataFile>> runs = new ArrayList<>();
        List<DataFile> run = new ArrayList<>();
        long runRows = 0;
        long runBytes = 0;
        for (DataFile f : files) {
            boolean small = f.rowCount() >= 0 && f.rowCount() < targetRows / 2 && f.sizeBytes() < targetBytes / 2;
            if (small) {
                run.add(f);
                runRows += f.rowCount();
                runBytes += f.sizeBytes();
            }
            if (!small || runRows >= targetRows || runBytes >= targetBytes) {
                if (run.size() >= minFiles) {
                    runs.add(run);
                }
                run = new ArrayList<>();
                runRows = 0;
                runBytes = 0;
            }
        }
        if (run.size() >= minFiles) {
            runs.add(run);
        }
        return runs;
    }

    private List<DataFile> rewrite(List<DataFile> run, Schema schema, @Nullable SilverKey key) {
        // Bronze's runs are combined in arrival order, file after file: a table that can join files by
        // copying their stored row groups does it without decoding a value (a rewrite of rows cost a
        // stream of small batches about as much CPU as ingesting them). Silver's runs are rewritten:
        // a multi-column key's run is sorted anew.
        if (key == null && table instanceof FileJoiner joiner) {
            DataFile joined = joiner.join(run, schema);
            if (joined != null) {
                return List.of(joined);
            }
        }
        Map<String, @Nullable String> partition = run.get(0).partitionValues();
        List<DataFile> out = new ArrayList<>();
        DataFileWriter w = null;
        Object lastKey = null;
        // The written files' bytes, estimated from the run's: the writer buffers a row group, so its
        // size on disk is known only at its end.
        // Split evenly: a run ends past the target, and cutting at the target left a file of its tail.
        long rowsInRun = run.stream().mapToLong(DataFile::rowCount).sum();
        long filesByBytes = Math.max(1, (run.stream().mapToLong(DataFile::sizeBytes).sum() + targetBytes - 1)
                / targetBytes);
        long fileRows = Math.max(1, Math.min(targetRows, (rowsInRun + filesByBytes - 1) / filesByBytes));
        try {
            for (Iterator<Row> rows : inKeyOrder(run, schema, key)) {
                while (rows.hasNext()) {
                    Row row = rows.next();
                    Object rowKey = key == null ? null : key.of(row);
                    // A full file ends at a key boundary, so the rows of one key (SCD2 history) stay in one file.
                    if (w != null && w.rowCount() >= fileRows && (key == null || !Objects.equals(rowKey, lastKey))) {
                        out.add(w.finish());
                        w = null;
                    }
                    if (w == null) {
                        w = key == null ? table.newDataFile(schema, partition)
                                : table.newDataFile(schema, partition, Set.copyOf(keyColumns));
                    }
                    w.write(row);
                    lastKey = rowKey;
                }
            }
            if (w != null) {
                out.add(w.finish());
                w = null;
            }
            return out;
        } finally {
            if (w != null) {
                w.close();
            }
        }
    }

    /**
     * The run's rows in key order, file by file. Files sorted by key and ordered by their minimum
     * key follow one another in key order when the key is one column. For several columns the
     * files' bounds come from per-column statistics, which can order two files of one leading value
     * the wrong way round, so the run's rows (a few small files, at most about two target files) are
     * sorted together instead.
     */
    private Iterable<Iterator<Row>> inKeyOrder(List<DataFile> run, Schema schema, @Nullable SilverKey key) {
        if (key == null || key.single()) {
            return () -> run.stream().map(f -> table.read(f, schema)).iterator(); // one file open at a time
        }
        List<Row> rows = new ArrayList<>();
        for (DataFile f : run) {
            table.read(f, schema).forEachRemaining(rows::add);
        }
        rows.sort(key::compare); // stable: a key's SCD2 versions keep their order
        return List.of(rows.iterator());
    }
}
