package io.streamlake.samples;

import io.streamlake.Pipeline;
import io.streamlake.PipelineProgress;
import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.merge.MergeStrategies;
import io.streamlake.testkit.kafka.EmbeddedKafka;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Kafka to bronze and to bronze + silver from a real broker, against two yardsticks on the same
 * topic in the same run: a plain {@link KafkaConsumer} that only reads, and the bronze limit loop
 * ({@link BronzeLimitLoop}), one thread that reads with a {@code KafkaConsumer} and writes the
 * bronze columns with parquet-hadoop, as a hand-written job would. The broker runs in this process
 * (loopback, data in a fresh folder under {@code --dir}); the workload is the quickstart's order
 * events, N events over K = N / 10 orders in 4 partitions.
 *
 * <p>Each phase runs in a JVM of its own (this one's java binary, class path and JVM options),
 * connected to this process's broker, so that the peak resident memory it prints (the child's
 * {@code VmHWM}) is the phase's alone, and no phase inherits another's heap or JIT state.
 *
 * <pre>
 * mvn -q -B -ntp -DskipTests install
 * mvn -q -B -ntp -pl samples exec:java -Dexec.mainClass=io.streamlake.samples.KafkaBenchmark -Dexec.args="--events 1000000"
 * </pre>
 *
 * <p>Under {@code exec:java} the phases' JVMs get the project's class path from the class loader Maven
 * built, and Maven's JVM options ({@code MAVEN_OPTS}), heap settings included; with {@code java -cp}
 * they get that command's.
 *
 * <p>It prints one line per phase: seconds, events per second, the ratio to the limit loop, the
 * phase's peak RSS and how many cores its JVM kept busy; the run folder is deleted at the end
 * unless {@code --keep}.
 */
public final class KafkaBenchmark {
    private static final String TOPIC = "orders";
    /** Phases in the order they run; the limit loop first, as every ratio is to it. */
    static final List<String> PHASES = List.of("limit", "plain", "bronze", "silver");
    /** What a phase's JVM prints last, for the parent to parse: {@code @@phase NAME EVENTS NANOS CPU_NANOS HWM_KIB}. */
    private static final String RESULT = "@@phase ";
    /**
     * Rows per file of the limit loop: about the pipeline's bronze files, which split each batch of
     * {@link Pipeline#DEFAULT_MAX_BATCH_RECORDS} records over the writers (two on two cores).
     */
    private static final long DEFAULT_LOOP_FILE_ROWS = 100_000;

    /**
     * What one phase measured, in its own JVM.
     *
     * @param phase one of {@link #PHASES}
     * @param events events the phase read (and wrote)
     * @param seconds wall time of the phase, start-up of its consumer or pipeline included
     * @param cpuSeconds CPU time of the phase's JVM over the phase (the broker's not included)
     * @param peakRssKiB the phase JVM's peak resident memory ({@code VmHWM}), -1 where unknown
     */
    record Phase(String phase, long events, double seconds, double cpuSeconds, long peakRssKiB) {
    }

    /** The benchmark's options. */
    private static final class Options {
        long events = 1_000_000;
        long keys = -1;
        Path dir = Path.of("benchmark");
        boolean keep;
        boolean changeFeed;
        List<String> phases = PHASES;
        int steadyRate;
        int steadySeconds = 60;
        int steadyWarmup = SteadyLatency.DEFAULT_WARMUP_SECONDS;
        long loopFileRows = DEFAULT_LOOP_FILE_ROWS;
        int batchRecords = Pipeline.DEFAULT_MAX_BATCH_RECORDS;
        int silverLag = Pipeline.DEFAULT_MAX_SILVER_LAG;
        @Nullable Path jfr;
        String jfrSettings = "profile";
        @Nullable String phase;
        @Nullable String bootstrap;
        final Map<String, String> consumer = new LinkedHashMap<>();
    }

