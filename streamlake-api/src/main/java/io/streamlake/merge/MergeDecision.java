package io.streamlake.merge;

import io.streamlake.schema.Row;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link MergeStrategy} decides for one key: keep the current row, write a row, or delete
 * the key.
 *
 * <pre>{@code
 * MergeDecision d = current == null ? MergeDecision.upsert(incoming) : MergeDecision.keep();
 * }</pre>
 */
public final class MergeDecision {

    /** The three outcomes. */
    public enum Kind {
        /** Leave the current row (or the absence of one) as it is. */
        KEEP,
        /** Make {@link #row()} the key's row. */
        UPSERT,
        /** Remove the key's row. */
        DELETE
    }

    private static final MergeDecision KEEP = new MergeDecision(Kind.KEEP, null);
    private static final MergeDecision DELETE = new MergeDecision(Kind.DELETE, null);

    private final Kind kind;
    private final @Nullable Row row;

    private MergeDecision(Kind kind, @Nullable Row row) {
        this.kind = kind;
        this.row = row;
    }

    /** @return keep the current row */
    public static MergeDecision keep() {
        return KEEP;
    }

    /** @return remove the key */
    public static MergeDecision delete() {
        return DELETE;
    }

    /**
     * @param row the row the key should have (often the incoming one, or a blend of both)
     * @return write this row
     */
    public static MergeDecision upsert(Row row) {
        return new MergeDecision(Kind.UPSERT, Objects.requireNonNull(row, "row"));
    }

    /** @return the outcome */
    public Kind kind() {
        return kind;
    }

    /**
     * @return the row to write
     * @throws IllegalStateException unless the kind is UPSERT
     */
    public Row row() {
        if (row == null) {
            throw new IllegalStateException("a " + kind + " decision carries no row");
        }
        return row;
    }

    /** Decisions are equal when their kinds and rows are. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MergeDecision d && kind == d.kind && Objects.equals(row, d.row);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, row);
    }

    @Override
    public String toString() {
        return row == null ? kind.name() : "UPSERT " + row;
    }
}
