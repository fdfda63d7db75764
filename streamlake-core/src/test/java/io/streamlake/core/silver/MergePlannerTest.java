package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.core.util.Workers;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which path the planner gives a batch, from the files alone; the paths' merges are in SilverMergerPathsTest. */
class MergePlannerTest {
    private static final Schema SCHEMA =
            Schema.builder().required("id", DataType.LONG).optional("region", DataType.STRING).build();

    private static DataFile file(long min, long max) {
        return new DataFile("f" + min, 1, 1, Map.of("id", min), Map.of("id", max), Map.of());
    }

    private static MergePath plan(List<String> partitionColumns, DataFile... files) {
        try (Workers workers = new Workers(1, "planner-test")) {
            SilverFiles io = new SilverFiles(new MemoryFiles(), SilverColumns.all(SCHEMA),
                    SilverKey.of(SCHEMA, List.of("id")), 10, workers, 1);
            return new MergePlanner(io, partitionColumns).plan(List.of(files));
        }
    }

    @Test
    void disjointFilesAndAnEmptyTableMergeFileByFile() {
        assertThat(plan(List.of())).isInstanceOf(FileByFileMerge.class);
        assertThat(plan(List.of(), file(10, 19), file(30, 39))).isInstanceOf(FileByFileMerge.class);
    }

    @Test
    void overlappingFilesOrFilesWithoutStatisticsTakeTheGeneralPath() {
        assertThat(plan(List.of(), file(10, 30), file(20, 39))).isInstanceOf(OverlappingMerge.class);
        assertThat(plan(List.of(), file(10, 19), new DataFile("open", 1, 1, Map.of(), Map.of(), Map.of())))
                .isInstanceOf(OverlappingMerge.class);
    }

    @Test
    void aPartitionedTableMergesByPartitionWhateverItsFiles() {
        assertThat(plan(List.of("region"))).isInstanceOf(PartitionedMerge.class);
        assertThat(plan(List.of("region"), file(10, 19), file(30, 39))).isInstanceOf(PartitionedMerge.class);
    }
}