    private static final String USAGE = "usage: KafkaBenchmark [--events N] [--keys K] [--dir DIR] [--keep]"
            + " [--bronze-only] [--phases limit,plain,bronze,silver] [--change-feed] [--loop-file-rows N]"
            + " [--batch-records N] [--silver-lag N]"
            + " [--jfr DIR [--jfr-settings JFC]]"
            + " [--consumer key=value]... | [--steady RATE [--seconds S] [--warmup S] [--bronze-only]]";

    private KafkaBenchmark() {
    }

    /**
     * @param args {@code --events N} (default 1000000), {@code --keys K} (default N / 10),
     *     {@code --dir DIR} (default ./benchmark), {@code --keep} to keep the run folder, {@code --bronze-only}
     *     to skip the bronze + silver run (with {@code --steady}, to measure a pipeline without silver),
     *     {@code --phases LIST} to run only some of {@code limit}, {@code plain}, {@code bronze}, {@code silver} (comma-separated; default all), {@code --loop-file-rows N}
     *     for the limit loop's rows per file (default 100000, about bronze's files), {@code --batch-records N}
     *     for the pipelines' {@code withMaxBatchRecords} (default {@value Pipeline#DEFAULT_MAX_BATCH_RECORDS}),
     *     {@code --silver-lag N} for the bronze + silver pipeline's {@code withMaxSilverLag} (default
     *     {@value Pipeline#DEFAULT_MAX_SILVER_LAG}),
     *     {@code --change-feed} to
     *     have the bronze + silver pipeline also write silver's change feed, {@code --jfr DIR} to have
     *     each phase's JVM record a JFR profile into {@code DIR/PHASE.jfr}, with {@code --jfr-settings
     *     JFC} the recording's settings (default {@code profile}; a .jfc file with a shorter
     *     {@code jdk.ExecutionSample} period gives more samples),
     *     {@code --consumer key=value} (repeatable) for a Kafka consumer setting of the plain consumer, the
     *     limit loop and the pipelines; or {@code --steady RATE} (events per second) with {@code --seconds S}
     *     (default 60) and {@code --warmup S} (default 15, left out of the figures) to measure
     *     produce-to-visible latency instead ({@link SteadyLatency}). A phase's own
     *     JVM gets {@code --phase NAME --bootstrap SERVERS} from this one: options for the benchmark
     *     itself, not for a user.
     */
    public static void main(String[] args) throws IOException {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (o.phase != null) {
            runPhase(o);
            return;
        }
        run(o);
    }

    /**
     * Runs the benchmark as {@link #main} does.
     *
     * @return the phases measured, none with {@code --steady}
     * @throws IllegalArgumentException for wrong arguments
     */
    static List<Phase> run(String[] args) throws IOException {
        return run(parse(args));
    }

    private static List<Phase> run(Options o) throws IOException {
        Files.createDirectories(o.dir);
        Path run = Files.createTempDirectory(o.dir.toAbsolutePath(), "run-");
        try {
            if (o.steadyRate > 0) {
                SteadyLatency.run(o.steadyRate, o.steadySeconds, o.steadyWarmup, !o.phases.contains("silver"), run);
                return List.of();
            }
            return measure(o, run);
        } finally {
            if (!o.keep) {
                SampleMain.deleteTree(run);
            }
        }
    }

