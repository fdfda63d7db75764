package io.streamlake.quality;

import io.streamlake.schema.Row;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A named data-quality rule over a decoded silver row, with what to do when a row breaks it, in
 * the spirit of Delta Live Tables' expectations. The predicate says what a good row looks like.
 *
 * <pre>{@code
 * pipeline
 *     .withExpectation(Expectation.warn("known_currency", r -> Set.of("EUR", "USD").contains(r.string("currency"))))
 *     .withExpectation(Expectation.drop("not_test_order", r -> !r.string("order_id").startsWith("TEST-")))
 *     .withExpectation(Expectation.quarantine("positive_amount",
 *         r -> r.value("amount") != null && ((BigDecimal) r.value("amount")).signum() > 0))
 *     .withExpectation(Expectation.fail("has_customer", r -> r.value("customer_id") != null));
 * }</pre>
 *
 * <p>A predicate that throws counts as a broken rule; the exception's message is kept as the reason.
 */
public final class Expectation {

    /** What happens to a row that breaks the rule. */
    public enum Action {
        /** Keep the row in silver and count it. */
        WARN,
        /** Leave the row out of silver and count it (bronze still holds the raw event). */
        DROP,
        /** Stop the pipeline with a message naming the rule and the record's source position. */
        FAIL,
        /** Leave the row out of silver and write the raw record to the quarantine table, with the rule's name. */
        QUARANTINE
    }

    private final String name;
    private final Predicate<Row> rule;
    private final Action action;

    private Expectation(String name, Predicate<Row> rule, Action action) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("an expectation needs a name");
        }
        this.name = name;
        this.rule = Objects.requireNonNull(rule, "rule");
        this.action = Objects.requireNonNull(action, "action");
    }

    /**
     * @param name the rule's name, shown in counts, errors and quarantine rows
     * @param rule true for a good row
     * @param action what to do with a row that breaks it
     * @return the expectation
     */
    public static Expectation of(String name, Predicate<Row> rule, Action action) {
        return new Expectation(name, rule, action);
    }

    /**
     * @param name the rule's name
     * @param rule true for a good row
     * @return an expectation that keeps and counts bad rows
     */
    public static Expectation warn(String name, Predicate<Row> rule) {
        return new Expectation(name, rule, Action.WARN);
    }

    /**
     * @param name the rule's name
     * @param rule true for a good row
     * @return an expectation that drops and counts bad rows
     */
    public static Expectation drop(String name, Predicate<Row> rule) {
        return new Expectation(name, rule, Action.DROP);
    }

    /**
     * @param name the rule's name
     * @param rule true for a good row
     * @return an expectation that stops the pipeline at the first bad row
     */
    public static Expectation fail(String name, Predicate<Row> rule) {
        return new Expectation(name, rule, Action.FAIL);
    }

    /**
     * @param name the rule's name
     * @param rule true for a good row
     * @return an expectation that moves bad records to the quarantine table
     */
    public static Expectation quarantine(String name, Predicate<Row> rule) {
        return new Expectation(name, rule, Action.QUARANTINE);
    }

    /** @return the rule's name */
    public String name() {
        return name;
    }

    /** @return the predicate, true for a good row */
    public Predicate<Row> rule() {
        return rule;
    }

    /** @return what happens to bad rows */
    public Action action() {
        return action;
    }

    @Override
    public String toString() {
        return "Expectation[" + name + ", " + action + "]";
    }
}
