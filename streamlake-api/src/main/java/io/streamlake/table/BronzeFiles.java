package io.streamlake.table;

import io.streamlake.source.SourceRecord;
import java.time.Instant;

/**
 * An optional ability of a {@link Table} that holds bronze: writing raw records straight into a
 * data file of the {@link BronzeLayout}, without a {@link io.streamlake.schema.Row} per record
 * (which costs a fast table a large share of its write time). The engine uses it when the bronze
 * table has it, and {@link Table#newDataFile} with {@link BronzeLayout#toRow} otherwise; both must
 * give the same rows.
 *
 * <pre>{@code
 * if (bronze instanceof BronzeFiles files) {
 *     try (RecordFileWriter w = files.newBronzeFile(Instant.now())) {
 *         records.forEach(w::write);
 *         commit.add(w.finish());
 *     }
 * }
 * }</pre>
 */
public interface BronzeFiles {
    /**
     * @param ingestionTime the {@link BronzeLayout#INGESTION_TIME} of every row of the file
     * @return a writer of one new bronze data file, not thread-safe
     */
    RecordFileWriter newBronzeFile(Instant ingestionTime);

    /** Writes source records into one new bronze data file; like {@link DataFileWriter}, for records. */
    interface RecordFileWriter extends AutoCloseable {
        /** @param record a record, written as {@link BronzeLayout#toRow} would write it */
        void write(SourceRecord record);

        /**
         * Closes the file and computes its statistics.
         *
         * @return the finished file, to stage with {@link PendingCommit#add(DataFile)}
         */
        DataFile finish();

        /** Abandons the file (deleting it where possible). Does nothing after {@link #finish()}. */
        @Override
        void close();
    }
}
