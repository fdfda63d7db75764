package io.streamlake.core.delta;

import io.delta.standalone.exceptions.ConcurrentAppendException;
import io.delta.standalone.exceptions.ConcurrentDeleteDeleteException;
import io.delta.standalone.exceptions.ConcurrentDeleteReadException;
import io.delta.standalone.exceptions.ConcurrentTransactionException;
import io.delta.standalone.exceptions.DeltaConcurrentModificationException;
import io.delta.standalone.exceptions.MetadataChangedException;
import io.delta.standalone.exceptions.ProtocolChangedException;
import io.delta.standalone.types.StructType;
import io.streamlake.exceptions.CommitConflictException;
import io.streamlake.exceptions.CommitStateUnknownException;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.exceptions.SchemaMismatchException;
import io.streamlake.exceptions.SinkException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The delta package's failures, written once (modelled on Delta Kernel's {@code DeltaErrors}): each
 * message says what failed, why, and what to do, and names the table, file or column. Messages that
 * quote a path, a cause or a value go through the table's redactor, so no credential reaches a
 * message or a cause. Sites throw what these return:
 *
 * <pre>{@code
 * throw DeltaErrors.commitStateUnknown(table, readVersion + 1, e);
 * }</pre>
 *
 * <p>Not to be confused with delta-standalone's own {@code io.delta.standalone.internal.exception.DeltaErrors}.
 */
final class DeltaErrors {
    private DeltaErrors() {
    }

    // ---- opening and creating tables ----

    static CommitConflictException createKeptConflicting(DeltaTable table, long readVersion,
            DeltaConcurrentModificationException e) {
        return CommitConflictException.onTable("creating Delta table " + table.location() + " kept conflicting"
                + " with concurrent writers (" + table.redact(e.getMessage()) + "); retry once they are done",
                table.sanitize(e), table.location(), readVersion);
    }

    static ConfigurationException partitioningDiffers(DeltaTable table, List<String> existing, List<String> declared) {
        return new ConfigurationException("Delta table " + table.location() + " is partitioned by "
                + describePartitions(existing) + ", but the pipeline partitions it by "
                + describePartitions(declared) + "; a table keeps the partitioning it was created with:"
                + " declare the same partition columns, or write to a new table path");
    }

    /**
     * @param e why the table's schema cannot be represented
     * @param declared the pipeline's schema
     * @param existing the table's schema, null if it has none
     */
    static SchemaMismatchException existingSchemaUnreadable(SchemaMismatchException e, Schema declared,
            @Nullable StructType existing) {
        return new SchemaMismatchException(e.getMessage() + ". The declared schema is " + declared
                + "; the table's is " + (existing == null ? "empty" : existing.getTreeString().trim()), e);
    }

    static CommitConflictException addColumnsConflict(DeltaTable table, long readVersion,
            DeltaConcurrentModificationException e) {
        return CommitConflictException.onTable("adding columns to Delta table " + table.location() + " conflicted"
                + " with a concurrent writer (" + table.redact(e.getMessage()) + "); restart to try again",
                table.sanitize(e), table.location(), readVersion);
    }

    static SinkException protocolTooNew(DeltaTable table, int reader, int writer, @Nullable Throwable cause) {
        String features = table.describeFeatures(reader, writer);
        return new SinkException("Delta table " + table.location() + " uses protocol (reader " + reader + ", writer "
                + writer + "), newer than StreamLake can write (reader " + DeltaTable.MAX_READER_VERSION + ", writer "
                + DeltaTable.MAX_WRITER_VERSION + ")" + (features.isEmpty()
                        ? ": it enables features such as deletion vectors, column mapping or check constraints that"
                                + " StreamLake would not honour. Write to a new table path"
                        : features + " Otherwise write to a new table path")
                + ", or have Spark/Databricks write this table", cause, table.location());
    }

    static ConfigurationException invariantNotHonoured(DeltaTable table, String column, String invariant) {
        return new ConfigurationException("Delta table " + table.location() + " has an invariant on column '" + column
                + "' (delta.invariants: " + invariant + "), which StreamLake cannot check: rows that break it would"
                + " be written. Write to a new table path, or rewrite the table without the invariant (Delta has no"
                + " statement that drops one)");
    }

    /** A protocol refusal of delta-standalone whose message names no versions. */
    static SinkException protocolNewer(DeltaTable table, Throwable e) {
        return new SinkException("Delta table " + table.location() + " uses a protocol newer than StreamLake can"
                + " write (reader " + DeltaTable.MAX_READER_VERSION + ", writer " + DeltaTable.MAX_WRITER_VERSION
                + "): " + table.redact(e.getMessage()) + ". Write to a new table path", table.sanitize(e),
                table.location());
    }

    // ---- schemas and columns ----

    static SchemaMismatchException unsupportedColumnType(String location, String column, String type) {
        return new SchemaMismatchException("Delta table " + location + " has column '" + column + "' of type " + type
                + ", which StreamLake cannot read or write (supported: string, integer, long, double, boolean,"
                + " binary, timestamp, date, decimal(p<=18,s), map<string,primitive>); write to a new table path"
                + " instead");
    }

