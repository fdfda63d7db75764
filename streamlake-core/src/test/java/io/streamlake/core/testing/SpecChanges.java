package io.streamlake.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Checks the builder idiom that {@code Pipeline} and every source share: the state lives in one
 * private record in a field named {@code spec}, and each option method (a public instance method that
 * returns a copy of the source's own type) changes its own components of it and no other, leaving the
 * original untouched. Read reflectively, so that a component added to the record, or an option method
 * added to the source, fails the source's test until its table names it. As {@code PipelineWithTest}
 * does for the pipeline.
 *
 * <pre>{@code
 * Map<String, SpecChanges.Change<KafkaSource>> m = new LinkedHashMap<>();
 * m.put("withGroupId(String)", SpecChanges.change(s -> s.withGroupId("g"), "groupId"));
 * SpecChanges.check(KafkaSource.class, KafkaSource.topics("b:9092", "t"), m, Set.of("bootstrapServers"));
 * }</pre>
 */
public final class SpecChanges {
    private SpecChanges() {
    }

    /**
     * One option method's call, with a value other than the default, and the components it changes.
     *
     * @param call the call on a source
     * @param components the names of the record components it changes
     * @param <S> the source's type
     */
    public record Change<S>(UnaryOperator<S> call, Set<String> components) {
    }

    /**
     * @param call the call on a source
     * @param components the names of the record components it changes
     * @param <S> the source's type
     * @return the change
     */
    public static <S> Change<S> change(UnaryOperator<S> call, String... components) {
        return new Change<>(call, Set.of(components));
    }

    /**
     * Asserts that every option method is in the table, that each changes exactly its components and
     * leaves the original alone, and that every component is set by an option or by the factory.
     *
     * @param type the source's class
     * @param base a source made by a factory, with the defaults
     * @param changes each option method by signature ({@code name(SimpleType,...)}) and its change
     * @param setByFactory the components only the factories set
     * @param <S> the source's type
     */
    public static <S> void check(Class<S> type, S base, Map<String, Change<S>> changes, Set<String> setByFactory) {
        Map<String, Object> before = components(base);
        for (Map.Entry<String, Change<S>> e : changes.entrySet()) {
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

        Set<String> options = Arrays.stream(type.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
                        && m.getReturnType() == type && !m.isBridge())
                .map(SpecChanges::signature).collect(Collectors.toCollection(TreeSet::new));
        assertThat(options).as("public option methods of %s; add a new one to the table", type.getSimpleName())
                .isEqualTo(new TreeSet<>(changes.keySet()));

        Set<String> covered = new TreeSet<>(setByFactory);
        changes.values().forEach(c -> covered.addAll(c.components()));
        assertThat(covered).as("record components that an option or a factory sets").isEqualTo(before.keySet());
    }

    private static String signature(Method m) {
        return m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(",", "(", ")"));
    }

    /** @return the source's state, component by component, in declaration order */
    private static Map<String, Object> components(Object source) {
        try {
            Field f = source.getClass().getDeclaredField("spec");
            f.setAccessible(true);
            Object spec = f.get(source);
            Map<String, Object> values = new LinkedHashMap<>();
            for (RecordComponent c : spec.getClass().getRecordComponents()) {
                Method accessor = c.getAccessor();
                accessor.setAccessible(true);
                values.put(c.getName(), accessor.invoke(spec));
            }
            return values;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("no record in a field named spec in " + source.getClass(), e);
        }
    }
}
