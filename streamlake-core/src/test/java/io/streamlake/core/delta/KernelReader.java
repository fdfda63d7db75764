package io.streamlake.core.delta;

import io.delta.kernel.Scan;
import io.delta.kernel.ScanBuilder;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.expressions.Predicate;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/**
 * Reads Delta tables with Delta Kernel, the independent reader that checks what StreamLake writes.
 * Values come back as the Java classes of {@link io.streamlake.schema.Row}: String, Integer, Long,
 * Double, Boolean, byte[], Instant, LocalDate, BigDecimal and Map.
 *
 * <pre>{@code
 * List<Map<String, Object>> rows = KernelReader.rows(table.location());
 * }</pre>
 *
 * <p>Shared through streamlake-core's test jar with the testkit and samples tests. Paths may be
 * local folders or {@code file:} URIs.
 */
public final class KernelReader {

    /** One AddFile as Kernel's scan reports it. */
    public record ScanFile(String path, long size, String stats) {
    }

    private KernelReader() {
    }

    public static Engine engine() {
        return DefaultEngine.create(new Configuration());
    }

    public static Snapshot snapshot(String tablePath) {
        Engine engine = engine();
        return Table.forPath(engine, tablePath).getLatestSnapshot(engine);
    }

    public static long version(String tablePath) {
        return snapshot(tablePath).getVersion();
    }

    public static StructType schema(String tablePath) {
        return snapshot(tablePath).getSchema();
    }

    public static Optional<Long> transaction(String tablePath, String appId) {
        Engine engine = engine();
        return Table.forPath(engine, tablePath).getLatestSnapshot(engine).getLatestTransactionVersion(engine, appId);
    }

    /** @return every row of the latest version, columns by name in table order */
    public static List<Map<String, Object>> rows(String tablePath) {
        return rows(tablePath, null);
    }

    /** @return the rows of the files Kernel does not skip for the filter (no row-level filtering) */
    public static List<Map<String, Object>> rows(String tablePath, Predicate filter) {
        Engine engine = engine();
        return rows(engine, Table.forPath(engine, tablePath).getLatestSnapshot(engine), filter);
    }

    /** @return every row of one version (time travel), as Kernel rebuilds it from the log */
    public static List<Map<String, Object>> rowsAt(String tablePath, long version) {
        Engine engine = engine();
        return rows(engine, Table.forPath(engine, tablePath).getSnapshotAsOfVersion(engine, version), null);
    }

    private static List<Map<String, Object>> rows(Engine engine, Snapshot snapshot, Predicate filter) {
        ScanBuilder builder = snapshot.getScanBuilder();
        if (filter != null) {
            builder = builder.withFilter(filter);
        }
        Scan scan = builder.build();
        Row scanState = scan.getScanState(engine);
        StructType physicalSchema = ScanStateRow.getPhysicalDataReadSchema(scanState);
        List<Map<String, Object>> out = new ArrayList<>();
        try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> scanFiles = files.next().getRows()) {
                    while (scanFiles.hasNext()) {
                        Row scanFile = scanFiles.next();
                        FileStatus status = InternalScanFileUtils.getAddFileStatus(scanFile);
                        CloseableIterator<ColumnarBatch> physical = engine.getParquetHandler()
                                .readParquetFiles(single(status), physicalSchema, Optional.empty())
                                .map(FileReadResult::getData);
                        try (CloseableIterator<FilteredColumnarBatch> data =
                                Scan.transformPhysicalData(engine, scanState, scanFile, physical)) {
                            while (data.hasNext()) {
                                FilteredColumnarBatch batch = data.next();
                                StructType schema = batch.getData().getSchema();
                                try (CloseableIterator<Row> rows = batch.getRows()) {
                                    while (rows.hasNext()) {
                                        out.add(toMap(schema, rows.next()));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** @return the live files with their stats JSON, or the files that survive data skipping */
    public static List<ScanFile> scanFiles(String tablePath, Predicate filter) {
        Engine engine = engine();
        Snapshot snapshot = Table.forPath(engine, tablePath).getLatestSnapshot(engine);
        ScanBuilder builder = snapshot.getScanBuilder();
        if (filter != null) {
            builder = builder.withFilter(filter);
        }
        List<ScanFile> out = new ArrayList<>();
        try (CloseableIterator<FilteredColumnarBatch> files = builder.build().getScanFiles(engine, true)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        Row scanFile = rows.next();
                        FileStatus status = InternalScanFileUtils.getAddFileStatus(scanFile);
                        Row add = scanFile.getStruct(InternalScanFileUtils.ADD_FILE_ORDINAL);
                        int stats = add.getSchema().indexOf("stats");
                        out.add(new ScanFile(status.getPath(), status.getSize(),
                                add.isNullAt(stats) ? null : add.getString(stats)));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static CloseableIterator<FileStatus> single(FileStatus status) {
        return io.delta.kernel.internal.util.Utils.singletonCloseableIterator(status);
    }

    private static Map<String, Object> toMap(StructType schema, Row row) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < schema.length(); i++) {
            StructField f = schema.at(i);
            m.put(f.getName(), row.isNullAt(i) ? null : value(f.getDataType(), row, i));
        }
        return m;
    }

    private static Object value(DataType type, Row row, int i) {
        if (type instanceof StringType) {
            return row.getString(i);
        } else if (type instanceof IntegerType) {
            return row.getInt(i);
        } else if (type instanceof LongType) {
            return row.getLong(i);
        } else if (type instanceof DoubleType) {
            return row.getDouble(i);
        } else if (type instanceof BooleanType) {
            return row.getBoolean(i);
        } else if (type instanceof BinaryType) {
            return row.getBinary(i);
        } else if (type instanceof TimestampType) {
            return micros(row.getLong(i));
        } else if (type instanceof DateType) {
            return LocalDate.ofEpochDay(row.getInt(i));
        } else if (type instanceof DecimalType) {
            return row.getDecimal(i);
        } else if (type instanceof MapType t) {
            return map(t, row.getMap(i));
        }
        throw new IllegalArgumentException("unexpected Kernel type " + type);
    }

    private static Map<String, Object> map(MapType type, MapValue value) {
        Map<String, Object> m = new LinkedHashMap<>();
        ColumnVector keys = value.getKeys();
        ColumnVector values = value.getValues();
        for (int i = 0; i < value.getSize(); i++) {
            m.put(keys.getString(i), values.isNullAt(i) ? null : vectorValue(type.getValueType(), values, i));
        }
        return m;
    }

    private static Object vectorValue(DataType type, ColumnVector v, int i) {
        if (type instanceof StringType) {
            return v.getString(i);
        } else if (type instanceof IntegerType) {
            return v.getInt(i);
        } else if (type instanceof LongType) {
            return v.getLong(i);
        } else if (type instanceof DoubleType) {
            return v.getDouble(i);
        } else if (type instanceof BooleanType) {
            return v.getBoolean(i);
        } else if (type instanceof BinaryType) {
            return v.getBinary(i);
        } else if (type instanceof TimestampType) {
            return micros(v.getLong(i));
        } else if (type instanceof DateType) {
            return LocalDate.ofEpochDay(v.getInt(i));
        } else if (type instanceof DecimalType) {
            return v.getDecimal(i);
        }
        throw new IllegalArgumentException("unexpected Kernel map value type " + type);
    }

    private static Instant micros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