    static SchemaMismatchException noColumns(String location) {
        return new SchemaMismatchException("Delta table " + location + " has a schema without columns;"
                + " write to a new table path instead");
    }

    static SchemaMismatchException invalidColumnName(String column, char c) {
        return new SchemaMismatchException("column name '" + column + "' contains '"
                + (c == '\n' ? "\\n" : c == '\t' ? "\\t" : String.valueOf(c))
                + "', which Delta tables without column mapping do not allow (invalid: space , ; { } ( )"
                + " \\n \\t =); rename the column, for example with underscores");
    }

    /** A map column's key that is not a String (or is null): Delta maps here have string keys. */
    static SchemaMismatchException mapKeyNotString(String column, @Nullable Object key) {
        return new SchemaMismatchException("column '" + column + "' is a map with string keys, but a key is "
                + (key == null ? "null" : "a " + key.getClass().getName()) + "; use non-null String keys");
    }

    /** A map column's value of another class than the column's value type. */
    static SchemaMismatchException mapValueType(String column, String expected, Object key, Object value) {
        return new SchemaMismatchException("column '" + column + "' holds " + expected + " values, but key '" + key
                + "' maps to a " + value.getClass().getName());
    }

    static SchemaMismatchException timestampOutOfRange(String column, Object timestamp) {
        return new SchemaMismatchException("column '" + column + "': timestamp " + timestamp
                + " is outside the range of microsecond timestamps (about years -290308 to 294247)");
    }

    static SchemaMismatchException dateOutOfRange(String column, Object date) {
        return new SchemaMismatchException("column '" + column + "': date " + date
                + " is outside the range of Parquet dates (32-bit days since 1970-01-01)");
    }

    static SchemaMismatchException decimalScale(String column, DataType type, String value) {
        return new SchemaMismatchException("column '" + column + "' of type " + type + ": value " + value
                + " has more than " + type.scale() + " digits after the point; round it (BigDecimal.setScale)"
                + " before writing");
    }

    static SchemaMismatchException decimalPrecision(String column, DataType type, String value) {
        return new SchemaMismatchException("column '" + column + "' of type " + type + ": value " + value
                + " needs more than " + type.precision() + " digits; declare a wider decimal");
    }

    // ---- reading ----

    static SchemaMismatchException badPartitionValue(DeltaTable table, String file, Map.Entry<String, ?> value,
            DataType type, IllegalArgumentException bad) {
        return new SchemaMismatchException(table.redact("data file " + file + " of Delta table " + table.location()
                + " has partition value " + value + " that does not fit column type " + type + ": " + bad.getMessage())
                + "; read it with the table's schema", bad);
    }

    /** @param incompatible the column mismatch found in the cause chain of {@code e} */
    static SchemaMismatchException fileDoesNotFitSchema(DeltaTable table, String file, Throwable incompatible,
            Throwable e) {
        return new SchemaMismatchException(table.redact("data file " + file + " of Delta table " + table.location()
                + " cannot be read with the requested schema: " + incompatible.getMessage())
                + "; read it with a schema that matches the table's", table.sanitize(e));
    }

    /**
     * The generic storage or delta-standalone failure.
     *
     * @param what what was being done, such as {@code "cannot read version 3"}
     * @param todo what the caller should do
     */
    static SinkException storageFailure(DeltaTable table, String what, Throwable cause, String todo) {
        return new SinkException(table.redact(what + " (Delta table " + table.location() + "): " + describe(cause))
                + "; " + todo, table.sanitize(cause), table.location());
    }

    // ---- commits ----

    static SinkException tableNotCreated(DeltaTable table) {
        return new SinkException("Delta table " + table.location() + " does not exist yet; call create(schema)"
                + " before committing to it", null, table.location());
    }

    /**
     * @param want the marker version the batch started from, -1 for none
     * @param actual the marker version the table holds, -1 for none
     */
    static CommitConflictException markerMoved(DeltaTable table, long readVersion, String marker, long want,
            long actual) {
        return CommitConflictException.onMarker(table.redact("commit to Delta table " + table.location()
                + " refused: transaction marker '" + marker + "' is at " + describeMarker(actual) + " in version "
                + readVersion + " but this batch started from " + describeMarker(want) + ", so another writer made"
                + " progress on it (another instance took over these partitions?). Nothing was written; drop"
                + " the batch and resume from the committed markers"), table.location(), readVersion, marker, want,
                actual);
    }

    static CommitConflictException concurrentCommit(DeltaTable table, long readVersion,
            DeltaConcurrentModificationException e) {
        return CommitConflictException.onTable("commit to Delta table " + table.location() + " (based on version "
                + readVersion + ") conflicts with a concurrent commit: " + conflictKind(e) + ". Nothing was"
                + " written; drop the batch and resume from the committed markers", table.sanitize(e),
                table.location(), readVersion);
    }

    static CommitConflictException removedFileGone(DeltaTable table, long readVersion, String file) {
        return CommitConflictException.onTable(table.redact("commit to Delta table " + table.location()
                + " refused: data file " + file + " to remove is not in version " + readVersion
                + " (another writer already removed or rewrote it?). Nothing was written; re-read the table"
                + " and retry the batch"), null, table.location(), readVersion);
    }

