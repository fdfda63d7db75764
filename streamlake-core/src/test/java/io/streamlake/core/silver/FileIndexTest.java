package io.streamlake.core.silver;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFile;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The key-range index's edges: which files may hold a key, and which file a new key goes to. */
class FileIndexTest {
    private static final Schema SCHEMA = Schema.builder().required("tenant", DataType.STRING)
            .required("id", DataType.LONG).optional("v", DataType.STRING).build();
    private static final SilverKey ID = SilverKey.of(SCHEMA, List.of("id"));
    private static final SilverKey TENANT_ID = SilverKey.of(SCHEMA, List.of("tenant", "id"));

    private static DataFile file(long min, long max) {
        return new DataFile("f" + min + "-" + max, 1, 1, Map.of("id", min, "tenant", "t"),
                Map.of("id", max, "tenant", "t"), Map.of());
    }

    private static DataFile noStatistics() {
        return new DataFile("open", 1, 1, Map.of(), Map.of(), Map.of());
    }

    private static BitSet containing(FileIndex index, Object key) {
        BitSet marks = new BitSet();
        index.markContaining(key, marks);
        return marks;
    }

    private static BitSet candidates(FileIndex index, Object key) {
        BitSet marks = new BitSet();
        index.markCandidates(key, marks);
        return marks;
    }

    private static BitSet bits(int... positions) {
        BitSet b = new BitSet();
        for (int p : positions) {
            b.set(p);
        }
        return b;
    }

    @Test
    void keysAtTheEdgesOfDisjointFiles() {
        // Listed out of order: the index sorts by min key, positions stay the list's.
        FileIndex index = new FileIndex(List.of(file(30, 39), file(10, 19)), ID);
        assertThat(index.disjoint()).isTrue();
        assertThat(index.owner(5L)).as("below every file: the first").isEqualTo(1);
        assertThat(candidates(index, 5L)).isEqualTo(bits(1));
        assertThat(containing(index, 5L)).isEqualTo(bits());
        assertThat(index.owner(10L)).as("a file's min").isEqualTo(1);
        assertThat(containing(index, 10L)).isEqualTo(bits(1));
        assertThat(index.owner(19L)).as("a file's max").isEqualTo(1);
        assertThat(containing(index, 19L)).isEqualTo(bits(1));
        assertThat(index.owner(25L)).as("in a gap: the file on its left").isEqualTo(1);
        assertThat(containing(index, 25L)).isEqualTo(bits());
        assertThat(candidates(index, 25L)).isEqualTo(bits(1));
        assertThat(index.owner(30L)).as("the next file's min").isEqualTo(0);
        assertThat(containing(index, 30L)).isEqualTo(bits(0));
        assertThat(index.owner(39L)).isEqualTo(0);
        assertThat(index.owner(50L)).as("above every file: the last").isEqualTo(0);
        assertThat(containing(index, 50L)).isEqualTo(bits());
        assertThat(candidates(index, 50L)).isEqualTo(bits(0));
    }

    @Test
    void rangesThatShareAKeyOverlap() {
        assertThat(new FileIndex(List.of(file(10, 20), file(20, 30)), ID).disjoint()).isFalse();
        assertThat(new FileIndex(List.of(file(10, 20), file(21, 30)), ID).disjoint()).isTrue();
    }

    @Test
    void aWideFileIsFoundBehindNarrowOnes() {
        // The wide file's range covers 50 though two files with larger mins come after it.
        FileIndex index = new FileIndex(List.of(file(0, 100), file(10, 20), file(30, 40)), ID);
        assertThat(index.disjoint()).isFalse();
        assertThat(containing(index, 50L)).isEqualTo(bits(0));
        assertThat(containing(index, 15L)).isEqualTo(bits(0, 1));
        assertThat(candidates(index, 50L)).isEqualTo(bits(0, 2));
    }

    @Test
    void filesWithoutStatisticsMayHoldEveryKey() {
        FileIndex mixed = new FileIndex(List.of(file(10, 19), noStatistics()), ID);
        assertThat(mixed.disjoint()).isFalse();
        assertThat(containing(mixed, 15L)).isEqualTo(bits(0, 1));
        assertThat(containing(mixed, 50L)).isEqualTo(bits(1));
        assertThat(mixed.owner(50L)).as("a bounded file owns new keys").isEqualTo(0);

        FileIndex open = new FileIndex(List.of(noStatistics(), noStatistics()), ID);
        assertThat(open.owner(50L)).as("else the first unbounded file").isEqualTo(0);
        assertThat(candidates(open, 50L)).isEqualTo(bits(0, 1));

        FileIndex empty = new FileIndex(List.of(), ID);
        assertThat(empty.disjoint()).isTrue();
        assertThat(empty.owner(50L)).as("an empty table: a new file").isEqualTo(-1);
        assertThat(candidates(empty, 50L)).isEqualTo(bits());
    }

    @Test
    void aKeyOfTwoColumnsIsBoundedByBothColumnsStatistics() {
        DataFile a =
                new DataFile("a", 1, 1, Map.of("tenant", "a", "id", 5L), Map.of("tenant", "a", "id", 9L), Map.of());
        DataFile b =
                new DataFile("b", 1, 1, Map.of("tenant", "b", "id", 1L), Map.of("tenant", "b", "id", 3L), Map.of());
        DataFile partial = new DataFile("p", 1, 1, Map.of("tenant", "c"), Map.of("tenant", "c"), Map.of());
        FileIndex index = new FileIndex(List.of(a, b), TENANT_ID);
        assertThat(index.disjoint()).isTrue();
        assertThat(index.owner(TENANT_ID.of("a", 1L))).as("below a's bound (a, 5)").isEqualTo(0);
        assertThat(containing(index, TENANT_ID.of("a", 1L))).isEqualTo(bits());
        assertThat(containing(index, TENANT_ID.of("a", 9L))).isEqualTo(bits(0));
        assertThat(index.owner(TENANT_ID.of("a", 50L))).as("between (a, 9) and (b, 1)").isEqualTo(0);
        assertThat(index.owner(TENANT_ID.of("b", 1L))).isEqualTo(1);
        assertThat(containing(index, TENANT_ID.of("b", 2L))).isEqualTo(bits(1));
        // A file missing one key column's statistics has no bound.
        assertThat(new FileIndex(List.of(a, partial), TENANT_ID).disjoint()).isFalse();
    }
}
