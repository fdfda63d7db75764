package io.streamlake.exceptions;

/**
 * Data or a table does not fit the declared schema: an existing table with incompatible columns, or a record whose field has the wrong type. The message names both schemas or the offending column and record position.
 *
 * <pre>{@code
 * catch (SchemaMismatchException e) { // align the declared schema with the table
 * }
 * }</pre>
 */
public class SchemaMismatchException extends StreamLakeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, why, and what to do */
    public SchemaMismatchException(String message) {
        super(message);
    }

    /**
     * @param message what failed, why, and what to do
     * @param cause the underlying failure
     */
    public SchemaMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
