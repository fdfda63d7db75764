package io.streamlake.samples;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.core.kafka.EventProducer;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.core.metrics.PipelineMetrics;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.quality.Expectation;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A pipeline's Micrometer meters as Prometheus scrapes them: starts a Kafka broker inside this
 * process, produces order events, ingests them into bronze and silver with
 * {@link PipelineMetrics#listener} on a {@link PrometheusMeterRegistry}, and prints
 * {@code registry.scrape()}, the text a service serves at {@code /metrics}. The meters are listed in
 * {@code METRICS_DOCS.md}.
 *
 * <pre>
 * mvn -q -DskipTests install &amp;&amp; mvn -q -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.MetricsSample \
 *     -Dexec.args="--events 20000 --lake ./lake-metrics"
 * </pre>
 */
public final class MetricsSample {
    static final String PIPELINE = "metrics-sample";
    private static final String TOPIC = "orders";
    private static final int PARTITIONS = 2;

    private MetricsSample() {
    }

    /** @param args {@code [--events N] [--lake DIR]}: 10,000 events into {@code ./lake-metrics} by default */
    public static void main(String[] args) {
        long events = 10_000;
        Path lake = Path.of("lake-metrics");
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--events" -> events = Long.parseLong(args[i + 1]);
                case "--lake" -> lake = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; usage: MetricsSample [--events N] [--lake DIR]");
            }
        }
        System.out.print(run(events, lake));
    }

    /**
     * Produces and ingests the events with a broker whose data lives under {@code lake}; a rerun on
     * the same folder adds as many events again and ingests those (the counters are this process's).
     *
     * @param events how many order events
     * @param lake where the broker's data and the tables go
     * @return the Prometheus scrape after the pipeline caught up
     */
    static String run(long events, Path lake) {
        Path root = lake.toAbsolutePath().normalize();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OrderEvents orders = new OrderEvents(events, Math.max(1, events / 10), PARTITIONS);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(root.resolve("kafka"))) {
            kafka.createTopic(TOPIC, PARTITIONS);
            try (EventProducer producer = EventProducer.kafka(kafka.bootstrapServers(), TOPIC).open()) {
                for (long i = 0; i < orders.size(); i++) {
                    producer.send(orders.key(i), orders.json(i).getBytes(StandardCharsets.UTF_8));
                }
            }
            PipelineProgress progress = Pipeline.from(KafkaSource.topics(kafka.bootstrapServers(), TOPIC))
                    .bronze(root.resolve("bronze").toString())
                    .silver(root.resolve("silver").toString(), "order_id")
                    .withSchema(OrderEvents.SCHEMA)
                    .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                    .withQuarantine(root.resolve("quarantine").toString())
                    .withExpectation(Expectation.warn("has_amount", r -> r.value("amount") != null))
                    .withName(PIPELINE)
                    // the meters: nothing is registered unless a pipeline is given this listener
                    .withListener(PipelineMetrics.listener(registry))
                    .runUntilCaughtUp();
            System.out.printf(Locale.ROOT, "%,d events ingested in %d batches; the scrape:%n%n",
                    progress.eventsIngested(), progress.batches());
        }
        return registry.scrape();
    }
}
