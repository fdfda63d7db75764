package io.streamlake.core.util;

import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An optional ability of a table: joining some of its data files into one new file by copying their
 * stored row groups as they are, without decoding a value. Compaction asks for it where the joined
 * rows keep their order (bronze, whose files are combined in arrival order) and rewrites the rows
 * when a table has no such ability or refuses the files.
 *
 * <pre>{@code
 * DataFile joined = table instanceof FileJoiner j ? j.join(run, schema) : null;
 * if (joined == null) { ...write the run's rows into new files... }
 * }</pre>
 */
public interface FileJoiner {
    /**
     * Writes one new data file holding the files' rows in the order given, file after file. The new
     * file is not committed: the caller replaces the files with it in a commit of its own.
     *
     * @param files two or more of the table's data files, of one partition
     * @param schema the schema the table's rows are read and written with
     * @return the new file with its statistics, or null when the files cannot be joined as they are
     *     (one was not written by this library for {@code schema}, or they are of different
     *     partitions); nothing is left behind then
     */
    @Nullable
    DataFile join(List<DataFile> files, Schema schema);
}
