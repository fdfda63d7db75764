package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.core.util.Tables;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table with {@code delta.appendOnly = true} (as Spark's ALTER TABLE sets it) refuses a commit that
 * removes rows up front, naming the property and how to remove it, with nothing written; appends and
 * compaction (which removes no rows) still commit, as Delta allows.
 */
class AppendOnlyTableTest {
    private static final Schema SCHEMA = Schema.builder().required("id", DataType.LONG).build();

    @Test
    void aCommitThatRemovesRowsIsRefusedNamingThePropertyAppendsAndCompactionCommit(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(SCHEMA);
        DataFile first = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 1L)));
        table.newCommit().add(first).commit("WRITE");
        TableProperties.set(table.location(), "delta.appendOnly", "true");
        long before = table.snapshot().version();

        assertThatThrownBy(() -> table.newCommit().remove(first).commit("MERGE"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("delta.appendOnly = true")
                .hasMessageContaining("ALTER TABLE delta.`" + table.location()
                        + "` SET TBLPROPERTIES ('delta.appendOnly' = 'false')")
                .hasMessageContaining("MERGE");
        assertThat(table.snapshot().version()).isEqualTo(before);

        DataFile second = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 2L)));
        long appended = table.newCommit().add(second).commit("WRITE");
        assertThat(appended).isEqualTo(before + 1);
        DataFile joined = Tables.writeFile(table, SCHEMA, List.of(Row.of(SCHEMA, 1L), Row.of(SCHEMA, 2L)));
        long compacted = table.newCommit().remove(first).remove(second).add(joined).rearrangeOnly().commit("OPTIMIZE");
        assertThat(compacted).isEqualTo(appended + 1);
        // delta-standalone knows no OPTIMIZE: the log says Manual Update, the history what was asked for
        assertThat(table.history(compacted, compacted)).singleElement()
                .satisfies(c -> assertThat(c.operation()).isEqualTo("OPTIMIZE"));
        assertThat(KernelReader.rows(dir.toString())).hasSize(2);

        TableProperties.set(table.location(), "delta.appendOnly", "false");
        assertThat(table.newCommit().remove(joined).commit("DELETE")).isEqualTo(compacted + 2);
    }

}
