package io.streamlake.table;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Schema;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The change feed's layout ({@code Pipeline.withChangeFeed}): silver's columns, then the three
 * columns of Delta's change data feed, with the same names and values, so that a reader written for
 * Delta's {@code table_changes} reads it unchanged. An update is two rows with the same
 * {@code _commit_version}: the row before ({@code update_preimage}) and after ({@code update_postimage}).
 *
 * <pre>{@code
 * Schema feed = ChangeFeedLayout.schema(silverSchema);
 * String kind = row.string(ChangeFeedLayout.CHANGE_TYPE);   // "insert", "update_postimage", ...
 * }</pre>
 */
public final class ChangeFeedLayout {
    /** What happened to the row: one of the four values below. */
    public static final String CHANGE_TYPE = "_change_type";
    /** The silver version that made the change. */
    public static final String COMMIT_VERSION = "_commit_version";
    /** When that silver version was committed. */
    public static final String COMMIT_TIMESTAMP = "_commit_timestamp";

    /** A row that silver did not hold before. */
    public static final String INSERT = "insert";
    /** A changed row, as it was. */
    public static final String UPDATE_PREIMAGE = "update_preimage";
    /** A changed row, as it is now. */
    public static final String UPDATE_POSTIMAGE = "update_postimage";
    /** A row silver no longer holds, as it was. */
    public static final String DELETE = "delete";

    /** The change columns, which a silver schema must not have itself. */
    public static final Set<String> COLUMNS = Set.of(CHANGE_TYPE, COMMIT_VERSION, COMMIT_TIMESTAMP);

    private ChangeFeedLayout() {
    }

    /**
     * @param silver silver's schema as stored (with the columns a strategy adds, such as SCD type 2's)
     * @return the change feed's schema: silver's columns as they are (every change row is a whole
     *     silver row, before or after), then the change columns
     */
    public static Schema schema(Schema silver) {
        List<Field> fields = new ArrayList<>(silver.fields());
        fields.add(Field.required(CHANGE_TYPE, DataType.STRING));
        fields.add(Field.required(COMMIT_VERSION, DataType.LONG));
        fields.add(Field.required(COMMIT_TIMESTAMP, DataType.TIMESTAMP));
        return Schema.of(fields);
    }
}
