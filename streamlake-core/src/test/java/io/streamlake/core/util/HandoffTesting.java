package io.streamlake.core.util;

/** Lets tests of other packages see how many handoffs are alive. */
public final class HandoffTesting {
    private HandoffTesting() {
    }

    public static int size() {
        return Handoff.size();
    }
}
