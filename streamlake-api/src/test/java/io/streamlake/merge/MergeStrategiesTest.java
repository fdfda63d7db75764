package io.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MergeStrategiesTest {
    private static final Schema SCHEMA = Schema.builder()
            .required("id", DataType.STRING)
            .optional("status", DataType.STRING)
            .optional("ts", DataType.TIMESTAMP)
            .build();

    private static Row row(String status, String ts) {
        return Row.of(SCHEMA, "k", status, ts == null ? null : Instant.parse(ts));
    }

    @Test
    void latestByKeepsTheGreaterSequenceWhateverTheArrivalOrder() {
        MergeStrategy s = MergeStrategies.latestBy("ts");
        Row older = row("PAID", "2026-01-01T00:00:00Z");
        Row newer = row("SHIPPED", "2026-01-02T00:00:00Z");
        assertThat(s.merge(null, older).row()).isEqualTo(older);
        assertThat(s.merge(older, newer).row()).isEqualTo(newer);
        assertThat(s.merge(newer, older).kind()).isEqualTo(MergeDecision.Kind.KEEP);
    }

    @Test
    void latestByTiesGoToTheLaterArrivalAndNullIsOldest() {
        MergeStrategy s = MergeStrategies.latestBy("ts");
        Row a = row("A", "2026-01-01T00:00:00Z");
        Row b = row("B", "2026-01-01T00:00:00Z");
        assertThat(s.merge(a, b).row()).isEqualTo(b);
        assertThat(s.merge(a, row("N", null)).kind()).isEqualTo(MergeDecision.Kind.KEEP);
        assertThat(s.merge(row("N", null), a).row()).isEqualTo(a);
    }

    @Test
    void firstWinsAndLastWins() {
        Row a = row("A", null);
        Row b = row("B", null);
        assertThat(MergeStrategies.firstWins().merge(null, a).row()).isEqualTo(a);
        assertThat(MergeStrategies.firstWins().merge(a, b).kind()).isEqualTo(MergeDecision.Kind.KEEP);
        assertThat(MergeStrategies.lastWins().merge(a, b).row()).isEqualTo(b);
    }
}