    /** A programming error: a data file written for another partitioning than the table's. */
    static IllegalArgumentException wrongPartitionValues(DeltaTable table, String file, Map<String, ?> values,
            List<String> columns) {
        return new IllegalArgumentException("data file " + file + " has partition values " + values
                + " but Delta table " + table.location() + " is partitioned by "
                + (columns.isEmpty() ? "no columns" : columns) + "; write it with newDataFile(schema, partitionValues)"
                + " of this table");
    }

    static IllegalStateException commitAlreadyApplied(DeltaTable table) {
        return new IllegalStateException("this commit to " + table.location() + " was already applied or"
                + " refused; start a new one with table.newCommit()");
    }

    /**
     * Writing a commit's log entry failed after it may have reached storage.
     *
     * @param table the table committed to
     * @param attemptedVersion the version the commit tried to write
     * @param cause what storage or delta-standalone threw
     */
    static CommitStateUnknownException commitStateUnknown(DeltaTable table, long attemptedVersion, Throwable cause) {
        return new CommitStateUnknownException(table.redact("commit of version " + attemptedVersion
                + " to Delta table " + table.location() + " failed with an unknown outcome: " + describe(cause)
                + ". The commit may or may not have been applied; resume from the committed markers, which tell"
                + " what the table holds (a StreamLake pipeline does so on restart)"),
                table.sanitize(cause), table.location(), attemptedVersion);
    }

    // ---- programming errors in calls of the package's API ----

    static IllegalArgumentException replaceRemovesNothing() {
        return new IllegalArgumentException("replace needs at least one file to remove; use add(file) to add files");
    }

    static IllegalArgumentException negativeMarkerVersion(String marker, long version) {
        return new IllegalArgumentException("a transaction marker version must be >= 0, got " + version
                + " for '" + marker + "'");
    }

    static IllegalArgumentException deltaOwnProperty(String property) {
        return new IllegalArgumentException("table property '" + property + "' is one of Delta's own, which change"
                + " how readers and writers treat the table; StreamLake does not set them");
    }

    static IllegalArgumentException negativeFromVersion(long fromVersion) {
        return new IllegalArgumentException("fromVersion must be >= 0, got " + fromVersion);
    }

    static IllegalArgumentException partitionColumnNotInSchema(String column, Schema schema) {
        return new IllegalArgumentException("partition column '" + column + "' is not in the schema " + schema);
    }

    /** @param file the data file's name */
    static IllegalArgumentException rowOfAnotherPartition(Object row, Map<String, ?> partition, String file) {
        return new IllegalArgumentException("row " + row + " does not belong to partition " + partition
                + " of data file " + file + "; write each partition's rows to a file of their own");
    }

    static IllegalArgumentException rowOfAnotherSchema(Schema rowSchema, Schema fileSchema) {
        return new IllegalArgumentException("the row's schema " + rowSchema
                + " differs from the schema this data file was opened with " + fileSchema);
    }

    /** @param broken what made an earlier write of the file fail */
    static IllegalStateException dataFileBroken(String file, Throwable broken) {
        return new IllegalStateException("data file " + file + " failed earlier and can only be closed", broken);
    }

    static IllegalStateException dataFileNotOpen(String file, boolean finished) {
        return new IllegalStateException("data file " + file + " is already "
                + (finished ? "finished or closed" : "closed") + "; open a new one with table.newDataFile(schema)");
    }

    // ---- verification ----

    static ConfigurationException nothingToVerify(String location) {
        return new ConfigurationException("cannot verify " + location + ": there is no Delta table"
                + " there (its _delta_log folder holds no committed version); check the path, and for a cloud"
                + " location the storage options");
    }

    static SinkException verificationInterrupted(String location, int checked, int files) {
        return new SinkException("verifying " + location + " was interrupted after " + checked + " of "
                + files + " files; it only reads, so nothing was changed: run it again", null, location);
    }

    // ---- wording shared by the messages ----

    /** @return the failure's class and message, as messages quote a cause */
    static String describe(Throwable t) {
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message.trim());
    }

    private static String describeMarker(long markerVersion) {
        return markerVersion < 0 ? "no marker" : Long.toString(markerVersion);
    }

    private static String describePartitions(List<String> columns) {
        return columns.isEmpty() ? "no columns (unpartitioned)" : columns.toString();
    }

    private static String conflictKind(DeltaConcurrentModificationException e) {
        if (e instanceof ConcurrentTransactionException) {
            return "another writer moved the same transaction marker (another instance owns these partitions now?)";
        } else if (e instanceof ConcurrentDeleteDeleteException) {
            return "another writer removed the same data files";
        } else if (e instanceof ConcurrentDeleteReadException) {
            return "another writer removed data files this commit read";
        } else if (e instanceof ConcurrentAppendException) {
            return "another writer added data files this commit depends on";
        } else if (e instanceof MetadataChangedException) {
            return "another writer changed the table's metadata";
        } else if (e instanceof ProtocolChangedException) {
            return "another writer changed the table's protocol";
        }
        return e.getClass().getSimpleName();
    }
}
