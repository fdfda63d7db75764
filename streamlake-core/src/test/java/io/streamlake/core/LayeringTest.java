package io.streamlake.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The floor plan of CONTRIBUTING.md, enforced: which package of the library may import which. It
 * reads the sources' imports (and fully qualified names in code), so a forbidden dependency fails
 * the build wherever it is written. Each rule lists what a package may use besides the api and
 * itself; a known exception is listed by class, with what should replace it, so that no new one
 * slips in beside it.
 */
class LayeringTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String CORE = "io.streamlake.core.";
    /** An import of, or a qualified reference to, a class of a core package. */
    private static final Pattern CORE_REFERENCE = Pattern.compile("\\bio\\.streamlake\\.core\\.([a-z]+)\\.([A-Z]\\w*)");
    /**
     * An {@code instanceof} on a concrete strategy or plugin class, qualified or not. An optional
     * ability is a capability interface of the api ({@code BronzeFiles}, {@code HistoryStrategy}),
     * which the engine may test for; the classes that implement it, it may not.
     */
    private static final Pattern CONCRETE_INSTANCEOF = Pattern.compile("\\binstanceof\\s+(?:[\\w.]+\\.)?"
            + "(Scd1Strategy|Scd2Strategy|CdcStrategy|DeltaTable|KafkaSource|EventHubsSource|CaptureSource"
            + "|HandoverSource|InMemory\\w*)\\b");
    /** The core package of each concrete plugin class above: a plugin may test for its own classes (as equals does). */
    private static final Map<String, String> PLUGIN_PACKAGE = Map.of("DeltaTable", "delta", "KafkaSource", "kafka",
            "EventHubsSource", "eventhubs", "CaptureSource", "capture", "HandoverSource", "capture");

    /** Each core package and the core packages it may use. */
    static final Map<String, Set<String>> ALLOWED = new LinkedHashMap<>();

    static {
        ALLOWED.put("util", Set.of());
        ALLOWED.put("storage", Set.of("util"));
        ALLOWED.put("json", Set.of("util"));
        ALLOWED.put("silver", Set.of("json", "util"));
        ALLOWED.put("azure", Set.of("storage", "util"));
        ALLOWED.put("kafka", Set.of("storage", "util"));
        ALLOWED.put("delta", Set.of("azure", "storage", "util"));
        // Event Hubs' Kafka endpoint is a Kafka source with Event Hubs' settings
        ALLOWED.put("eventhubs", Set.of("kafka", "azure", "storage", "util"));
        ALLOWED.put("capture", Set.of("azure", "storage", "util"));
        // Micrometer meters from the pipeline's events: the user adds its listener; the engine never names it
        ALLOWED.put("metrics", Set.of("util"));
        // the composition root: the only package that names the plugins and the silver internals
        ALLOWED.put("engine", Set.of("silver", "json", "util", "storage", "azure", "delta", "kafka", "eventhubs",
                "capture"));
    }

    /**
     * Known exceptions, by class ({@code "from -> package.Class"} in core): each is a debt with a named
     * way out. None today: the Capture plugin's debts (StorageLocation in delta, the live sources by
     * class) were paid by moving the location to storage and by the api's {@code GapCheckingSource}.
     */
    static final Map<String, String> KNOWN = Map.of();

    @Test
    void theApiNamesNoCoreClass() {
        assertThat(references(ROOT.resolve("streamlake-api/src/main/java"))).isEmpty();
    }

    @Test
    void eachCorePackageUsesOnlyThePackagesBelowIt() {
        Map<String, List<Reference>> byPackage = references(ROOT.resolve("streamlake-core/src/main/java"));
        List<String> forbidden = new ArrayList<>();
        for (Map.Entry<String, List<Reference>> e : byPackage.entrySet()) {
            String from = e.getKey();
            assertThat(ALLOWED).as("package core.%s has no rule in the floor plan: add one", from).containsKey(from);
            for (Reference r : e.getValue()) {
                boolean ok = r.pkg().equals(from) || ALLOWED.get(from).contains(r.pkg())
                        || KNOWN.containsKey(from + " -> " + r.pkg() + "." + r.cls());
                if (!ok) {
                    forbidden.add(r.file() + " (core." + from + ") uses core." + r.pkg() + "." + r.cls());
                }
            }
        }
        assertThat(forbidden).as("imports the floor plan forbids (see CONTRIBUTING.md)").isEmpty();
    }

    @Test
    void theCorePackagesFormNoCycle() {
        Map<String, Set<String>> graph = new TreeMap<>();
        references(ROOT.resolve("streamlake-core/src/main/java")).forEach((from, refs) -> {
            Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
            refs.stream().map(Reference::pkg).filter(p -> !p.equals(from)).forEach(to::add);
        });
        for (String start : graph.keySet()) {
            assertThat(reaches(graph, start, start, new TreeSet<>())).as("a cycle through core.%s: %s", start, graph)
                    .isFalse();
        }
    }

    @Test
    void theApiPackagesFormNoCycle() {
        // the description (io.streamlake) may use its sub-packages; none of them may use it back,
        // so that, for instance, the engine's spi types never import Pipeline
        Pattern apiReference = Pattern.compile("\\bio\\.streamlake(\\.[a-z]+)?\\.[A-Z]");
        Map<String, Set<String>> graph = new TreeMap<>();
        Path api = ROOT.resolve("streamlake-api/src/main/java");
        sources(api).forEach((f, text) -> {
            String from = api.relativize(f.getParent()).toString().replace('/', '.');
            Matcher m = apiReference.matcher(code(text));
            while (m.find()) {
                String to = "io.streamlake" + (m.group(1) == null ? "" : m.group(1));
                if (!to.equals(from)) {
                    graph.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
                }
            }
        });
        assertThat(graph).as("api package graph").containsKey("io.streamlake");
        for (String start : graph.keySet()) {
            assertThat(reaches(graph, start, start, new TreeSet<>())).as("a cycle through %s: %s", start, graph)
                    .isFalse();
        }
    }

    @Test
    void theTestkitAndTheSamplesUseThePluginsAndNoEngineInternals() {
        List<String> forbidden = new ArrayList<>();
        for (String module : List.of("streamlake-testkit/src/main/java", "samples/src/main/java")) {
            references(ROOT.resolve(module)).values().forEach(refs -> refs.forEach(r -> {
                // they drive the engine through the api's PipelineEngine, like any application
                if (!Set.of("delta", "kafka", "eventhubs", "capture", "azure", "metrics").contains(r.pkg())) {
                    forbidden.add(r.file() + " uses core." + r.pkg() + "." + r.cls());
                }
            }));
        }
        assertThat(forbidden).as("engine internals outside core (use the api, or a plugin's public class)").isEmpty();
    }

    /**
     * Micrometer is optional in core: a class that names it outside {@code core.metrics} would be
     * loaded by every pipeline, and fail in an application without Micrometer on its class path.
     */
    @Test
    void onlyTheMetricsPackageNamesMicrometer() {
        assertThat(ALLOWED.get("engine")).as("the engine never loads the metrics").doesNotContain("metrics");
        List<String> found = new ArrayList<>();
        for (String module : List.of("streamlake-api/src/main/java", "streamlake-core/src/main/java",
                "streamlake-testkit/src/main/java")) {
            sources(ROOT.resolve(module)).forEach((file, text) -> {
                if (code(text).contains("io.micrometer") && !packageOf(text).equals("metrics")) {
                    found.add(ROOT.relativize(file).toString());
                }
            });
        }
        assertThat(found).as("Micrometer named outside io.streamlake.core.metrics").isEmpty();
    }

    @Test
    void noCorePackageTestsForAConcreteStrategyOrPlugin() {
        List<String> found = new ArrayList<>();
        sources(ROOT.resolve("streamlake-core/src/main/java")).forEach((file, text) -> {
            String from = packageOf(text);
            // capture's hand-over to the live source (instanceof KafkaSource) is a debt that KNOWN
            // already lists ("capture -> kafka.KafkaSource"), with its way out
            if (from.equals("capture")) {
                return;
            }
            Matcher m = CONCRETE_INSTANCEOF.matcher(code(text));
            while (m.find()) {
                if (!from.equals(PLUGIN_PACKAGE.get(m.group(1)))) {
                    found.add(file.getFileName() + " (core." + from + "): " + m.group());
                }
            }
        });
        assertThat(found).as("instanceof on a concrete class; test for a capability interface of the api instead"
                + " (see CONTRIBUTING.md)").isEmpty();
    }

    @Test
    void theInstanceofRuleCatchesAConcreteClassAndNotACapability() {
        assertThat(CONCRETE_INSTANCEOF.matcher("if (s instanceof io.streamlake.merge.Scd2Strategy h) {").find())
                .isTrue();
        assertThat(CONCRETE_INSTANCEOF.matcher("if (t instanceof InMemoryTable) {").find()).isTrue();
        assertThat(CONCRETE_INSTANCEOF.matcher("if (s instanceof HistoryStrategy h) {").find()).isFalse();
    }

    @Test
    void theRuleCatchesAForbiddenImport() {
        // the check itself: a silver class that named the engine would be reported
        List<Reference> refs =
                scan("package io.streamlake.core.silver;\nimport io.streamlake.core.engine.MicroBatchEngine;\n",
                        "Forbidden.java");
        assertThat(refs).singleElement().satisfies(r -> {
            assertThat(r.pkg()).isEqualTo("engine");
            assertThat(ALLOWED.get("silver")).doesNotContain(r.pkg());
        });
    }

    private static boolean reaches(Map<String, Set<String>> graph, String from, String target, Set<String> seen) {
        for (String next : graph.getOrDefault(from, Set.of())) {
            if (next.equals(target)) {
                return true;
            }
            if (seen.add(next) && reaches(graph, next, target, seen)) {
                return true;
            }
        }
        return false;
    }

    /** A reference from a source file to a class of a core package. */
    record Reference(String file, String pkg, String cls) {
    }

    /** @return the core references of every source under the root, by the referring file's core package ("" outside core) */
    private static Map<String, List<Reference>> references(Path root) {
        Map<String, List<Reference>> out = new TreeMap<>();
        sources(root).forEach((f, text) -> {
            List<Reference> refs = scan(text, root.relativize(f).toString());
            if (!refs.isEmpty()) {
                out.computeIfAbsent(packageOf(text), k -> new ArrayList<>()).addAll(refs);
            }
        });
        return out;
    }

    /** @return the text of every Java source under the root, by its path */
    private static Map<Path, String> sources(Path root) {
        Map<Path, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                out.put(f, Files.readString(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static String packageOf(String text) {
        Matcher m = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE).matcher(text);
        if (!m.find()) {
            return "";
        }
        String pkg = m.group(1);
        return pkg.startsWith(CORE) ? pkg.substring(CORE.length()).split("\\.")[0] : "";
    }

    /** @return the source without its comments: they may name any class (javadoc explains where things live) */
    private static String code(String text) {
        return text.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
    }

    private static List<Reference> scan(String text, String file) {
        List<Reference> refs = new ArrayList<>();
        Matcher m = CORE_REFERENCE.matcher(code(text));
        while (m.find()) {
            refs.add(new Reference(file, m.group(1), m.group(2)));
        }
        return refs;
    }
}
