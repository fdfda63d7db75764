/**
 * The table (sink) SPI: {@link io.streamlake.table.Table} with data file writers, snapshots with
 * file statistics, and atomic {@link io.streamlake.table.PendingCommit}s that carry progress markers.
 */
@NullMarked
package io.streamlake.table;

import org.jspecify.annotations.NullMarked;
