package io.streamlake.table;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One immutable data file of a table, with the statistics that let readers (and the merge planner)
 * skip it: row count and, per primitive column, minimum, maximum and null count. Values in the
 * statistics maps use the Java classes of {@link io.streamlake.schema.Row}; a column missing from
 * {@code minValues} or {@code maxValues} has unknown bounds.
 *
 * <pre>{@code
 * boolean mayHold = file.min("order_id").map(m -> ((String) m).compareTo(key) <= 0).orElse(true);
 * }</pre>
 *
 * @param path the file's path relative to the table root (as the Delta log stores it)
 * @param sizeBytes file size
 * @param rowCount number of rows
 * @param minValues per-column minimum
 * @param maxValues per-column maximum
 * @param nullCounts per-column number of nulls
 * @param partitionValues for a file of a partitioned table, each partition column's value as text
 *     ({@link PartitionValues#format}), null for null; the same for every row of the file, and
 *     empty for an unpartitioned table
 */
public record DataFile(
        String path,
        long sizeBytes,
        long rowCount,
        Map<String, Object> minValues,
        Map<String, Object> maxValues,
        Map<String, Long> nullCounts,
        Map<String, @Nullable String> partitionValues) {

    /** Copies the maps. */
    public DataFile {
        Objects.requireNonNull(path, "path");
        minValues = Map.copyOf(minValues);
        maxValues = Map.copyOf(maxValues);
        nullCounts = Map.copyOf(nullCounts);
        // Map.copyOf refuses null values, which a null partition value is.
        partitionValues = partitionValues.isEmpty() ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(partitionValues));
    }

    /**
     * A file of an unpartitioned table.
     *
     * @param path the file's path relative to the table root
     * @param sizeBytes file size
     * @param rowCount number of rows
     * @param minValues per-column minimum
     * @param maxValues per-column maximum
     * @param nullCounts per-column number of nulls
     */
    public DataFile(String path, long sizeBytes, long rowCount, Map<String, Object> minValues,
            Map<String, Object> maxValues, Map<String, Long> nullCounts) {
        this(path, sizeBytes, rowCount, minValues, maxValues, nullCounts, Map.of());
    }

    /**
     * @param column column name
     * @return the column's minimum, if known
     */
    public Optional<Object> min(String column) {
        return Optional.ofNullable(minValues.get(column));
    }

    /**
     * @param column column name
     * @return the column's maximum, if known
     */
    public Optional<Object> max(String column) {
        return Optional.ofNullable(maxValues.get(column));
    }
}
