package io.streamlake.quality;

/**
 * How many rows passed and failed one expectation during a run.
 *
 * <pre>{@code
 * for (ExpectationMetrics m : run.progress().expectations()) {
 *     System.out.printf("%s: %d passed, %d failed (%s)%n", m.name(), m.passed(), m.failed(), m.action());
 * }
 * }</pre>
 *
 * @param name the expectation's name, or {@code decode} for records that could not be decoded
 * @param action what happened to failing rows
 * @param passed rows that passed
 * @param failed rows that failed
 */
public record ExpectationMetrics(String name, Expectation.Action action, long passed, long failed) {
}
