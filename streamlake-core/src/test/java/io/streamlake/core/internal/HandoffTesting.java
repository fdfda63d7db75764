package io.streamlake.core.internal;

/** Lets tests of other packages see how many handoffs are alive. */
public final class HandoffTesting {
    private HandoffTesting() {
    }

    public static int size() {
        return Handoff.size();
    }
}
