package io.streamlake.merge;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Field;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The built-in merge strategies.
 *
 * <pre>{@code
 * pipeline.withMergeStrategy(MergeStrategies.latestBy("updated_at")); // SCD type 1 by sequence
 * pipeline.withMergeStrategy(MergeStrategies.firstWins());            // insert-only dedupe
 * }</pre>
 */
public final class MergeStrategies {
    private MergeStrategies() {
    }

    /**
     * Latest wins by a sequence column (SCD type 1): an incoming row replaces the current one when
     * its sequence value is greater, so out-of-order events are resolved by the value, not by
     * arrival. Equal sequence values resolve to the row that arrived last (bronze order), which is
     * deterministic. A null sequence value is older than any value.
     *
     * @param sequenceColumn a column of a comparable type (number, string, timestamp, date, decimal)
     * @return the strategy
     */
    public static MergeStrategy latestBy(String sequenceColumn) {
        Objects.requireNonNull(sequenceColumn, "sequenceColumn");
        return new LatestBy(sequenceColumn);
    }

    /**
     * First wins: the first row seen for a key is kept and later ones are ignored (insert-only
     * deduplication).
     *
     * @return the strategy
     */
    public static MergeStrategy firstWins() {
        return FirstWins.INSTANCE;
    }

    /**
     * Last arrival wins: every incoming row replaces the current one. The default strategy.
     *
     * @return the strategy
     */
    public static MergeStrategy lastWins() {
        return LastWins.INSTANCE;
    }

    private record LatestBy(String column) implements MergeStrategy {
        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public MergeDecision merge(@Nullable Row current, Row incoming) {
            if (current == null) {
                return MergeDecision.upsert(incoming);
            }
            Comparable in = (Comparable) incoming.value(column);
            Comparable cur = (Comparable) current.value(column);
            if (in == null) {
                return cur == null ? MergeDecision.upsert(incoming) : MergeDecision.keep();
            }
            if (cur == null || in.compareTo(cur) >= 0) {
                return MergeDecision.upsert(incoming);
            }
            return MergeDecision.keep();
        }

        @Override
        public void validate(Schema schema) {
            Field f = schema.field(column).orElseThrow(() -> new ConfigurationException(
                    "latestBy(\"" + column + "\"): the silver schema " + schema + " has no column '" + column
                            + "'; name a column of the declared schema"));
            DataType.Kind k = f.type().kind();
            if (k == DataType.Kind.BINARY || k == DataType.Kind.MAP || k == DataType.Kind.BOOLEAN) {
                throw new ConfigurationException("latestBy(\"" + column + "\"): column type " + f.type()
                        + " cannot order events; use a number, string, timestamp, date or decimal column");
            }
        }

        @Override
        public String toString() {
            return "latestBy(" + column + ")";
        }
    }

    private enum FirstWins implements MergeStrategy {
        INSTANCE;

        @Override
        public MergeDecision merge(@Nullable Row current, Row incoming) {
            return current == null ? MergeDecision.upsert(incoming) : MergeDecision.keep();
        }

        @Override
        public String toString() {
            return "firstWins()";
        }
    }

    private enum LastWins implements MergeStrategy {
        INSTANCE;

        @Override
        public MergeDecision merge(@Nullable Row current, Row incoming) {
            return MergeDecision.upsert(incoming);
        }

        @Override
        public String toString() {
            return "lastWins()";
        }
    }
}
