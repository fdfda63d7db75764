package io.streamlake.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics sample's Prometheus scrape holds the pipeline's meters with this run's figures (tags sorted by name). */
class MetricsSampleTest {

    @Test
    void theScrapeHoldsEveryMeterOfThePipeline(@TempDir Path lake) {
        String scrape = MetricsSample.run(3000, lake);
        String pipeline = "pipeline=\"" + MetricsSample.PIPELINE + "\"";
        assertThat(scrape).contains("streamlake_events_total{" + pipeline + "} 3000.0");
        assertThat(scrape).contains("streamlake_expectation_passed_total{action=\"warn\"," + pipeline
                + ",rule=\"has_amount\"} 3000.0");
        assertThat(scrape).contains("streamlake_expectation_failed_total{action=\"quarantine\"," + pipeline
                + ",rule=\"decode\"} 0.0");
        assertThat(scrape).contains("streamlake_records_quarantined_total{" + pipeline + ",rule=\"decode\"} 0.0");
        assertThat(scrape).contains("streamlake_source_records_behind{partition=\"orders/0\"," + pipeline + "} 0.0");
        assertThat(scrape).contains("streamlake_source_records_behind{partition=\"orders/1\"," + pipeline + "} 0.0");
        for (String meter : new String[] {"streamlake_bytes_total", "streamlake_batches_total",
                "streamlake_batch_duration_seconds_count{phase=\"poll\"," + pipeline + "}",
                "streamlake_batch_duration_seconds_sum{phase=\"silver_commit\"," + pipeline + "}",
                "streamlake_silver_rows_changed_total", "streamlake_commit_age_seconds{" + pipeline + "}"}) {
            assertThat(scrape).contains(meter);
        }
    }
}
