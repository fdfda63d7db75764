package io.streamlake.testkit;

import io.streamlake.schema.Row;
import io.streamlake.table.ChangeFeedLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.assertj.core.api.AbstractAssert;
import org.assertj.core.api.Assertions;
import org.assertj.core.api.ListAssert;

/**
 * AssertJ assertions on a table's contents. Failure messages show the offending rows.
 *
 * <pre>{@code
 * StreamLakeAssertions.assertThat(driver.bronze()).hasRowCount(10).hasNoDuplicates("partition", "position");
 * }</pre>
 */
public final class TableContentsAssert extends AbstractAssert<TableContentsAssert, TableContents> {

    TableContentsAssert(TableContents actual) {
        super(actual, TableContentsAssert.class);
    }

    /**
     * @param expected number of rows
     * @return this assertion
     */
    public TableContentsAssert hasRowCount(long expected) {
        isNotNull();
        if (actual.rows().size() != expected) {
            failWithMessage("expected table %s to hold %d rows but it holds %d", actual.location(), expected,
                    actual.rows().size());
        }
        return this;
    }

    /**
     * Checks no two rows share the same values in these columns (for example the key in silver, or
     * partition and position in bronze).
     *
     * @param columns the columns that must identify a row
     * @return this assertion
     */
    public TableContentsAssert hasNoDuplicates(String... columns) {
        isNotNull();
        Map<List<Object>, Row> seen = new HashMap<>();
        for (Row r : actual.rows()) {
            List<Object> id = new ArrayList<>(columns.length);
            for (String c : columns) {
                Object v = r.value(c);
                id.add(v instanceof byte[] b ? java.util.HexFormat.of().formatHex(b) : v);
            }
            Row before = seen.put(id, r);
            if (before != null) {
                failWithMessage("table %s holds %s = %s twice:%n  %s%n  %s", actual.location(), List.of(columns), id,
                        before, r);
            }
        }
        return this;
    }

    /**
     * Checks some row has all these column values (other columns may be anything).
     *
     * @param values column name to expected value
     * @return this assertion
     */
    public TableContentsAssert hasRow(Map<String, ?> values) {
        isNotNull();
        if (actual.rows().stream().anyMatch(r -> matches(r, values))) {
            return this;
        }
        failWithMessage("expected table %s to hold a row with %s but its rows are:%n%s", actual.location(), values,
                describeRows());
        return this;
    }

    /**
     * Checks no row has all these column values.
     *
     * @param values column name to value
     * @return this assertion
     */
    public TableContentsAssert hasNoRow(Map<String, ?> values) {
        isNotNull();
        for (Row r : actual.rows()) {
            if (matches(r, values)) {
                failWithMessage("expected table %s to hold no row with %s but found %s", actual.location(), values, r);
            }
        }
        return this;
    }

