package io.streamlake.testkit;

import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import io.streamlake.table.TableSnapshot;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * Everything a table holds at one version, read back for assertions.
 *
 * <pre>{@code
 * TableContents silver = driver.silver();
 * assertThat(silver.rows()).hasSize(3);
 * StreamLakeAssertions.assertThat(silver).hasRowCount(3).hasNoDuplicates("order_id");
 * }</pre>
 *
 * @param location the table's location
 * @param snapshot the version read
 * @param rows every row, file by file
 */
public record TableContents(String location, TableSnapshot snapshot, List<Row> rows) {

    /** Copies the rows. */
    public TableContents {
        Objects.requireNonNull(snapshot, "snapshot");
        rows = List.copyOf(rows);
    }

    /** @return the table version, -1 if the table does not exist */
    public long version() {
        return snapshot.version();
    }

    /** @return the table schema, empty if the table does not exist */
    public Optional<Schema> schema() {
        return snapshot.schema();
    }

    /** @return the data files */
    public List<DataFile> files() {
        return snapshot.files();
    }

    /**
     * @param column a column name
     * @return that column's values, row by row
     */
    public List<Object> column(String column) {
        return rows.stream().map(r -> r.value(column)).collect(Collectors.toList());
    }

    /**
     * @param keyColumn the key column
     * @param key a key value
     * @return the row with that key, if any (the first, if the key is duplicated)
     */
    public Optional<Row> row(String keyColumn, Object key) {
        return rows.stream().filter(r -> Objects.equals(r.value(keyColumn), key)).findFirst();
    }

    /**
     * @param appId a progress marker, for example {@code "streamlake/orders/0"} (pipeline / stream /
     *     partition in bronze) or {@code "streamlake/silver"} in silver
     * @return its version, if set
     */
    public OptionalLong marker(String appId) {
        return snapshot.transaction(appId);
    }
}
