package io.streamlake.table;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The data files one table version removed and added with a change of data ({@link Table#fileChanges}):
 * the rows of {@code removed} are the version's rows before, those of {@code added} after, and the
 * rows of every other file stayed as they were.
 *
 * <pre>{@code
 * for (FileChanges c : silver.fileChanges(from, to)) {
 *     System.out.println(c.version() + ": -" + c.removed().size() + " +" + c.added().size() + " files");
 * }
 * }</pre>
 *
 * @param version the table version
 * @param timestamp when the version was committed
 * @param removed the files it removed with a change of data
 * @param added the files it added with a change of data
 */
public record FileChanges(long version, Instant timestamp, List<DataFile> removed, List<DataFile> added) {
    /** Copies the lists. */
    public FileChanges {
        Objects.requireNonNull(timestamp, "timestamp");
        removed = List.copyOf(removed);
        added = List.copyOf(added);
    }
}
