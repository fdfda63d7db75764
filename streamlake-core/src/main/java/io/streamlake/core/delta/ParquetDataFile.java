package io.streamlake.core.delta;

import io.streamlake.table.DataFile;
import java.io.IOException;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.Path;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every new Parquet data file of a table goes through, whichever way its rows are encoded: a
 * unique name in its partition folder, failures turned into redacted {@code SinkException}s, a
 * writer that refuses further use once a write failed, and an abandoned file deleted on close.
 */
abstract class ParquetDataFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ParquetDataFile.class);

    final DeltaTable table;
    final String name;
    final Path path;
    /** The path as the log stores it: relative and URI-encoded. */
    private final String logPath;
    private final Map<String, @Nullable String> partitionValues;
    long rows;
    private boolean finished;
    /** Set when an I/O failure left the file in an unknown state: only close() remains. */
    private @Nullable RuntimeException broken;

    ParquetDataFile(DeltaTable table, Map<String, @Nullable String> partitionValues) {
        this.table = table;
        this.name = PartitionPaths.folder(partitionValues) + "part-00000-" + UUID.randomUUID() + ".snappy.parquet";
        this.logPath = PartitionPaths.logPath(name);
        this.partitionValues = partitionValues;
        this.path = new Path(table.root(), name);
    }

    /** Flushes every buffered row and closes the file. */
    abstract void closeFile() throws IOException;

    /** Releases the file's resources without caring whether it is complete; it is about to be deleted. */
    abstract void abandonFile() throws IOException;

    /**
     * @param min the minimum if true, the maximum if false
     * @return the minimum (or maximum) per column with known bounds, as Row values
     */
    abstract Map<String, Object> bounds(boolean min);

    /** @return the null count of every column but maps */
    abstract Map<String, Long> nullCounts();

    /** @throws IllegalStateException if the file failed earlier, or is finished or closed */
    final void checkWritable(boolean open) {
        if (broken != null) {
            throw DeltaErrors.dataFileBroken(name, broken);
        }
        if (!open) {
            throw DeltaErrors.dataFileNotOpen(name, finished);
        }
    }

    /** Records a failed write, after which the file can only be closed; returns the exception to throw. */
    final RuntimeException writeFailed(Throwable e) {
        broken = table.failure("cannot write to data file " + name, e,
                "close this writer (the partial file is deleted) and retry the batch");
        return broken;
    }

    /** @return the number of rows written so far */
    public final long rowCount() {
        return rows;
    }

    /**
     * Completes the file: it can then be committed.
     *
     * @return the file with its statistics
     */
    public final DataFile finish() {
        checkWritable(!finished);
        long size;
        try {
            closeFile();
            size = path.getFileSystem(table.conf()).getFileStatus(path).getLen();
        } catch (IOException | RuntimeException e) {
            broken = table.failure("cannot finish data file " + name, e, "retry the batch");
            delete();
            throw broken;
        }
        finished = true;
        return new DataFile(logPath, size, rows, bounds(true), bounds(false), nullCounts(), partitionValues);
    }

    /** Abandons an unfinished file and deletes what was written of it; does nothing after finish(). */
    @Override
    public final void close() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            abandonFile();
        } catch (IOException | RuntimeException e) {
            // The file is being abandoned; failing to flush it is expected after an I/O error.
            LOG.debug("closing abandoned data file {} failed: {}", name, e.toString());
        }
        delete();
    }

    final boolean finished() {
        return finished;
    }

    private void delete() {
        try {
            path.getFileSystem(table.conf()).delete(path, false);
        } catch (IOException | RuntimeException e) {
            // An undeleted partial file is an orphan no commit references: vacuum removes it.
            LOG.warn("could not delete abandoned data file {} of table {}: {}", name, table.location(),
                    table.redact(e.toString()));
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + table.location() + "/" + name + ", " + rows + " rows]";
    }
}
