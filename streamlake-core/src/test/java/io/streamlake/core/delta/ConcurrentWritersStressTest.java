package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import io.streamlake.table.BronzeLayout;
import io.streamlake.table.DataFile;
import io.streamlake.table.PendingCommit;
import io.streamlake.table.QuarantineLayout;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of data file the library writes, written at once on more threads than the machine has
 * cores (at least eight): bronze slices through the column writer, silver and quarantine files
 * through the row writer, and compaction reading bronze files back while rewriting them. Records
 * cover the shapes that matter to the page buffers: empty, tiny, 1 KB, 100 KB and 2 MB values of
 * random bytes (a splice of another file's bytes cannot go unnoticed), null keys and values,
 * headers and metadata, several row groups per file. Then every value of every file is read back
 * twice, independently of the library's reader: column by column with parquet-hadoop's column
 * readers, and row by row with Delta Kernel, and compared with what was written.
 */
class ConcurrentWritersStressTest {
    private static final int THREADS = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
    private static final int ROUNDS = Integer.getInteger("stress.rounds", 2);
    private static final int RECORDS_PER_FILE = Integer.getInteger("stress.records", 20_000);
    /**
     * Small row groups, so every file has several (each starts new value writers), and pages of ten
     * rows, so page buffers are taken and given back all the time: a buffer pool shared by two files
     * (what Parquet's JVM-wide default values-writer factory caused) then breaks within seconds, where
     * default pages need gigabytes.
     */
    private static final ParquetColumnFile.Limits LIMITS = new ParquetColumnFile.Limits(1L << 20, 10);
    private static final Instant INGESTED = Instant.parse("2026-12-03T05:00:00Z");
    private static final Schema SILVER = Schema.builder()
            .required("id", DataType.STRING)
            .optional("n", DataType.LONG)
            .optional("amount", DataType.decimal(12, 2))
            .optional("payload", DataType.STRING)
            .optional("at", DataType.TIMESTAMP)
            .optional("attrs", DataType.map(DataType.STRING))
            .build();

    private enum Kind { BRONZE, SILVER, QUARANTINE, COMPACTION }

    /** Half the jobs write bronze: bronze files recycle page buffers, so sharing hurts them most. */
    private static final Kind[] JOBS = {Kind.BRONZE, Kind.SILVER, Kind.BRONZE, Kind.QUARANTINE, Kind.BRONZE,
            Kind.COMPACTION};

    /** One written file and what should be in it, in order. */
    private record Written(Kind kind, DataFile file, List<Row> rows) {
    }

    @Test
    void everyValueOfEveryFileWrittenAtOnceReadsBackAsWritten(@TempDir Path dir) throws Exception {
        DeltaTable bronze = DeltaTable.open(dir.resolve("bronze").toString(), Map.of());
        DeltaTable silver = DeltaTable.open(dir.resolve("silver").toString(), Map.of());
        DeltaTable quarantine = DeltaTable.open(dir.resolve("quarantine").toString(), Map.of());
        bronze.create(BronzeLayout.SCHEMA);
        silver.create(SILVER);
        quarantine.create(QuarantineLayout.SCHEMA);

        // Compaction jobs rewrite files written beforehand, one each, as the compactor does.
        int compactions = 0;
        for (int t = 0; t < THREADS; t++) {
            for (int round = 0; round < ROUNDS; round++) {
                compactions += kind(t, round) == Kind.COMPACTION ? 1 : 0;
            }
        }
        List<Written> seeds = new ArrayList<>();
        for (int i = 0; i < compactions; i++) {
            seeds.add(writeBronze(bronze, 1_000 + i));
        }
        PendingCommit seeding = bronze.newCommit();
        seeds.forEach(s -> seeding.add(s.file()));
        seeding.commit("WRITE");

        List<Written> written = Collections.synchronizedList(new ArrayList<>());
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            int[] nextSeed = {0};
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                List<Written> mySeeds = new ArrayList<>();
                for (int round = 0; round < ROUNDS; round++) {
                    if (kind(thread, round) == Kind.COMPACTION) {
                        mySeeds.add(seeds.get(nextSeed[0]++));
                    }
                }
                jobs.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    Iterator<Written> seed = mySeeds.iterator();
                    for (int round = 0; round < ROUNDS; round++) {
                        int id = thread * ROUNDS + round;
                        written.add(switch (kind(thread, round)) {
                            case BRONZE -> writeBronze(bronze, id);
                            case SILVER -> writeRows(silver, Kind.SILVER, SILVER, silverRows(id));
                            case QUARANTINE -> writeRows(quarantine, Kind.QUARANTINE, QuarantineLayout.SCHEMA,
                                    quarantineRows(id));
                            case COMPACTION -> compact(bronze, seed.next());
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> job : jobs) {
                job.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(written).hasSize(THREADS * ROUNDS);

        // 1. Column by column, file by file, with parquet-hadoop's column readers.
        for (Written w : written) {
            DeltaTable table = w.kind() == Kind.SILVER ? silver : w.kind() == Kind.QUARANTINE ? quarantine : bronze;
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(table.root(), w.file().path());
            Schema schema = w.rows().isEmpty() ? SILVER : w.rows().get(0).schema();
            for (String column : topLevelPrimitives(schema)) {
                List<Object> actual = ParquetColumns.read(file, column);
                assertThat(actual).as("column %s of %s file %s", column, w.kind(), w.file().path())
                        .hasSize(w.rows().size());
                for (int i = 0; i < actual.size(); i++) {
                    Object expected = parquetValue(w.rows().get(i).value(column));
                    if (!same(actual.get(i), expected)) {
                        throw new AssertionError("value " + i + " of column " + column + " of " + w.kind() + " file "
                                + w.file().path() + " differs from what was written");
                    }
                }
            }
        }

        // 2. Row by row through Delta Kernel, after committing the files as the engine would.
        PendingCommit b = bronze.newCommit();
        PendingCommit s = silver.newCommit();
        PendingCommit q = quarantine.newCommit();
        for (Written w : written) {
            (w.kind() == Kind.SILVER ? s : w.kind() == Kind.QUARANTINE ? q : b).add(w.file());
        }
        seeds.forEach(seed -> b.remove(seed.file()));
        b.commit("WRITE");
        s.commit("WRITE");
        q.commit("WRITE");
        assertKernelReads(bronze, written, seeds, Kind.BRONZE, Kind.COMPACTION);
        assertKernelReads(silver, written, List.of(), Kind.SILVER);
        assertKernelReads(quarantine, written, List.of(), Kind.QUARANTINE);
    }

    private static Kind kind(int thread, int round) {
        return JOBS[(thread + round) % JOBS.length];
    }

    // ---- writing

    private static Written writeBronze(DeltaTable table, int id) {
        List<SourceRecord> records = bronzeRecords(id);
        try (BronzeFileWriter w = new BronzeFileWriter(table, INGESTED, LIMITS)) {
            records.forEach(w::write);
            List<Row> rows = records.stream().map(r -> BronzeLayout.toRow(r, INGESTED)).toList();
            return new Written(Kind.BRONZE, w.finish(), rows);
        }
    }

    private static Written writeRows(DeltaTable table, Kind kind, Schema schema, List<Row> rows) {
        try (DeltaFileWriter w = new DeltaFileWriter(table, schema, Map.of(), LIMITS)) {
            rows.forEach(w::write);
            return new Written(kind, w.finish(), rows);
        }
    }

    /** Reads a bronze file back through the library, as the compactor does, and writes it again. */
    private static Written compact(DeltaTable table, Written seed) {
        List<Row> rows = new ArrayList<>();
        table.read(seed.file(), BronzeLayout.SCHEMA).forEachRemaining(rows::add);
        Written out = writeRows(table, Kind.COMPACTION, BronzeLayout.SCHEMA, rows);
        return new Written(Kind.COMPACTION, out.file(), seed.rows());
    }

    // ---- records

    /** A payload of one of the sizes that matter, random bytes so that a splice shows. */
    private static byte[] payload(Random random, int i) {
        int size;
        if (i == 7) {
            size = 2 << 20;
        } else if (i % 400 == 5) {
            size = 100 << 10;
        } else if (i % 11 == 0) {
            size = 0;
        } else if (i % 10 == 3) {
            size = 1_000 + random.nextInt(48);
        } else {
            size = 1 + random.nextInt(16);
        }
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }

    private static List<SourceRecord> bronzeRecords(int id) {
        Random random = new Random(id);
        List<SourceRecord> out = new ArrayList<>(RECORDS_PER_FILE);
        for (int i = 0; i < RECORDS_PER_FILE; i++) {
            byte[] key = i % 7 == 0 ? null : ("k-" + id + "-" + random.nextInt(500)).getBytes(StandardCharsets.UTF_8);
            byte[] value = i % 13 == 0 ? null : payload(random, i);
            Map<String, byte[]> headers = new LinkedHashMap<>();
            if (i % 4 == 1) {
                headers.put("trace", payload(random, 3));
                headers.put("content-type", "application/octet-stream".getBytes(StandardCharsets.UTF_8));
            }
            Map<String, String> metadata = i % 5 == 2 ? Map.of("offset", Long.toString(random.nextLong())) : Map.of();
            out.add(new SourceRecord(new SourcePartition("stress", id), i, key, value, headers,
                    micros(random), metadata));
        }
        return out;
    }

    private static List<Row> silverRows(int id) {
        Random random = new Random(-id);
        List<Row> out = new ArrayList<>(RECORDS_PER_FILE);
        for (int i = 0; i < RECORDS_PER_FILE; i++) {
            String payload = i % 13 == 0 ? null : text(payload(random, i));
            Map<String, String> attrs = i % 3 == 0 ? null : Map.of("a", text(payload(random, 3)), "b", "x" + i);
            out.add(Row.of(SILVER, "id-" + id + "-" + i, i % 9 == 0 ? null : random.nextLong(),
                    BigDecimal.valueOf(random.nextInt(1_000_000), 2), payload, micros(random), attrs));
        }
        return out;
    }

    private static List<Row> quarantineRows(int id) {
        Random random = new Random(id * 31L);
        List<Row> out = new ArrayList<>(RECORDS_PER_FILE);
        for (int i = 0; i < RECORDS_PER_FILE; i++) {
            Map<String, byte[]> headers = i % 6 == 0 ? Map.of("h", payload(random, 2)) : null;
            out.add(Row.of(QuarantineLayout.SCHEMA, i % 7 == 0 ? null : payload(random, 2),
                    i % 17 == 0 ? null : payload(random, i), headers, "stress", id, (long) i, micros(random),
                    (long) id, "rule-" + (i % 4), i % 5 == 0 ? null : "error " + text(payload(random, 2)), INGESTED,
                    i % 3 == 0 ? null : "WRONG_TYPE"));
        }
        return out;
    }

    /** Random bytes as text (Latin-1, so every byte is one char): a string column's value of that size. */
    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static Instant micros(Random random) {
        return Instant.ofEpochSecond(1_600_000_000L + random.nextInt(200_000_000), random.nextInt(1_000_000) * 1_000L);
    }

    // ---- reading back

    private static List<String> topLevelPrimitives(Schema schema) {
        return schema.fields().stream().filter(f -> f.type().kind() != DataType.Kind.MAP).map(f -> f.name()).toList();
    }

    /** A Row value as a column reader returns it: text and binary as bytes, times as micros, decimals unscaled. */
    private static Object parquetValue(Object v) {
        if (v instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        if (v instanceof Instant t) {
            return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
        }
        if (v instanceof BigDecimal d) {
            return d.unscaledValue().longValueExact();
        }
        return v;
    }

    private static boolean same(Object actual, Object expected) {
        if (actual instanceof byte[] a && expected instanceof byte[] e) {
            return java.util.Arrays.equals(a, e);
        }
        if (actual instanceof Integer a && expected instanceof Long e) {
            return a.longValue() == e; // decimals of small precision are stored as int32
        }
        return java.util.Objects.equals(actual, expected);
    }

    /** Every row of the table through Delta Kernel, matched to what was written by its identity. */
    private static void assertKernelReads(DeltaTable table, List<Written> written, List<Written> also, Kind... kinds) {
        List<Kind> wanted = List.of(kinds);
        Map<Object, Row> expected = new HashMap<>();
        for (Written w : written) {
            if (wanted.contains(w.kind())) {
                w.rows().forEach(r -> assertThat(expected.put(identity(r), r)).isNull());
            }
        }
        List<Map<String, Object>> rows = KernelReader.rows(table.location());
        assertThat(rows).as("rows of %s", table.location()).hasSize(expected.size());
        for (Map<String, Object> actual : rows) {
            Row row = expected.get(identity(actual));
            assertThat(row).as("a row Kernel read that was never written: %s", identity(actual)).isNotNull();
            for (int i = 0; i < row.schema().size(); i++) {
                String column = row.schema().field(i).name();
                if (!canonical(actual.get(column)).equals(canonical(row.value(i)))) {
                    throw new AssertionError("column " + column + " of row " + identity(actual) + " in "
                            + table.location() + " differs from what was written");
                }
            }
        }
    }

    private static Object identity(Row r) {
        return r.schema().indexOf("id") >= 0 ? r.value("id") : List.of(r.value("partition"), r.value("position"));
    }

    private static Object identity(Map<String, Object> r) {
        return r.containsKey("id") ? r.get("id") : List.of(r.get("partition"), r.get("position"));
    }

    /** Compares arrays by content and treats an empty map as the null that bronze writes for it. */
    private static Object canonical(Object v) {
        if (v instanceof byte[] b) {
            return ByteBuffer.wrap(b);
        }
        if (v instanceof BigDecimal d) {
            return d.stripTrailingZeros();
        }
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                return "null";
            }
            Map<Object, Object> out = new HashMap<>();
            m.forEach((k, x) -> out.put(k, canonical(x)));
            return out;
        }
        return v == null ? "null" : v;
    }
}
