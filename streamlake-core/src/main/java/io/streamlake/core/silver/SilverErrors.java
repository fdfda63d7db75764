package io.streamlake.core.silver;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.ExpectationFailedException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourceRecord;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The silver package's failures, written once: each message says what failed, why, and what to do,
 * and names the table, record, column or strategy. Silver quotes table locations as the tables give
 * them, and records by source partition and position, never their bytes. Sites throw what these
 * return:
 *
 * <pre>{@code
 * throw SilverErrors.keyColumnNotInSchema(column, schema);
 * }</pre>
 */
final class SilverErrors {
    private SilverErrors() {
    }

    /** A silver key names a column the declared schema does not have. */
    static ConfigurationException keyColumnNotInSchema(String column, Schema schema) {
        return new ConfigurationException("silver key column '" + column + "' is not in the schema "
                + schema + "; declare it or pick one of the schema's columns as the key");
    }

    /**
     * A record that cannot enter silver, with no quarantine table to put it in.
     *
     * @param rule the rule that refused it, as the quarantine would record it
     * @param problem what is wrong with it
     */
    static SchemaMismatchException cannotEnterSilver(SourceRecord r, String rule, String problem) {
        return new SchemaMismatchException("record " + r.partition() + "@" + r.position() + " cannot enter silver ("
                + rule + "): " + problem + ". The pipeline stopped so that nothing is dropped"
                + " silently; bronze holds the record. Give the pipeline a quarantine table (withQuarantine)"
                + " or fix the producer.");
    }

    /** A row broke an expectation whose action is FAIL. */
    static ExpectationFailedException expectationBroken(SourceRecord r, String expectation, Row row) {
        return new ExpectationFailedException("record " + r.partition() + "@" + r.position()
                + " broke expectation '" + expectation + "' (action FAIL): " + row + ". The pipeline"
                + " stopped; silver holds everything before this batch and bronze holds the record."
                + " Fix the data or change the rule's action to DROP or QUARANTINE, then restart.");
    }

    /** An expectation whose action is FAIL threw instead of deciding. */
    static ExpectationFailedException expectationThrew(SourceRecord r, String expectation, RuntimeException threw) {
        return new ExpectationFailedException("expectation '" + expectation + "' (action FAIL) threw "
                + threw.getClass().getName() + " on record " + r.partition() + "@" + r.position()
                + " instead of deciding: " + threw.getMessage() + ". The pipeline stopped; silver"
                + " holds everything before this batch and bronze holds the record. Make the rule"
                + " handle such rows (a null column, for example), then restart.", threw);
    }

    /** A merge strategy returned a row of another key than the one it merged. */
    static ConfigurationException strategyChangedKey(Object strategy, @Nullable Object returned, Object key) {
        return new ConfigurationException("merge strategy " + strategy + " returned a row with key "
                + returned + " while merging key " + key + "; a strategy must keep the row's key"
                + " (with keepColumns, list the key's columns)");
    }

    /** A strategy that keeps delete markers, in a pipeline without a table for them. */
    static ConfigurationException noDeleteMarkerTable(Object strategy, String pipeline) {
        return new ConfigurationException(strategy + " keeps delete markers, but pipeline " + pipeline
                + " has no delete-marker table; set one with withDeleteMarkers(table)");
    }

    /** A silver key column has the name of one of the delete-marker table's own columns. */
    static ConfigurationException keyNamesAMarkerColumn(String key) {
        return new ConfigurationException("silver key column '" + key + "' has the name of a column of"
                + " the delete-marker table; rename the key, or keep no delete markers (keepDeletesFor(Duration.ZERO))");
    }

    /**
     * A delete-marker table written for other sequence columns than the strategy's.
     *
     * @param kept the type of the sequence values the table keeps
     * @param cause why a kept value does not read as the strategy's, or null when the type alone differs
     * @param wanted the type the strategy keeps its sequence values as
     * @param composite whether the strategy orders by several columns (and so keeps text)
     */
    static ConfigurationException markersOfOtherSequence(String table, DataType kept, @Nullable Exception cause,
            Object strategy, List<String> sequenceColumns, DataType wanted, boolean composite) {
        return new ConfigurationException("delete-marker table " + table + " keeps sequence values of"
                + " type " + kept
                + (cause == null ? "" : " that do not read as " + strategy + "'s (" + cause.getMessage()
                        + ")")
                + ", written by a strategy with other sequence columns, but " + strategy + " orders events by "
                + sequenceColumns + ", whose values it keeps as " + wanted + (composite
                        ? " (the text of a sequence value of several columns)" : "")
                + "; a delete-marker table belongs to one sequence: set a new one with withDeleteMarkers(path) (the"
                + " markers of recent deletes are then lost), or go back to the sequence columns it was written with",
                cause);
    }