    private static boolean matches(Row row, Map<String, ?> values) {
        for (Map.Entry<String, ?> e : values.entrySet()) {
            if (!Objects.deepEquals(row.value(e.getKey()), e.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks how many rows have a value in a column, for example how many quarantine rows a rule
     * produced: {@code assertThat(driver.quarantine()).hasRowsWhere("rule", "positive_amount", 2)}.
     *
     * @param column a column name
     * @param value the value to count
     * @param expected how many rows should have it
     * @return this assertion
     */
    public TableContentsAssert hasRowsWhere(String column, Object value, long expected) {
        isNotNull();
        long n = actual.rows().stream().filter(r -> Objects.deepEquals(r.value(column), value)).count();
        if (n != expected) {
            failWithMessage("expected %d rows of table %s with %s = %s but found %d; its rows are:%n%s", expected,
                    actual.location(), column, value, n, describeRows());
        }
        return this;
    }

    /**
     * @param appId a progress marker
     * @param expected its expected version
     * @return this assertion
     */
    public TableContentsAssert hasMarker(String appId, long expected) {
        isNotNull();
        long v = actual.marker(appId).orElse(-1);
        if (v != expected) {
            failWithMessage("expected marker '%s' of table %s to be %d but it is %s", appId, actual.location(),
                    expected,
                    v < 0 ? "absent" : String.valueOf(v));
        }
        return this;
    }

    /**
     * Checks a change feed ({@code Pipeline.withChangeFeed}) against silver: applied version by
     * version to an empty table (each version's {@code delete} and {@code update_preimage} rows
     * removed, then its {@code insert} and {@code update_postimage} rows added), its changes give
     * exactly silver's rows. So every change is there once: a change missing, or written twice, leaves
     * a row too many or too few, or removes a row the table did not hold. Every value is compared. For a
     * feed started on a silver table that already held rows, compare the feed's versions yourself.
     *
     * <pre>{@code
     * StreamLakeAssertions.assertThat(driver.changeFeed()).replaysTo(driver.silver());
     * }</pre>
     *
     * @param silver the silver table the feed is of, at the version the feed has reached
     * @return this assertion
     */
    public TableContentsAssert replaysTo(TableContents silver) {
        isNotNull();
        List<String> columns = silver.schema().map(s -> s.fields().stream().map(f -> f.name()).toList())
                .orElse(List.of());
        List<Row> changes = new ArrayList<>(actual.rows());
        changes.sort(java.util.Comparator.comparing(r -> r.longValue(ChangeFeedLayout.COMMIT_VERSION)));
        Map<List<Object>, Integer> held = new HashMap<>();
        int i = 0;
        while (i < changes.size()) {
            long version = changes.get(i).longValue(ChangeFeedLayout.COMMIT_VERSION);
            int end = i;
            while (end < changes.size() && changes.get(end).longValue(ChangeFeedLayout.COMMIT_VERSION) == version) {
                end++;
            }
            List<Row> ofVersion = changes.subList(i, end);
            long pre = ofVersion.stream().filter(r -> ChangeFeedLayout.UPDATE_PREIMAGE.equals(
                    r.string(ChangeFeedLayout.CHANGE_TYPE))).count();
            long post = ofVersion.stream().filter(r -> ChangeFeedLayout.UPDATE_POSTIMAGE.equals(
                    r.string(ChangeFeedLayout.CHANGE_TYPE))).count();
            if (pre != post) {
                failWithMessage("change feed %s has %d update_preimage rows but %d update_postimage rows for silver"
                        + " version %d", actual.location(), pre, post, version);
            }
            for (Row r : ofVersion) {
                String type = r.string(ChangeFeedLayout.CHANGE_TYPE);
                if (ChangeFeedLayout.DELETE.equals(type) || ChangeFeedLayout.UPDATE_PREIMAGE.equals(type)) {
                    List<Object> values = values(r, columns);
                    Integer n = held.get(values);
                    if (n == null) {
                        failWithMessage("change feed %s: silver version %d has a %s of a row that the changes before"
                                + " it do not hold: %s", actual.location(), version, type, r);
                    } else if (n == 1) {
                        held.remove(values);
                    } else {
                        held.put(values, n - 1);
                    }
                }
            }
            for (Row r : ofVersion) {
                String type = r.string(ChangeFeedLayout.CHANGE_TYPE);
                if (ChangeFeedLayout.INSERT.equals(type) || ChangeFeedLayout.UPDATE_POSTIMAGE.equals(type)) {
                    held.merge(values(r, columns), 1, Integer::sum);
                } else if (!ChangeFeedLayout.DELETE.equals(type) && !ChangeFeedLayout.UPDATE_PREIMAGE.equals(type)) {
                    failWithMessage("change feed %s has a row of change type %s: %s", actual.location(), type, r);
                }
            }
            i = end;
        }
        Map<List<Object>, Integer> expected = new HashMap<>();
        for (Row r : silver.rows()) {
            expected.merge(values(r, columns), 1, Integer::sum);
        }
        if (!held.equals(expected)) {
            Map<List<Object>, Integer> missing = new HashMap<>(expected);
            held.forEach((k, n) -> missing.computeIfPresent(k, (x, m) -> m - n > 0 ? m - n : null));
            Map<List<Object>, Integer> extra = new HashMap<>(held);
            expected.forEach((k, n) -> extra.computeIfPresent(k, (x, m) -> m - n > 0 ? m - n : null));
            failWithMessage("change feed %s does not replay to silver %s (columns %s):%n rows silver holds that the"
                    + " changes do not give: %s%n rows the changes give that silver does not hold: %s",
                    actual.location(), silver.location(), columns, missing, extra);
        }
        return this;
    }

    private static List<Object> values(Row row, List<String> columns) {
        List<Object> values = new ArrayList<>(columns.size());
        for (String c : columns) {
            Object v = row.value(c);
            values.add(v instanceof byte[] b ? java.util.HexFormat.of().formatHex(b) : v);
        }
        return values;
    }

    /**
     * @param column a column name
     * @return an assertion on that column's values, row by row
     */
    public ListAssert<Object> column(String column) {
        isNotNull();
        return Assertions.assertThat(actual.column(column));
    }

    private String describeRows() {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (Row r : actual.rows()) {
            if (n++ == 20) {
                sb.append("  ... ").append(actual.rows().size() - 20).append(" more\n");
                break;
            }
            sb.append("  ").append(r).append('\n');
        }
        return sb.toString();
    }
}
