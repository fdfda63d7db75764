package io.streamlake.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The engine's helper threads for work a micro-batch can split (decoding slices, merging files).
 * One pool per JVM, sized to the cores; the calling thread does a share of the work too.
 */
final class Workers {
    static final int PARALLELISM = Math.max(1, Runtime.getRuntime().availableProcessors());

    /** Daemon threads, so an application that forgets to close a run still exits. */
    private static final ExecutorService POOL = Executors.newFixedThreadPool(Math.max(1, PARALLELISM - 1), r -> {
        Thread t = new Thread(r, "streamlake-worker");
        t.setDaemon(true);
        return t;
    });

    private Workers() {
    }

    /**
     * Runs the tasks, the first on the calling thread, and returns their results in order. If
     * several fail, the failure of the earliest task is thrown, so errors are reported in the order
     * the work was given.
     */
    static <T> List<T> all(List<Supplier<T>> tasks) {
        List<CompletableFuture<T>> rest = new ArrayList<>();
        for (int i = 1; i < tasks.size(); i++) {
            rest.add(CompletableFuture.supplyAsync(tasks.get(i), POOL));
        }
        List<T> results = new ArrayList<>(tasks.size());
        try {
            if (!tasks.isEmpty()) {
                results.add(tasks.get(0).get());
            }
        } catch (RuntimeException | Error e) {
            rest.forEach(f -> f.cancel(false));
            throw e;
        }
        for (CompletableFuture<T> f : rest) {
            try {
                results.add(f.join());
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                } else if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw e;
            }
        }
        return results;
    }
}
