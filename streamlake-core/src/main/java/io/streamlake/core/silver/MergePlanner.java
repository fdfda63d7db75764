package io.streamlake.core.silver;

import io.streamlake.table.DataFile;
import java.util.List;

/**
 * Which path a batch's merge takes, from the table's layout and its files' key ranges:
 *
 * <ul>
 *   <li>a partitioned table: {@link PartitionedMerge}, since a key may sit in, and move to, any
 *       partition;
 *   <li>files that all have key bounds and disjoint ranges (ours, and an empty table):
 *       {@link FileByFileMerge}, each file merged on its own;
 *   <li>anything else, overlapping ranges or files without statistics: {@link OverlappingMerge}.
 * </ul>
 *
 * <p>The choice depends on the files alone, not on the batch's keys, so a table takes the same path
 * for every batch until its layout changes.
 */
final class MergePlanner {
    private final SilverFiles io;
    private final List<String> partitionColumns;

    MergePlanner(SilverFiles io, List<String> partitionColumns) {
        this.io = io;
        this.partitionColumns = List.copyOf(partitionColumns);
    }

    /** @return the same planner reading and writing through {@code io} */
    MergePlanner over(SilverFiles view) {
        return new MergePlanner(view, partitionColumns);
    }

    /**
     * @param files the table's current files
     * @return the path that merges a batch into them
     */
    MergePath plan(List<DataFile> files) {
        if (!partitionColumns.isEmpty()) {
            return new PartitionedMerge(io, files, partitionColumns); // builds an index per partition
        }
        FileIndex index = new FileIndex(files, io.key());
        return index.disjoint() ? new FileByFileMerge(io, files, index) : new OverlappingMerge(io, files, index);
    }
}
