package io.streamlake.core.util;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The helper threads of one running pipeline, for the work a micro-batch can split: bronze slices,
 * silver decoding slices, file reads and rewrites. At most {@link #parallelism()} tasks of one call
 * run at once, the calling thread being one of them; the pipeline's writer parallelism sets it
 * (default: the available cores), so a test can write eight files at once on a two-core machine,
 * and 1 runs everything on the calling thread.
 *
 * <p>Nested calls cannot deadlock, by construction rather than by care: the tasks of a call are
 * claimed one by one, in order, by whichever thread is free, the caller included, and the caller
 * runs every task no helper has claimed before it waits. It then waits only for tasks that are
 * running on a live thread, never for one queued behind itself.
 *
 * <p>One instance per engine (or quarantine replay), closed with it; its threads are daemons and
 * time out when idle, so a run that is never closed neither keeps the JVM alive nor holds threads.
 */
public final class Workers implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int parallelism;
    private final @Nullable ExecutorService pool;

    /**
     * @param parallelism how many tasks of one call may run at once, the caller included (at least 1)
     * @param name names the helper threads
     */
    public Workers(int parallelism, String name) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
        }
        this.parallelism = parallelism;
        if (parallelism == 1) {
            this.pool = null;
            return;
        }
        String prefix = "streamlake-worker-" + name + "-" + POOLS.incrementAndGet() + "-";
        AtomicInteger threads = new AtomicInteger();
        ThreadPoolExecutor p = new ThreadPoolExecutor(parallelism - 1, parallelism - 1, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, prefix + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        p.allowCoreThreadTimeOut(true);
        this.pool = p;
    }

    /** @return how many tasks of one call may run at once, the calling thread included */
    public int parallelism() {
        return parallelism;
    }

    /**
     * Runs the tasks and returns their results in order. If a task fails, no later task starts
     * (earlier ones still run, so the earliest failure is always found), the running ones are waited
     * for, and the failure of the earliest task is thrown: errors are reported in the order the work
     * was given, and nothing is left running.
     */
    public <T> List<T> all(List<Supplier<T>> tasks) {
        int n = tasks.size();
        ExecutorService p = pool;
        if (n <= 1 || p == null) {
            List<T> results = new ArrayList<>(n);
            tasks.forEach(t -> results.add(t.get()));
            return results;
        }
        Call<T> call = new Call<>(tasks);
        int helpers = Math.min(parallelism, n) - 1;
        for (int i = 0; i < helpers; i++) {
            try {
                p.execute(call::work);
            } catch (RejectedExecutionException e) {
                break; // closed under a running call: the caller does the rest
            }
        }
        call.work();
        return call.results();
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }

    /** One call's tasks, claimed in order by the threads that work on it. */
    private static final class Call<T> {
        private final List<Supplier<T>> tasks;
        private final @Nullable Object[] results;
        private final @Nullable Throwable[] failures;
        private final AtomicInteger next = new AtomicInteger();
        /** Counts down once per task, run or skipped after a failure. */
        private final CountDownLatch done;
        /** The lowest index of a failed task: tasks after it are skipped, tasks before it still run. */
        private final AtomicInteger firstFailure = new AtomicInteger(Integer.MAX_VALUE);

        Call(List<Supplier<T>> tasks) {
            this.tasks = tasks;
            this.results = new Object[tasks.size()];
            this.failures = new Throwable[tasks.size()];
            this.done = new CountDownLatch(tasks.size());
        }

        /** Claims and runs tasks until none is left; safe on any number of threads. */
        void work() {
            for (int i = next.getAndIncrement(); i < tasks.size(); i = next.getAndIncrement()) {
                try {
                    if (firstFailure.get() > i) {
                        results[i] = tasks.get(i).get();
                    }
                } catch (RuntimeException | Error e) {
                    failures[i] = e;
                    int index = i;
                    firstFailure.accumulateAndGet(index, Math::min);
                } finally {
                    done.countDown();
                }
            }
        }

        /** Waits for the tasks other threads claimed (running ones only: every task is claimed by now). */
        @SuppressWarnings("unchecked")
        List<T> results() {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the tasks write files: they are finished, not abandoned
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            // The latch orders every task's writes before this read.
            for (Throwable f : failures) {
                if (f instanceof RuntimeException r) {
                    throw r;
                }
                if (f instanceof Error e) {
                    throw e;
                }
            }
            List<T> out = new ArrayList<>(results.length);
            for (Object r : results) {
                out.add((T) r);
            }
            return out;
        }
    }
}
