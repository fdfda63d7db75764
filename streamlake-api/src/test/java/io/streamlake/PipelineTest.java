package io.streamlake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.source.RecordArchive;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PipelineTest {
    /** A source these tests never open; shared with {@link PipelineWithTest}. */
    static final Source SOURCE = new Source() {
        @Override
        public String name() {
            return "orders";
        }

        @Override
        public SourceReader open(SourceContext context) {
            throw new UnsupportedOperationException("not opened in these tests");
        }
    };

    record Order(String order_id, String status, long version, Instant updated_at) {
    }

    private final Pipeline base = Pipeline.from(SOURCE).bronze("lake/bronze").silver("lake/silver", "order_id");

    @Test
    void withMethodsReturnChangedCopiesAndLeaveTheOriginal() {
        Pipeline named = base.withName("orders-ingest").withMaxBatchRecords(10);
        assertThat(base.name()).isEqualTo(Pipeline.DEFAULT_NAME);
        assertThat(base.maxBatchRecords()).isEqualTo(Pipeline.DEFAULT_MAX_BATCH_RECORDS);
        assertThat(named.name()).isEqualTo("orders-ingest");
        assertThat(named.maxBatchRecords()).isEqualTo(10);
        assertThat(named.silverKeys()).containsExactly("order_id");
    }

    @Test
    void silverWithoutSchemaIsRefusedWithWhatToDo() {
        assertThatThrownBy(base::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("no schema").hasMessageContaining("withSchema");
    }

    @Test
    void keyMustBeInTheSchema() {
        Pipeline p = Pipeline.from(SOURCE).bronze("b").silver("s", "id")
                .withSchema(Schema.builder().required("order_id", DataType.STRING).build());
        assertThatThrownBy(p::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'id'").hasMessageContaining("order_id");
    }

    @Test
    void latestByNeedsAnExistingOrderableColumn() {
        Pipeline p = base.withRecordType(Order.class).withMergeStrategy(MergeStrategies.latestBy("missing"));
        assertThatThrownBy(p::validate).isInstanceOf(ConfigurationException.class).hasMessageContaining("missing");
        assertThat(base.withRecordType(Order.class).withMergeStrategy(MergeStrategies.latestBy("version")).validate())
                .isNotNull();
    }

    @Test
    void bronzeOnlyNeedsNoSchema() {
        Pipeline p = Pipeline.from(SOURCE).bronze("b").bronzeOnly();
        assertThat(p.validate().silver()).isEmpty();
    }

    @Test
    void invalidNamesAndOptionsFailFast() {
        assertThatThrownBy(() -> base.withName("has space")).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> base.withMaxBatchRecords(0)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> base.withTargetFileRows(0)).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void storageOptionValuesNeverAppearInToString() {
        Pipeline p = base.withStorageOption("fs.azure.account.key.acct.dfs.core.windows.net", "c2VjcmV0LWtleQ==");
        assertThat(p.toString()).contains("fs.azure.account.key").doesNotContain("c2VjcmV0LWtleQ==");
    }

    @Test
    void storageOptionsAddUpAndALaterValueWins() {
        Pipeline p = base.withStorageOption("a", "1").withStorageOptions(Map.of("b", "2", "a", "3"));
        assertThat(p.storageOptions()).isEqualTo(Map.of("a", "3", "b", "2"));
        assertThat(base.storageOptions()).isEmpty();
        assertThatThrownBy(() -> base.withStorageOptions(java.util.Collections.singletonMap("k", null)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("value of storage option k");
    }

    @Test
    void startWithoutAnEngineOnTheClassPathSaysWhichDependencyToAdd() {
        Pipeline p = Pipeline.from(SOURCE).bronze("b").bronzeOnly();
        assertThatThrownBy(p::start).isInstanceOf(ConfigurationException.class).hasMessageContaining("streamlake-core");
    }

    @Test
    void partitionColumnsAndTheDeleteMarkerTableDefaultNextToSilver() {
        Pipeline p = Pipeline.from(SOURCE).bronze("lake/bronze").silver("lake/silver/", "id");
        assertThat(p.partitionColumns()).isEmpty();
        assertThat(p.withPartitionColumns("day").partitionColumns()).containsExactly("day");
        assertThat(p.deleteMarkers()).hasValueSatisfying(t -> assertThat(t.path()).hasValue("lake/silver_deletes"));
        assertThat(p.withDeleteMarkers("elsewhere").deleteMarkers())
                .hasValueSatisfying(t -> assertThat(t.path()).hasValue("elsewhere"));
    }

    @Test
    void anArchiveIsAnOptionTheDescriptionHoldsAndNames() {
        assertThat(base.archive()).isEmpty();
        RecordArchive archive = new RecordArchive() {
            @Override
            public void write(List<SourceRecord> records, Map<SourcePartition, Long> committed) {
                throw new UnsupportedOperationException("not written in these tests");
            }

            @Override
            public String toString() {
                return "lake/archive";
            }
        };
        Pipeline archived = base.withArchive(archive);
        assertThat(archived.archive()).containsSame(archive);
        assertThat(archived.withName("renamed").archive()).containsSame(archive);
        assertThat(archived.toString()).contains("archive lake/archive");
        assertThatThrownBy(() -> base.withArchive(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("archive");
    }
}
