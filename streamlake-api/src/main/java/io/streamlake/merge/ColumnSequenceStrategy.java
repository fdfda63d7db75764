package io.streamlake.merge;

import io.streamlake.schema.Row;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An optional ability of a {@link MergeStrategy} with one row per key: sequence values that silver
 * does not hold, which the engine keeps for each key beside silver, in the delete-marker table. Two
 * kinds: the sequence value behind each column of a row built from partial updates
 * ({@link #tracksColumnSequences()}, merged with {@link #mergeColumns} instead of {@link #merge}),
 * and the row's own sequence value when silver leaves a sequence column out
 * ({@link #keepsRowSequences()}, put back with {@link #withKeptSequence} before each merge).
 *
 * <pre>{@code
 * if (strategy instanceof ColumnSequenceStrategy s && s.tracksColumnSequences()) {
 *     PartialRow p = s.mergeColumns(row, keptSequences, event);   // keep p.sequences() beside silver
 * }
 * }</pre>
 *
 * <p>{@link Scd1Strategy} implements it. It is a capability rather than part of
 * {@link MergeStrategy} because most strategies need nothing but the row, and it extends
 * {@link DeleteMarkerStrategy} because the engine keeps these values with the key's delete marker.
 */
public interface ColumnSequenceStrategy extends DeleteMarkerStrategy {

    /**
     * A row of partial updates and where its values came from: for each column whose value was not
     * set by the row's newest event, the sequence value of the event that set it. Made by
     * {@link #mergeColumns}.
     *
     * @param row the key's row, or null when the event deleted it
     * @param sequences the sequence value behind each column that differs from the row's own: a
     *     non-null value missing from the map came with the row's sequence value, a null value missing
     *     from it was never set
     */
    record PartialRow(@Nullable Row row, Map<String, Object> sequences) {
        /** Copies the map. */
        public PartialRow {
            sequences = Map.copyOf(sequences);
        }
    }

    /**
     * @return whether the engine keeps, for each key, the sequence value behind each column and
     *     merges with {@link #mergeColumns}
     */
    boolean tracksColumnSequences();

    /**
     * @return whether silver leaves out a sequence column, so the engine keeps each key's sequence
     *     value beside silver and gives it back with {@link #withKeptSequence}
     */
    boolean keepsRowSequences();

    /**
     * @param row a row read back from silver, of the declared schema
     * @param kept the row's sequence value as {@link #sequenceOf} gave it when the row was written
     * @return the row with its sequence value, itself when it has one already
     */
    Row withKeptSequence(Row row, Object kept);

    /**
     * Merges an event column by column, so that every arrival order of the same events gives the
     * same row; pure, the engine keeps the sequences.
     *
     * @param current the key's row, or null when silver holds none
     * @param sequences the sequences of {@code current} as {@link PartialRow#sequences()}; empty
     *     for a key without a row
     * @param incoming the event
     * @return the row and its sequences; a null row when a delete at least as new as the row deletes it
     * @throws IllegalStateException if the strategy does not {@link #tracksColumnSequences()}
     */
    PartialRow mergeColumns(@Nullable Row current, Map<String, Object> sequences, Row incoming);
}
