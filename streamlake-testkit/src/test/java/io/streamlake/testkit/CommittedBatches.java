package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamlake.PipelineProgress;
import io.streamlake.PipelineRun;
import io.streamlake.event.BatchCommitted;
import io.streamlake.event.PipelineListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A listener that keeps every {@link BatchCommitted} a run tells, in order (a copy-on-write list: the
 * run's thread adds, the test's reads), and waits for the events they count.
 */
final class CommittedBatches implements PipelineListener {
    final List<BatchCommitted> batches = new CopyOnWriteArrayList<>();

    @Override
    public void onBatchCommitted(BatchCommitted event) {
        batches.add(event);
    }

    /** @return the events of every batch told committed so far */
    long events() {
        return batches.stream().mapToLong(BatchCommitted::events).sum();
    }

    /**
     * Waits until the batches told committed hold {@code events} events: they are then in bronze, and
     * in silver for a pipeline with silver (a batch is told committed once silver has it).
     *
     * @throws AssertionError if the run failed meanwhile, or after 120 s
     */
    void await(PipelineRun run, long events) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (events() < events) {
            assertThat(run.progress().state()).isNotEqualTo(PipelineProgress.State.FAILED);
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not every batch was committed within 120 s: " + run.progress());
            }
            Thread.sleep(20);
        }
    }
}
