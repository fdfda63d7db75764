package io.streamlake.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The steady-rate latency benchmark accounts for every event once, warm-up included, bronze no later
 * than silver.
 */
class SteadyLatencyTest {
    @TempDir Path run;

    @Test
    void everyEventIsVisibleOnceInBronzeThenInSilver() {
        SteadyLatency.Result r = SteadyLatency.run(200, 2, 1, run);
        // 600 produced and accounted for once (or run() throws); the 200 of the warm-up left out
        assertThat(r.produced()).isEqualTo(400);
        assertThat(r.bronzeNanos()).hasSize(400);
        assertThat(Arrays.stream(r.bronzeNanos()).min().orElseThrow()).isNotNegative();
        assertThat(r.silverNanos()).hasSize(400);
        for (int i = 0; i < 400; i++) {
            assertThat(r.silverNanos()[i]).isGreaterThanOrEqualTo(r.bronzeNanos()[i]);
        }
        // every batch's timings, and at least one merge to give silver's phases
        assertThat(r.timings()).isNotEmpty();
        for (SteadyLatency.Phase phase : SteadyLatency.Phase.values()) {
            assertThat(phase.sortedNanos(r.timings())).as(phase.label).isNotEmpty();
            assertThat(phase.sortedNanos(r.timings())[0]).as(phase.label).isNotNegative();
        }
    }

    @Test
    void aPipelineWithoutSilverHasEveryEventVisibleOnceInBronze() {
        // bronze-only: each batch written as it is fetched, committed by the pipeline's thread
        SteadyLatency.Result r = SteadyLatency.run(200, 2, 1, true, run);
        assertThat(r.produced()).isEqualTo(400);
        assertThat(r.bronzeNanos()).hasSize(400);
        assertThat(Arrays.stream(r.bronzeNanos()).min().orElseThrow()).isNotNegative();
        assertThat(r.timings()).isNotEmpty().allSatisfy(t -> assertThat(t.silverCommit()).isZero());
    }

    @Test
    void percentilesAreNearestRank() {
        long[] ms = Arrays.stream(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}).map(m -> m * 1_000_000).toArray();
        assertThat(SteadyLatency.percentile(ms, 0.5)).isEqualTo(5);
        assertThat(SteadyLatency.percentile(ms, 0.9)).isEqualTo(9);
        assertThat(SteadyLatency.percentile(ms, 0.99)).isEqualTo(10);
        assertThat(SteadyLatency.percentile(new long[0], 0.5)).isZero();
    }
}
