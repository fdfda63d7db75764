package io.streamlake.table;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where a pipeline writes a table: a path (a local folder, or a Hadoop URI such as {@code abfss://}
 * or {@code s3a://}, stored as Delta Lake) or a {@link Table} instance of your own.
 *
 * <pre>{@code
 * TableRef local = TableRef.path("lake/bronze/orders");
 * TableRef adls = TableRef.path("abfss://lake@acct.dfs.core.windows.net/bronze/orders");
 * }</pre>
 */
public final class TableRef {
    private final @Nullable String path;
    private final @Nullable Table table;

    private TableRef(@Nullable String path, @Nullable Table table) {
        this.path = path;
        this.table = table;
    }

    /**
     * @param path a local folder or a Hadoop file system URI; the Delta table lives there
     * @return the reference
     */
    public static TableRef path(String path) {
        Objects.requireNonNull(path, "path");
        if (path.isBlank()) {
            throw new IllegalArgumentException("a table path must not be blank");
        }
        return new TableRef(path, null);
    }

    /**
     * @param table a table implementation (the testkit's in-memory table, your own sink)
     * @return the reference
     */
    public static TableRef of(Table table) {
        return new TableRef(null, Objects.requireNonNull(table, "table"));
    }

    /** @return the path, empty when this refers to a table instance */
    public Optional<String> path() {
        return Optional.ofNullable(path);
    }

    /** @return the table instance, empty when this refers to a path */
    public Optional<Table> table() {
        return Optional.ofNullable(table);
    }

    /** @return the path or the table's location */
    @Override
    public String toString() {
        return path != null ? path : Objects.requireNonNull(table).location();
    }
}
