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

    /** What the testkit and the samples may use of core beyond the plugins' public classes (a debt too). */
    static final Set<String> KNOWN_FROM_OUTSIDE = Set.of("engine.MicroBatchEngine", "engine.PipelineTables",
            "silver.QuarantineReplay");

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
    void theTestkitAndTheSamplesUseThePluginsAndNoEngineInternals() {
        List<String> forbidden = new ArrayList<>();
        for (String module : List.of("streamlake-testkit/src/main/java", "samples/src/main/java")) {
            references(ROOT.resolve(module)).values().forEach(refs -> refs.forEach(r -> {
                boolean plugin = Set.of("delta", "kafka", "eventhubs", "capture", "azure").contains(r.pkg());
                if (!plugin && !KNOWN_FROM_OUTSIDE.contains(r.pkg() + "." + r.cls())) {
                    forbidden.add(r.file() + " uses core." + r.pkg() + "." + r.cls());
                }
            }));
        }
        assertThat(forbidden).as("engine internals outside core (use the api, or a plugin's public class)").isEmpty();
    }

    @Test
    void theRuleCatchesAForbiddenImport() {
        // the check itself: a silver class that named the engine would be reported
        List<Reference> refs = scan("package io.streamlake.core.silver;\nimport io.streamlake.core.engine.MicroBatchEngine;\n",
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
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                String from = packageOf(text);
                List<Reference> refs = scan(text, root.relativize(f).toString());
                if (!refs.isEmpty()) {
                    out.computeIfAbsent(from, k -> new ArrayList<>()).addAll(refs);
                }
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

    private static List<Reference> scan(String text, String file) {
        List<Reference> refs = new ArrayList<>();
        // comments may name any class (javadoc explains where things live): only code counts
        String code = text.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
        Matcher m = CORE_REFERENCE.matcher(code);
        while (m.find()) {
            refs.add(new Reference(file, m.group(1), m.group(2)));
        }
        return refs;
    }
}
