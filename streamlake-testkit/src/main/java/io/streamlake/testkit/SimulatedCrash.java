package io.streamlake.testkit;

/**
 * Thrown by an injected crash: the process "dies" at that point. An {@link Error}, so that no
 * handler in the engine can mistake it for a recoverable failure. The driver restarts the pipeline
 * from its tables on the next {@code runOneBatch()}, as a new process would.
 *
 * <pre>{@code
 * driver.crashBeforeNextCommit(Stage.BRONZE);
 * assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
 * driver.runOneBatch();   // restarts and finishes the work
 * }</pre>
 */
public final class SimulatedCrash extends Error {
    private static final long serialVersionUID = 1L;

    SimulatedCrash(String where) {
        super("simulated crash " + where);
    }
}
