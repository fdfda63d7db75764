package io.streamlake;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.event.PipelineListener;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.quality.Expectation;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.table.TableRef;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every {@code withX} of {@link Pipeline} changes its own components of the pipeline's state and no
 * other, read reflectively from the private record that holds the state: a component added to the
 * record, or a {@code withX} added to the pipeline, fails this test until the table below names it.
 */
class PipelineWithTest {
    /** Set by the stages ({@code from}, {@code bronze}, {@code silver}), not by a {@code withX}. */
    private static final Set<String> STAGE_COMPONENTS = Set.of("source", "bronze", "silver", "silverKeys");

    private record Change(UnaryOperator<Pipeline> call, Set<String> components) {
    }

    /** Each public {@code withX} (by signature), a call with a value other than the default, what it changes. */
    private static Map<String, Change> changes() {
        Schema schema = Schema.builder().required("order_id", DataType.STRING).optional("day", DataType.STRING).build();
        Map<String, Change> m = new LinkedHashMap<>();
        m.put("withSchema(Schema)", new Change(p -> p.withSchema(schema), Set.of("silverSchema")));
        m.put("withRecordType(Class)",
                new Change(p -> p.withRecordType(PipelineTest.Order.class), Set.of("silverSchema")));
        m.put("withMergeStrategy(MergeStrategy)",
                new Change(p -> p.withMergeStrategy(MergeStrategies.latestBy("version")), Set.of("mergeStrategy")));
        m.put("withName(String)", new Change(p -> p.withName("orders-ingest"), Set.of("name")));
        m.put("withMaxBatchRecords(int)", new Change(p -> p.withMaxBatchRecords(7), Set.of("maxBatchRecords")));
        m.put("withMaxBatchBytes(long)", new Change(p -> p.withMaxBatchBytes(1234), Set.of("maxBatchBytes")));
        m.put("withMaxBatchDelay(Duration)",
                new Change(p -> p.withMaxBatchDelay(Duration.ofSeconds(2)), Set.of("maxBatchDelay")));
        m.put("withMaxSilverLag(int)", new Change(p -> p.withMaxSilverLag(9), Set.of("maxSilverLag")));
        m.put("withPollTimeout(Duration)",
                new Change(p -> p.withPollTimeout(Duration.ofSeconds(3)), Set.of("pollTimeout")));
        m.put("withTargetFileRows(long)", new Change(p -> p.withTargetFileRows(9), Set.of("targetFileRows")));
        m.put("withStorageOption(String,String)",
                new Change(p -> p.withStorageOption("k", "v"), Set.of("storageOptions")));
        m.put("withStorageOptions(Map)",
                new Change(p -> p.withStorageOptions(Map.of("k", "v")), Set.of("storageOptions")));
        m.put("withExpectation(Expectation)",
                new Change(p -> p.withExpectation(Expectation.warn("any", r -> true)), Set.of("expectations")));
        m.put("withTransform(UnaryOperator)", new Change(p -> p.withTransform(r -> r), Set.of("transforms")));
        m.put("withFilter(Predicate)", new Change(p -> p.withFilter(r -> true), Set.of("transforms")));
        m.put("withDerivedColumn(String,Function)",
                new Change(p -> p.withDerivedColumn("day", r -> "d"), Set.of("transforms", "derivedColumns")));
        m.put("withPartitionColumns(String[])",
                new Change(p -> p.withPartitionColumns("day"), Set.of("partitionColumns")));
        m.put("withQuarantine(String)", new Change(p -> p.withQuarantine("q"), Set.of("quarantine")));
        m.put("withQuarantine(TableRef)",
                new Change(p -> p.withQuarantine(TableRef.path("q")), Set.of("quarantine")));
        m.put("withDeleteMarkers(String)", new Change(p -> p.withDeleteMarkers("d"), Set.of("deleteMarkers")));
        m.put("withDeleteMarkers(TableRef)",
                new Change(p -> p.withDeleteMarkers(TableRef.path("d")), Set.of("deleteMarkers")));
        m.put("withMaxValueBytes(int)", new Change(p -> p.withMaxValueBytes(5), Set.of("maxValueBytes")));
        m.put("withCompaction(int)", new Change(p -> p.withCompaction(3), Set.of("compactionMinFiles")));
        m.put("withoutCompaction()", new Change(Pipeline::withoutCompaction, Set.of("compactionMinFiles")));
        m.put("withVacuum(Duration)", new Change(p -> p.withVacuum(Duration.ofHours(1)), Set.of("vacuumInterval")));
        m.put("withoutVacuum()", new Change(Pipeline::withoutVacuum, Set.of("vacuumInterval")));
        m.put("withWriterParallelism(int)",
                new Change(p -> p.withWriterParallelism(3), Set.of("writerParallelism")));
        m.put("withArchive(RecordArchive)",
                new Change(p -> p.withArchive((records, committed) -> {}), Set.of("archive")));
        m.put("withEventLog(String)", new Change(p -> p.withEventLog("e"), Set.of("eventLog")));
        m.put("withEventLog(TableRef)", new Change(p -> p.withEventLog(TableRef.path("e")), Set.of("eventLog")));
        m.put("withChangeFeed(String)", new Change(p -> p.withChangeFeed("c"), Set.of("changeFeed")));
        m.put("withChangeFeed(TableRef)", new Change(p -> p.withChangeFeed(TableRef.path("c")),
                Set.of("changeFeed")));
        m.put("withListener(PipelineListener)",
                new Change(p -> p.withListener(new PipelineListener() {
                }), Set.of("listeners")));
        return m;
    }