    /**
     * A silver table merged by another key than the pipeline's.
     *
     * @param recorded the key the table records, as users name it
     * @param wanted the pipeline's key, as users name it
     */
    static ConfigurationException otherKey(String table, String recorded, String wanted) {
        return new ConfigurationException("silver table " + table + " is merged by key "
                + recorded + ", but the pipeline gives " + wanted + "; a silver table keeps"
                + " its key: pass " + recorded + " to silver(path, key...), or write to a new table path"
                + " (and rebuild it from bronze)");
    }

    /**
     * A silver table of the other layout (one row per key, or SCD type 2 history).
     *
     * @param recorded the layout the table holds, described
     * @param wanted the layout the pipeline's strategy keeps, described
     */
    static ConfigurationException otherLayout(String table, String recorded, String wanted) {
        return new ConfigurationException("silver table " + table + " holds " + recorded
                + ", but the pipeline's strategy keeps " + wanted + "; a silver table keeps its"
                + " layout: use a strategy of the same kind, or write to a new table path (and rebuild it from bronze)");
    }

    /**
     * A silver table truncated through sequence columns the pipeline's strategy does not order by.
     *
     * @param recordedColumn the truncated table's sequence columns as its property records them
     * @param through the truncate watermark
     * @param column the strategy's sequence columns as the property would record them, null for none
     */
    static ConfigurationException truncatedByOtherSequence(String table, String recordedColumn, String through,
            Object strategy, @Nullable String column) {
        // several columns are recorded as a JSON array of names, which is also their argument list
        String arguments = recordedColumn.startsWith("[") ? recordedColumn.substring(1, recordedColumn.length() - 1)
                : "\"" + recordedColumn + "\"";
        return new ConfigurationException("silver table " + table + " was truncated through "
                + recordedColumn + " = " + through + " (a truncate record of latestBy(" + arguments
                + ").withTruncates(...)), so events up to that value stay out of it; but the pipeline's strategy "
                + strategy + (column == null ? " has no sequence column" : " orders events by " + column)
                + " and could not keep them out. Truncates exist for SCD type 1 ordered by sequence columns only: use"
                + " MergeStrategies.latestBy(" + arguments + "), or write to a new table path (and"
                + " rebuild it from bronze)");
    }

    /**
     * A truncate watermark that does not read as a value of the sequence columns.
     *
     * @param property the table property that holds it
     */
    static ConfigurationException unreadableWatermark(String table, String through, String property,
            @Nullable String column, List<DataType> types, RuntimeException e) {
        return new ConfigurationException("silver table " + table + " records truncate watermark '"
                + through + "' in property " + property + ", which is not a value of " + column
                + " (" + types + "): " + e.getMessage() + ". Was a column's type changed?"
                + " Set the property to the last truncate's value in that type, or rebuild silver from bronze", e);
    }

    /** Silver has a column of the change feed's own. */
    static ConfigurationException changeFeedColumnTaken(String silver, String column) {
        return new ConfigurationException("silver table " + silver + " has a column named '" + column
                + "', which its change feed adds to every change row; rename the column or write no change feed");
    }

    /**
     * The change feed cannot read the files a silver version removed or added: most likely vacuumed,
     * after the feed fell behind by more than the table's retention.
     */
    static SinkException changeFeedCannotRead(String silver, long version, StreamLakeException cause) {
        return new SinkException("the change feed of " + silver + " cannot read the files that silver version "
                + version + " removed or added, to find the rows it changed: " + cause.getMessage() + ". If they"
                + " were vacuumed (the feed fell behind by more than delta.deletedFileRetentionDuration), start"
                + " the change feed again from silver's current version by removing the change-feed table;"
                + " the changes of the versions in between are then not in it", cause);
    }

    /** Bronze's erasure log property does not read as entries: edited by hand? */
    static ConfigurationException erasureLogUnreadable(String entry) {
        return new ConfigurationException("bronze's table property " + Erasures.LOG + " has an entry that is not"
                + " id:through:hashes (" + entry.length() + " characters); it records the keys erased so far and"
                + " is written only by the library: restore it from the table's history (DESCRIBE HISTORY)");
    }

    /** A key of several columns was not given as a list of their values. Never quotes the key: it is personal data. */
    static IllegalArgumentException erasureKeyShape(int n, List<String> columns) {
        return new IllegalArgumentException("key " + n + " to erase is not a list of " + columns.size()
                + " values: the silver key has the columns " + columns + ", so give each key as"
                + " List.of(<" + String.join(">, <", columns) + ">)");
    }

    /** A key's value does not fit its column's type. Never quotes the value: it is personal data. */
    static IllegalArgumentException erasureKeyType(int n, String column, DataType type, String given) {
        return new IllegalArgumentException("key " + n + " to erase has a " + given + " for key column '" + column
                + "', which holds " + type + " values (as Row holds them: " + Row.javaClass(type).getSimpleName()
                + ")");
    }
}
