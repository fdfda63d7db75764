package io.streamlake.core.silver;

import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.schema.ValueOrder;
import io.streamlake.table.DataFile;
import io.streamlake.table.DataFileWriter;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.Table;
import io.streamlake.table.TableChange;
import io.streamlake.table.TableSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Data files in memory, for the merger's unit tests: the testkit's {@code InMemoryTable} is out of
 * core's reach. It writes and reads files only; a test keeps the file list itself and applies a
 * merge's removes and adds, so there is no log, snapshot or commit. Files carry per-column min/max
 * statistics in {@link ValueOrder#NATURAL} as Delta's do, unless made with {@link #withoutStatistics}.
 */
final class MemoryFiles implements Table {
    // Workers write files of one merge at once: the map and the counter are concurrent for them.
    private final Map<String, List<Row>> files = new ConcurrentHashMap<>();
    private final AtomicInteger names = new AtomicInteger();
    private volatile boolean statistics = true;

    /** Files written from now on carry no min/max statistics, as some other writers leave them. */
    MemoryFiles withoutStatistics() {
        statistics = false;
        return this;
    }

    /** Writes a file of these rows in the order given, sorted or not, as another engine might. */
    DataFile file(Schema schema, Row... rows) {
        try (DataFileWriter w = newDataFile(schema)) {
            List.of(rows).forEach(w::write);
            return w.finish();
        }
    }

    /** Writes a file of one partition, as {@link #file} does. */
    DataFile file(Schema schema, Map<String, @Nullable String> partition, Row... rows) {
        try (DataFileWriter w = newDataFile(schema, partition)) {
            List.of(rows).forEach(w::write);
            return w.finish();
        }
    }

    /** @return the rows of a file, in the order written */
    List<Row> rows(DataFile file) {
        return List.copyOf(files.get(file.path()));
    }

    @Override
    public String location() {
        return "memory:/silver";
    }

    @Override
    public DataFileWriter newDataFile(Schema schema) {
        return newDataFile(schema, Map.of());
    }

    @Override
    public DataFileWriter newDataFile(Schema schema, Map<String, @Nullable String> partitionValues) {
        List<Row> rows = new ArrayList<>();
        return new DataFileWriter() {
            @Override
            public void write(Row row) {
                rows.add(row);
            }

            @Override
            public long rowCount() {
                return rows.size();
            }

            @Override
            public DataFile finish() {
                Map<String, Object> mins = new HashMap<>();
                Map<String, Object> maxs = new HashMap<>();
                if (statistics) {
                    for (Row row : rows) {
                        for (int c = 0; c < schema.size(); c++) {
                            Object v = row.value(c);
                            if (v != null && !(v instanceof byte[])) { // as Delta: binaries have no bounds
                                mins.merge(schema.field(c).name(), v,
                                        (a, b) -> ValueOrder.NATURAL.compare(a, b) <= 0 ? a : b);
                                maxs.merge(schema.field(c).name(), v,
                                        (a, b) -> ValueOrder.NATURAL.compare(a, b) >= 0 ? a : b);
                            }
                        }
                    }
                }
                String path = "part-" + names.incrementAndGet() + ".parquet";
                files.put(path, List.copyOf(rows));
                return new DataFile(path, rows.size() * 10L, rows.size(), mins, maxs, Map.of(), partitionValues);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public Iterator<Row> read(DataFile file, Schema schema) {
        return files.get(file.path()).iterator();
    }

    @Override
    public TableSnapshot snapshot() {
        throw new UnsupportedOperationException("the merger's tests keep their file list themselves");
    }

    @Override
    public TableSnapshot create(Schema schema) {
        throw new UnsupportedOperationException("the merger's tests keep their file list themselves");
    }

    @Override
    public TableSnapshot create(Schema schema, List<String> partitionColumns) {
        throw new UnsupportedOperationException("the merger's tests keep their file list themselves");
    }

    @Override
    public List<TableChange> changes(long fromVersion, long toVersion) {
        throw new UnsupportedOperationException("the merger's tests keep their file list themselves");
    }

    @Override
    public PendingCommit newCommit() {
        throw new UnsupportedOperationException("the merger's tests keep their file list themselves");
    }
}