    @Test
    void everyWithChangesExactlyItsOwnComponents() throws ReflectiveOperationException {
        Pipeline base = Pipeline.from(PipelineTest.SOURCE).bronze("lake/bronze").silver("lake/silver", "order_id");
        Map<String, Object> before = components(base);
        for (Map.Entry<String, Change> e : changes().entrySet()) {
            Map<String, Object> after = components(e.getValue().call().apply(base));
            Set<String> changed = new TreeSet<>();
            before.forEach((name, value) -> {
                if (!Objects.equals(value, after.get(name))) {
                    changed.add(name);
                }
            });
            assertThat(changed).as(e.getKey()).isEqualTo(new TreeSet<>(e.getValue().components()));
            assertThat(components(base)).as("the original after " + e.getKey()).isEqualTo(before);
        }
    }

    @Test
    void theTableNamesEveryWithAndEveryComponent() throws ReflectiveOperationException {
        Set<String> withs = Arrays.stream(Pipeline.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && m.getName().startsWith("with"))
                .map(PipelineWithTest::signature).collect(Collectors.toCollection(TreeSet::new));
        assertThat(withs).as("public withX methods; add a new one to changes()")
                .isEqualTo(new TreeSet<>(changes().keySet()));

        Set<String> covered = new LinkedHashSet<>(STAGE_COMPONENTS);
        changes().values().forEach(c -> covered.addAll(c.components()));
        Set<String> all = Arrays.stream(specField().getType().getRecordComponents()).map(RecordComponent::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(new TreeSet<>(covered)).as("record components that a withX or a stage sets").isEqualTo(all);
    }

    private static String signature(Method m) {
        return m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",", "(", ")"));
    }

    private static Field specField() throws NoSuchFieldException {
        Field f = Pipeline.class.getDeclaredField("spec");
        f.setAccessible(true);
        return f;
    }

    /** @return the pipeline's state, component by component, in declaration order */
    private static Map<String, Object> components(Pipeline p) throws ReflectiveOperationException {
        Object spec = specField().get(p);
        Map<String, Object> values = new LinkedHashMap<>();
        for (RecordComponent c : spec.getClass().getRecordComponents()) {
            Method accessor = c.getAccessor();
            accessor.setAccessible(true);
            values.put(c.getName(), accessor.invoke(spec));
        }
        return values;
    }

    @Test
    void theDefaultBatchByteBoundFollowsASmallHeapAndAnExplicitOneWins() {
        long mib = 1L << 20;
        assertThat(Pipeline.defaultMaxBatchBytes(256 * mib)).as("a thirty-second of 256 MiB").isEqualTo(8 * mib);
        assertThat(Pipeline.defaultMaxBatchBytes(6L * 1024 * mib)).isEqualTo(Pipeline.DEFAULT_MAX_BATCH_BYTES);
        assertThat(Pipeline.defaultMaxBatchBytes(32 * mib)).as("never under 4 MiB").isEqualTo(4 * mib);
        Pipeline p = Pipeline.from(PipelineTest.SOURCE).bronze("lake/bronze").bronzeOnly();
        assertThat(p.maxBatchBytes())
                .isEqualTo(Pipeline.defaultMaxBatchBytes(Runtime.getRuntime().maxMemory()));
        assertThat(p.withMaxBatchBytes(123).maxBatchBytes()).isEqualTo(123);
    }
}
