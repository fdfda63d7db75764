package io.streamlake.exceptions;

/**
 * A row broke an expectation whose action is FAIL, or the rule threw on it (then the exception is
 * the cause). The message names the rule and the source partition and position of the record; bronze holds the record, and silver holds everything before
 * the batch that contained it.
 *
 * <pre>{@code
 * catch (ExpectationFailedException e) { // fix the data or relax the rule, then restart
 * }
 * }</pre>
 */
public class ExpectationFailedException extends StreamLakeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, why, and what to do */
    public ExpectationFailedException(String message) {
        super(message);
    }

    /**
     * For a rule that threw instead of deciding: the rule, not the data, needs fixing.
     *
     * @param message what failed, why, and what to do
     * @param cause what the rule threw
     */
    public ExpectationFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
