package io.streamlake.exceptions;

/**
 * A row broke an expectation whose action is FAIL. The message names the rule and the source
 * partition and position of the record; bronze holds the record, and silver holds everything before
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
}