    private static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            switch (option) {
                case "--events" -> o.events = SampleMain.number(option, SampleMain.value(args, ++i, option));
                case "--keys" -> o.keys = SampleMain.number(option, SampleMain.value(args, ++i, option));
                case "--dir" -> o.dir = Path.of(SampleMain.value(args, ++i, option));
                case "--keep" -> o.keep = true;
                case "--change-feed" -> o.changeFeed = true;
                case "--bronze-only" -> o.phases = o.phases.stream().filter(p -> !p.equals("silver")).toList();
                case "--phases" -> {
                    o.phases = List.of(SampleMain.value(args, ++i, option).split(","));
                    if (!PHASES.containsAll(o.phases)) {
                        throw new IllegalArgumentException("--phases takes some of " + PHASES + ", got " + o.phases);
                    }
                }
                case "--loop-file-rows" -> o.loopFileRows =
                        Math.max(1, SampleMain.number(option, SampleMain.value(args, ++i, option)));
                case "--batch-records" -> o.batchRecords =
                        (int) Math.max(1, SampleMain.number(option, SampleMain.value(args, ++i, option)));
                case "--silver-lag" -> o.silverLag =
                        (int) Math.max(1, SampleMain.number(option, SampleMain.value(args, ++i, option)));
                case "--jfr" -> o.jfr = Path.of(SampleMain.value(args, ++i, option)).toAbsolutePath();
                case "--jfr-settings" -> o.jfrSettings = SampleMain.value(args, ++i, option);
                case "--steady" -> o.steadyRate = (int) SampleMain.number(option, SampleMain.value(args, ++i, option));
                case "--seconds" -> o.steadySeconds =
                        (int) SampleMain.number(option, SampleMain.value(args, ++i, option));
                case "--warmup" -> o.steadyWarmup =
                        (int) SampleMain.number(option, SampleMain.value(args, ++i, option));
                case "--phase" -> o.phase = SampleMain.value(args, ++i, option);
                case "--bootstrap" -> o.bootstrap = SampleMain.value(args, ++i, option);
                case "--consumer" -> {
                    String[] kv = SampleMain.value(args, ++i, option).split("=", 2);
                    if (kv.length != 2) {
                        throw new IllegalArgumentException("--consumer takes key=value, got " + args[i]);
                    }
                    o.consumer.put(kv[0], kv[1]);
                }
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        if (o.keys < 1) {
            o.keys = Math.max(1, o.events / 10);
        }
        return o;
    }

