package io.streamlake.merge;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An optional ability of a {@link MergeStrategy}: its events carry a sequence value and may delete
 * their key, so the engine can remember a key beside silver, in the delete-marker table
 * ({@code Pipeline.withDeleteMarkers}). With it a delete keeps a late update of the key out, as a
 * delete marker; without it a delete is forgotten once the row is gone. The engine reads each
 * event's sequence value ({@link #sequenceOf}) and kind ({@link #isDelete}) beside the merge, keeps
 * the markers when {@link #keepsKeyState()}, and expires them after {@link #deleteRetention()}.
 *
 * <pre>{@code
 * if (strategy instanceof DeleteMarkerStrategy s && s.keepsKeyState()) {
 *     // read the batch's keys' markers, fold with them, commit the changed markers before silver
 * }
 * }</pre>
 *
 * <p>The built-ins ({@link CdcStrategy}) implement it. It is a capability rather than part of
 * {@link MergeStrategy} because a strategy that orders events by arrival, or by a rule of its own,
 * has no sequence value to keep, and {@link MergeStrategy} stays a one-method contract for those.
 * Implementations are pure and called from several threads at once, as {@link MergeStrategy} is.
 */
public interface DeleteMarkerStrategy extends MergeStrategy {

    /**
     * @return whether the engine keeps per-key state in the delete-marker table for this strategy
     *     as configured: delete markers, and whatever the strategy's other abilities keep there
     *     ({@link ColumnSequenceStrategy}, {@link HistoryStrategy}); false when it keeps nothing, and
     *     always false without a sequence column (a marker is placed in its key's order by one)
     */
    boolean keepsKeyState();

    /** @return how long the engine keeps a delete marker, measured in source time; zero when none */
    Duration deleteRetention();

    /**
     * @param incoming a decoded row
     * @return whether it is a delete event, which the engine remembers as a delete marker
     */
    boolean isDelete(Row incoming);

    /**
     * @param row a row that has the sequence columns ({@link #sequenceColumns()})
     * @return its sequence value, compared with {@link CdcStrategy#compareSequence} and stored with
     *     {@link CompositeSequence#toStored}; null when a sequence column is null or there is none
     */
    @Nullable
    Object sequenceOf(Row row);

    /**
     * @param schema a schema that has the sequence columns
     * @return their types, most significant first, to read a stored sequence value back with
     *     ({@link CompositeSequence#fromStored})
     */
    List<DataType> sequenceTypes(Schema schema);
}
