package io.streamlake.table;

import java.util.List;

/**
 * The data files one table version added with new data, in commit order. Silver reads bronze through
 * these. Rewrites are left out: a compaction's files ({@code dataChange=false}), and every file of a
 * version that also removes data (a {@code DELETE}, an erasure, a repair), whose added files hold
 * rows that earlier versions delivered already.
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