    private static List<Phase> measure(Options o, Path run) throws IOException {
        OrderEvents orders = new OrderEvents(o.events, o.keys, Quickstart.PARTITIONS);
        System.out.printf(Locale.ROOT, "KafkaBenchmark: %,d order events over %,d orders, %d partitions, %d cores,"
                + " %s, in %s%n", o.events, o.keys, Quickstart.PARTITIONS,
                Runtime.getRuntime().availableProcessors(), SampleMain.heap(), run);
        List<Phase> results = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(run.resolve("kafka"))) {
            kafka.createTopic(TOPIC, Quickstart.PARTITIONS);
            Quickstart.produceMissing(kafka, TOPIC, orders);
            if (!o.consumer.isEmpty()) {
                System.out.println("  consumer settings for the plain consumer, the limit loop and the pipelines: "
                        + o.consumer);
            }
            double limitSeconds = Double.NaN;
            for (String phase : o.phases) {
                Phase r = inChildJvm(phase, o, run, kafka.bootstrapServers());
                if (r.events() != o.events) {
                    throw new IllegalStateException(phase + " read " + r.events() + " events, not " + o.events);
                }
                if (phase.equals("limit")) {
                    limitSeconds = r.seconds();
                }
                report(r, limitSeconds, o.changeFeed);
                results.add(r);
            }
        }
        return results;
    }

    private static String title(String phase, boolean changeFeed) {
        return switch (phase) {
            case "limit" -> "limit loop (KafkaConsumer -> ParquetWriter, 1 thread)";
            case "plain" -> "plain KafkaConsumer (byte[] records, no processing)";
            case "bronze" -> "Kafka -> bronze";
            default -> changeFeed ? "Kafka -> bronze + silver + change feed" : "Kafka -> bronze + silver";
        };
    }

    /**
     * Runs a phase in a JVM of its own and reads its result line; the rest of what it prints is
     * passed on, indented.
     */
    private static Phase inChildJvm(String phase, Options o, Path run, String bootstrap) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // one recording file per phase, not every child writing the parent's
            if (!a.startsWith("-XX:StartFlightRecording") && !a.startsWith("-XX:FlightRecorderOptions")) {
                command.add(a);
            }
        }
        if (o.jfr != null) {
            Files.createDirectories(o.jfr);
            command.add("-XX:StartFlightRecording=filename=" + o.jfr.resolve(phase + ".jfr") + ",settings="
                    + o.jfrSettings);
        }
        command.addAll(List.of("-cp", classPath(), KafkaBenchmark.class.getName(), "--phase", phase,
                "--bootstrap", bootstrap, "--events", Long.toString(o.events), "--keys", Long.toString(o.keys),
                "--dir", run.toString(), "--loop-file-rows", Long.toString(o.loopFileRows), "--batch-records",
                Integer.toString(o.batchRecords), "--silver-lag", Integer.toString(o.silverLag)));
        o.consumer.forEach((k, v) -> command.addAll(List.of("--consumer", k + "=" + v)));
        if (o.changeFeed) {
            command.add("--change-feed");
        }
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        Phase result = null;
        try (BufferedReader out = child.inputReader(StandardCharsets.UTF_8)) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith(RESULT)) {
                    String[] f = line.substring(RESULT.length()).split(" ");
                    result = new Phase(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]) / 1e9,
                            Long.parseLong(f[3]) / 1e9, Long.parseLong(f[4]));
                } else {
                    System.out.println("  " + line);
                }
            }
        }
        try {
            int code = child.waitFor();
            if (code != 0 || result == null) {
                throw new IllegalStateException("the " + phase + " phase's JVM ended with code " + code
                        + (result == null ? " and no result" : "") + "; its output is above");
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the " + phase + " phase ran", e);
        }
        return result;
    }

    /**
     * This program's class path: the application class loader's, or under {@code mvn exec:java}
     * (which runs programs in Maven's JVM) the URLs of the loader Maven built for the project.
     */
    private static String classPath() {
        if (KafkaBenchmark.class.getClassLoader() instanceof URLClassLoader loader) {
            List<String> entries = new ArrayList<>();
            for (URL u : loader.getURLs()) {
                try {
                    entries.add(Path.of(u.toURI()).toString());
                } catch (URISyntaxException | IllegalArgumentException e) {
                    throw new IllegalStateException("class path entry " + u + " is not a local file", e);
                }
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
    }

    /** A phase's JVM: runs the phase against the parent's broker and prints its result line last. */
    private static void runPhase(Options o) {
        String bootstrap = Objects.requireNonNull(o.bootstrap, "--phase needs --bootstrap");
        Path run = o.dir.toAbsolutePath();
        long cpu = processCpuNanos();
        long start = System.nanoTime();
        long events = switch (Objects.requireNonNull(o.phase)) {
            case "limit" -> BronzeLimitLoop.run(bootstrap, TOPIC, Quickstart.PARTITIONS, o.events,
                    run.resolve("limit-loop"), o.consumer, o.loopFileRows);
            case "plain" -> plainConsumer(bootstrap, o.events, o.consumer);
            case "bronze" -> timed(Pipeline.from(source(bootstrap, o)).bronze(run.resolve("bronze-only").toString())
                    .bronzeOnly().withName("bench-bronze").withMaxBatchRecords(o.batchRecords));
            case "silver" -> {
                Pipeline silver = Pipeline.from(source(bootstrap, o)).bronze(run.resolve("bronze").toString())
                        .silver(run.resolve("silver").toString(), "order_id")
                        .withSchema(OrderEvents.SCHEMA)
                        .withMergeStrategy(MergeStrategies.latestBy("updated_at"))
                        .withName("bench-silver")
                        .withMaxBatchRecords(o.batchRecords)
                        .withMaxSilverLag(o.silverLag);
                yield timed(o.changeFeed ? silver.withChangeFeed(run.resolve("silver_changes").toString()) : silver);
            }
            default -> throw new IllegalArgumentException("unknown phase " + o.phase);
        };
        long nanos = System.nanoTime() - start;
        System.out.println(cpuByKind());
        System.out.println(RESULT + o.phase + " " + events + " " + nanos + " " + (processCpuNanos() - cpu) + " "
                + peakRssKiB());
    }

    private static KafkaSource source(String bootstrap, Options o) {
        return KafkaSource.topics(bootstrap, TOPIC).withConsumerProperties(o.consumer);
    }

    /**
     * Where this JVM's CPU time went since it started, from /proc: the JIT compilers and the garbage
     * collector are threads of their own, which no Java profiler samples; a short phase spends a large
     * part of its CPU on them, and that decides how to read its figures.
     *
     * @return a line such as {@code (JVM CPU 5.2 s: JIT 1.9 s, GC 0.6 s, the rest 2.7 s)}, or an empty one off Linux
     */
    private static String cpuByKind() {
        try {
            double total = ticks(Path.of("/proc/self/stat"));
            double jit = 0;
            double gc = 0;
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path task : tasks.toList()) {
                    try {
                        String name = Files.readString(task.resolve("comm")).trim();
                        if (name.contains("CompilerThre")) {
                            jit += ticks(task.resolve("stat"));
                        } else if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
                            gc += ticks(task.resolve("stat"));
                        }
                    } catch (IOException e) {
                        // a thread that ended since the listing: its time is in the rest
                    }
                }
            }
            return String.format(Locale.ROOT,
                    "(JVM CPU %.1f s since its start: JIT %.1f s, GC %.1f s, the rest %.1f s)",
                    total, jit, gc, total - jit - gc);
        } catch (IOException | RuntimeException e) {
            return ""; // not Linux
        }
    }

    /** @return user + system seconds of a /proc stat file, at Linux's usual 100 ticks a second */
    private static double ticks(Path stat) throws IOException {
        String s = Files.readString(stat);
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    /** @return this JVM's peak resident set ({@code VmHWM} of /proc/self/status) in KiB, -1 if not on Linux */
    private static long peakRssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return -1;
    }

    /**
     * Reads the whole topic with one consumer with the fetch settings the source uses by default,
     * as fast as Kafka's client goes.
     *
     * @return the records read
     */
    private static long plainConsumer(String bootstrapServers, long events, Map<String, String> settings) {
        long count = 0;
        long bytes = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = BronzeLimitLoop.fromStart(bootstrapServers, TOPIC,
                Quickstart.PARTITIONS, settings)) {
            while (count < events) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofSeconds(1));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    count++;
                    bytes += r.value().length; // touch every record, as a consumer that uses them would
                }
            }
        }
        System.out.printf(Locale.ROOT, "(read %,d records, %,.1f MiB of values)%n", count, bytes / 1048576.0);
        return count;
    }

    /**
     * Runs a pipeline until caught up.
     *
     * @return the events it ingested
     */
    private static long timed(Pipeline pipeline) {
        PipelineProgress progress = pipeline.runUntilCaughtUp();
        System.out.printf(Locale.ROOT, "(%d batches, %,.0f events/s while running)%n", progress.batches(),
                progress.eventsPerSecond());
        return progress.eventsIngested();
    }

    private static void report(Phase r, double limitSeconds, boolean changeFeed) {
        System.out.printf(Locale.ROOT, "%-56s %7.2f s %,10.0f events/s  %s  peak RSS %,6d MiB  (%.1f of %d cores"
                + " busy)%n", title(r.phase(), changeFeed), r.seconds(), r.events() / r.seconds(),
                Double.isNaN(limitSeconds) ? "    -    " : String.format(Locale.ROOT, "%5.2fx limit", limitSeconds
                        / r.seconds()),
                r.peakRssKiB() >> 10, r.cpuSeconds() / r.seconds(), Runtime.getRuntime().availableProcessors());
    }

    /** CPU time of this whole JVM, to tell a CPU-bound phase from a waiting one. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }
}
