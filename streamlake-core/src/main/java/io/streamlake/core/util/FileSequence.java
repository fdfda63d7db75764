package io.streamlake.core.util;

import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The data files one output writes one after another, cut where its owner says: the file being
 * written, opened on first use, and those finished. Closing it before {@link #finish()} abandons the
 * file being written; the finished ones are orphans until committed, which vacuum removes.
 *
 * <pre>{@code
 * try (FileSequence files = new FileSequence(() -> table.newDataFile(schema))) {
 *     for (Row r : rows) {
 *         DataFileWriter w = files.current();
 *         w.write(r);
 *         if (w.rowCount() >= targetRows) {
 *             files.cut();
 *         }
 *     }
 *     commit.add(files.finish());
 * }
 * }</pre>
 *
 * <p>One thread: its owner's.
 */
public final class FileSequence implements AutoCloseable {
    private final Supplier<DataFileWriter> opener;
    private final List<DataFile> finished = new ArrayList<>();
    private @Nullable DataFileWriter writer;

    /** @param opener opens the next file */
    public FileSequence(Supplier<DataFileWriter> opener) {
        this.opener = opener;
    }

    /** @return the file being written, opened if none is */
    public DataFileWriter current() {
        DataFileWriter w = writer;
        if (w == null) {
            w = opener.get();
            writer = w;
        }
        return w;
    }

    /** @return whether a file is being written */
    public boolean writing() {
        return writer != null;
    }

    /** Finishes the file being written, if any: the next {@link #current()} opens a new one. */
    public void cut() {
        DataFileWriter w = writer;
        if (w != null) {
            writer = null;
            finished.add(w.finish());
        }
    }

    /** @return every file written, the one being written finished too */
    public List<DataFile> finish() {
        cut();
        return finished;
    }

    /** Abandons the file being written, if {@link #finish()} was not called. */
    @Override
    public void close() {
        DataFileWriter w = writer;
        writer = null;
        if (w != null) {
            w.close();
        }
    }
}
