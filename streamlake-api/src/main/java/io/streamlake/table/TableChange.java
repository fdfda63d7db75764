package io.streamlake.table;

import java.util.List;

/**
 * The data files one table version added with new data (compaction rewrites are left out), in
 * commit order. Silver reads bronze through these.
 *
 * <pre>{@code
 * for (TableChange c : bronze.changes(silverMarker + 1, bronzeVersion)) { ... }
 * }</pre>
 *
 * @param version the table version
 * @param addedFiles the files it added with new data
 */
public record TableChange(long version, List<DataFile> addedFiles) {
    /** Copies the list. */
    public TableChange {
        addedFiles = List.copyOf(addedFiles);
    }
}
