package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.column.ParquetProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data file must use only its own Parquet settings and buffers, whatever other writer is built in
 * the same JVM meanwhile. Parquet's default values-writer factory is one object per JVM that every
 * {@code ParquetProperties.Builder.build()} re-initializes with the properties just built, allocator
 * included: a writer that kept the default took its value buffers from whichever writer was built
 * last, and two bronze slices written at once spliced each other's pages. Deterministic, on one
 * thread: the other writer's properties are built between this file's row groups.
 */
class WriterIsolationTest {
    private static final Instant INGESTED = Instant.parse("2026-12-03T04:00:00Z");

    /** Counts what it hands out; a file that allocates from it uses another writer's allocator. */
    private static final class CountingAllocator implements ByteBufferAllocator {
        final AtomicLong allocations = new AtomicLong();

        @Override
        public ByteBuffer allocate(int size) {
            allocations.incrementAndGet();
            return ByteBuffer.allocate(size);
        }

        @Override
        public void release(ByteBuffer b) {
        }

        @Override
        public boolean isDirect() {
            return false;
        }
    }

    /** What another slice, a silver file or any Parquet user in the JVM does while this file is open. */
    private static CountingAllocator buildOtherWritersProperties() {
        CountingAllocator other = new CountingAllocator();
        ParquetProperties.builder().withAllocator(other).withDictionaryEncoding(true).build();
        return other;
    }

    private static List<SourceRecord> records(int n) {
        List<SourceRecord> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] value = new byte[1_000 + i % 50];
            Arrays.fill(value, (byte) ('a' + i % 26));
            out.add(new SourceRecord(new SourcePartition("orders", i % 3), i,
                    ("k" + i).getBytes(StandardCharsets.UTF_8),
                    value, Map.of(), Instant.ofEpochSecond(1_700_000_000L + i), Map.of()));
        }
        return out;
    }

    @Test
    void aBronzeFileAllocatesOnlyFromItsOwnAllocator(@TempDir Path dir) {
        DeltaTable table = DeltaTable.open(dir.resolve("bronze").toString(), Map.of());
        table.create(BronzeLayout.SCHEMA);
        List<SourceRecord> records = records(6_000);
        CountingAllocator other;
        DataFile file;
        // row groups of about 256 KB: the file starts several, each with new column writers
        try (BronzeFileWriter w = new BronzeFileWriter(table, INGESTED, 256 << 10)) {
            other = buildOtherWritersProperties();
            records.forEach(w::write);
            file = w.finish();
        }
        assertThat(other.allocations.get()).as("buffers the bronze file took from another writer's allocator")
                .isZero();
        List<Row> back = DeltaTableRoundTripTest.readAll(table, file, BronzeLayout.SCHEMA);
        assertThat(back).hasSize(records.size());
        for (int i = 0; i < records.size(); i++) {
            assertThat(back.get(i).bytes(BronzeLayout.VALUE)).isEqualTo(records.get(i).value());
            assertThat(back.get(i).longValue(BronzeLayout.POSITION)).isEqualTo((long) i);
        }
    }

    @Test
    void aRowFileAllocatesOnlyFromItsOwnAllocator(@TempDir Path dir) {
        Schema schema = Schema.builder().required("id", DataType.STRING).optional("payload", DataType.STRING)
                .optional("n", DataType.LONG).build();
        DeltaTable table = DeltaTable.open(dir.resolve("silver").toString(), Map.of());
        table.create(schema);
        CountingAllocator other;
        DataFile file;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 6_000; i++) {
            rows.add(Row.of(schema, "id-" + i, "p".repeat(1_000 + i % 50), (long) i));
        }
        try (DeltaFileWriter w =
                new DeltaFileWriter(table, schema, Map.of(), ParquetColumnFile.Limits.rowGroupBytes(256 << 10))) {
            other = buildOtherWritersProperties();
            rows.forEach(w::write);
            file = w.finish();
        }
        assertThat(other.allocations.get()).as("buffers the silver file took from another writer's allocator")
                .isZero();
        assertThat(DeltaTableRoundTripTest.readAll(table, file, schema)).containsExactlyElementsOf(rows);
    }

    @Test
    void everyFileBuildsItsPropertiesWithAValuesWriterFactoryOfItsOwn() {
        ParquetProperties a = ParquetColumnFile.isolated(ParquetProperties.builder());
        ParquetProperties b = ParquetColumnFile.isolated(ParquetProperties.builder());
        assertThat(a.getValuesWriterFactory()).isNotSameAs(ParquetProperties.DEFAULT_VALUES_WRITER_FACTORY)
                .isNotSameAs(b.getValuesWriterFactory());
        assertThat(a.getWriterVersion()).isEqualTo(ParquetProperties.WriterVersion.PARQUET_1_0);
    }
}
