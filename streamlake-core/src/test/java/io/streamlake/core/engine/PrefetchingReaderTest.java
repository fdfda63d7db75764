package io.streamlake.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.source.PositionGap;
import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import io.streamlake.source.BatchLimits;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The hand-over contract the wrapped reader gets: one call at a time, polls ahead, nothing lost. */
@org.junit.jupiter.api.Timeout(60) // a broken hand-over deadlocks: fail, do not hang the build
class PrefetchingReaderTest {
    private static final SourcePartition P0 = new SourcePartition("s", 0);

    /** A reader that fails the test on two overlapping calls, and records which thread made each. */
    private static final class CheckingReader implements SourceReader {
        final AtomicBoolean busy = new AtomicBoolean();
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<Map<SourcePartition, Long>> committed = new CopyOnWriteArrayList<>();
        final AtomicInteger overlaps = new AtomicInteger();
        final Random random = new Random(3);
        final SourceContext context;
        /** Polls from this number on (the first is 1) wait for {@link #pollGate}. */
        volatile int gateFrom = Integer.MAX_VALUE;
        volatile CompletableFuture<Void> pollGate = CompletableFuture.completedFuture(null);
        int polls;
        /** A plain field, written by polls on the fetch thread and by rewinds on the caller's: the hand-over orders them. */
        long next;
        int rewinds;
        volatile boolean readMarkerInPoll;
        final java.util.concurrent.BlockingQueue<OptionalLong> markers =
                new java.util.concurrent.LinkedBlockingQueue<>();

        CheckingReader(SourceContext context) {
            this.context = context;
        }

        private void enter(String call) {
            if (!busy.compareAndSet(false, true)) {
                overlaps.incrementAndGet();
            }
            calls.add(call + "@" + Thread.currentThread().getName());
        }

        private void leave() {
            busy.set(false);
        }

        @Override
        public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
            enter("poll");
            try {
                if (++polls >= gateFrom) {
                    pollGate.join();
                }
                if (readMarkerInPoll) {
                    markers.add(context.committedPosition(P0));
                }
                if (random.nextInt(3) == 0) {
                    Thread.sleep(1);
                }
                List<SourceRecord> out = new ArrayList<>();
                for (int i = 0; i < maxRecords; i++) {
                    out.add(new SourceRecord(P0, next++, null, new byte[] {1}, Map.of(), Instant.EPOCH));
                }
                return out;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                leave();
            }
        }

        @Override
        public void rewind() {
            enter("rewind");
            rewinds++;
            next = context.committedPosition(P0).orElse(-1) + 1;
            leave();
        }

        @Override
        public boolean caughtUp() {
            enter("caughtUp");
            leave();
            return false;
        }

        @Override
        public void committed(Map<SourcePartition, Long> lastPositions) {
            enter("committed");
            committed.add(lastPositions);
            leave();
        }

        /** The position after the last poll, so that a test can tell which poll a lag belongs to. */
        @Override
        public Map<SourcePartition, Long> recordsBehind() {
            enter("recordsBehind");
            try {
                return Map.of(P0, next);
            } finally {
                leave();
            }
        }

        @Override
        public void close() {
            enter("close");
            leave();
        }
    }

    private static final class Context implements SourceContext {
        volatile long committed = -1;

        @Override
        public String pipelineName() {
            return "p";
        }

        @Override
        public OptionalLong committedPosition(SourcePartition partition) {
            return committed < 0 ? OptionalLong.empty() : OptionalLong.of(committed);
        }

        @Override
        public void reportGap(PositionGap gap) {
        }
    }

    /** @return a source named "s" whose readers {@code open} makes */
    private static Source source(Function<SourceContext, SourceReader> open) {
        return new Source() {
            @Override
            public String name() {
                return "s";
            }

            @Override
            public SourceReader open(SourceContext c) {
                return open.apply(c);
            }
        };
    }

    private static PrefetchingReader open(Context context, List<CheckingReader> opened) {
        return PrefetchingReader.open(source(c -> {
            CheckingReader r = new CheckingReader(c);
            opened.add(r);
            return r;
        }), context);
    }

    @Test
    void withoutPrefetchingEveryCallRunsOnTheCallersThread() {
        List<CheckingReader> opened = new ArrayList<>();
        try (PrefetchingReader r = open(new Context(), opened)) {
            assertThat(r.poll(2, Duration.ZERO)).extracting(SourceRecord::position).containsExactly(0L, 1L);
            r.committed(Map.of(P0, 1L));
            assertThat(opened.get(0).committed).containsExactly(Map.of(P0, 1L));
            assertThat(opened.get(0).calls).allMatch(c -> c.endsWith("@" + Thread.currentThread().getName()));
        }
    }

    @Test
    void prefetchingPollsAheadOnItsOwnThreadAndNeverOverlapsTwoCallsOverManyBatches() {
        List<CheckingReader> opened = new ArrayList<>();
        Context context = new Context();
        PrefetchingReader r = open(context, opened);
        r.startPrefetching("fetch-test");
        long expected = 0;
        Random random = new Random(5);
        for (int batch = 0; batch < 2_000; batch++) {
            List<SourceRecord> polled = r.poll(3, Duration.ZERO);
            assertThat(polled.get(0).position()).isEqualTo(expected);
            long last = polled.get(polled.size() - 1).position();
            assertThat(r.recordsBehind()).as("the lag reported with this batch's poll, not a later fetch's")
                    .isEqualTo(Map.of(P0, last + 1));
            if (random.nextInt(10) == 0) {
                r.rewind(); // a commit conflict: the batch and the fetch in flight are dropped
                r.batchSettled();
                expected = context.committed + 1;
            } else {
                context.committed = last;
                r.batchSettled();
                r.committed(Map.of(P0, last));
                expected = last + 1;
            }
        }
        r.close();
        CheckingReader reader = opened.get(0);
        assertThat(reader.overlaps).hasValue(0);
        assertThat(reader.calls).anyMatch(c -> c.equals("poll@fetch-test"));
        assertThat(reader.calls).filteredOn(c -> !c.startsWith("poll") && !c.startsWith("recordsBehind"))
                .allMatch(c -> !c.endsWith("@fetch-test"));
        // each poll is followed at once, on its thread, by the question how far behind the reader is
        for (int i = 0; i < reader.calls.size(); i++) {
            String call = reader.calls.get(i);
            if (call.startsWith("poll@")) {
                assertThat(reader.calls.get(i + 1)).isEqualTo("recordsBehind@" + call.substring("poll@".length()));
            }
        }
        // every commit is told, in order, none twice, though many were deferred past a fetch
        List<Long> told = reader.committed.stream().map(m -> m.get(P0)).toList();
        assertThat(told).isSorted().doesNotHaveDuplicates().contains(context.committed);
    }

    @Test
    void aMarkerReadOnTheFetchThreadWaitsUntilTheBatchSettles() throws Exception {
        List<CheckingReader> opened = new ArrayList<>();
        Context context = new Context();
        try (PrefetchingReader r = open(context, opened)) {
            r.startPrefetching("fetch-test");
            CheckingReader reader = opened.get(0);
            reader.readMarkerInPoll = true; // as a reader assigned a partition mid-fetch does
            r.poll(1, Duration.ZERO); // on this thread: reads at once; then the next fetch starts
            assertThat(reader.markers.poll(10, TimeUnit.SECONDS)).isEmpty();
            // the fetch thread asks while the batch is being committed: it must not see the old marker
            assertThat(reader.markers.poll(200, TimeUnit.MILLISECONDS)).isNull();
            context.committed = 0;
            r.batchSettled();
            assertThat(reader.markers.poll(10, TimeUnit.SECONDS)).hasValue(0);
        }
    }

    @Test
    void caughtUpIsAskedOnlyWhenNoFetchIsInFlight() {
        List<CheckingReader> opened = new ArrayList<>();
        try (PrefetchingReader r = open(new Context(), opened)) {
            r.startPrefetching("fetch-test");
            r.poll(1, Duration.ZERO);
            assertThatThrownBy(r::caughtUp).isInstanceOf(IllegalStateException.class).hasMessageContaining("in flight");
        }
    }

    @Test
    void closeWaitsForTheFetchInFlightAndTellsTheLastCommit() throws Exception {
        List<CheckingReader> opened = new ArrayList<>();
        PrefetchingReader r = open(new Context(), opened);
        r.startPrefetching("fetch-test");
        CheckingReader reader = opened.get(0);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        reader.pollGate = gate;
        reader.gateFrom = 3;
        r.poll(1, Duration.ZERO); // poll 1 here, fetch 2 starts
        r.batchSettled();
        r.poll(1, Duration.ZERO); // fetch 2 handed over, fetch 3 starts and blocks on the gate
        r.committed(Map.of(P0, 1L)); // deferred: the fetch is in flight
        assertThat(reader.committed).isEmpty();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(r::close);
        assertThatThrownBy(() -> closed.get(100, TimeUnit.MILLISECONDS))
                .isInstanceOf(java.util.concurrent.TimeoutException.class);
        gate.complete(null);
        closed.get(10, TimeUnit.SECONDS);
        assertThat(reader.committed).containsExactly(Map.of(P0, 1L));
        assertThat(reader.calls.get(reader.calls.size() - 1)).startsWith("close");
        assertThat(reader.overlaps).hasValue(0);
    }

    /** A source whose records arrive while the test delivers them: a poll takes what has arrived. */
    private static final class TrickleReader implements SourceReader {
        final LinkedBlockingQueue<SourceRecord> arrived = new LinkedBlockingQueue<>();
        final AtomicInteger polls = new AtomicInteger();
        private long next;

        /** Thrown by the next poll that finds nothing delivered. */
        volatile @Nullable RuntimeException failWhenEmpty;
        /** Set: the next poll asks its context for partition 0's committed position, into {@link #answers}. */
        volatile boolean askCommitted;
        final LinkedBlockingQueue<OptionalLong> answers = new LinkedBlockingQueue<>();
        volatile @Nullable SourceContext context;

        void deliver(int count, int valueBytes) {
            for (int i = 0; i < count; i++) {
                arrived.add(new SourceRecord(P0, next++, null, new byte[valueBytes], Map.of(), Instant.EPOCH));
            }
        }

        void awaitTaken() throws InterruptedException {
            while (!arrived.isEmpty()) {
                Thread.sleep(1);
            }
        }

        @Override
        public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
            return poll(BatchLimits.of(maxRecords, maxWait));
        }

        @Override
        public List<SourceRecord> poll(BatchLimits limits) {
            polls.incrementAndGet();
            List<SourceRecord> out = new ArrayList<>();
            long bytes = 0;
            try {
                RuntimeException failure = failWhenEmpty;
                if (failure != null && arrived.isEmpty()) {
                    throw failure;
                }
                if (askCommitted) {
                    askCommitted = false;
                    answers.add(Objects.requireNonNull(context).committedPosition(P0));
                }
                SourceRecord first = arrived.poll(limits.maxWaitNanos(), TimeUnit.NANOSECONDS);
                if (first == null) {
                    return out;
                }
                out.add(first);
                bytes += BatchLimits.bytes(first);
                // what has arrived, within the limits: a caught-up reader returns at once
                for (SourceRecord r = arrived.peek(); r != null && limits.admits(out.size(), bytes,
                        BatchLimits.bytes(r)); r = arrived.peek()) {
                    out.add(arrived.remove());
                    bytes += BatchLimits.bytes(r);
                }
                return out;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }

        @Override
        public void rewind() {
        }

        @Override
        public boolean caughtUp() {
            return arrived.isEmpty();
        }

        @Override
        public void committed(Map<SourcePartition, Long> lastPositions) {
        }

        @Override
        public void close() {
        }
    }

    /**
     * A prefetching reader over the source after the engine's first poll, of one record of
     * {@code valueBytes} delivered for it: the prefetch runs from here.
     */
    private static PrefetchingReader started(TrickleReader source, BatchLimits limits, int valueBytes) {
        PrefetchingReader r = prefetching(source);
        source.deliver(1, valueBytes);
        assertThat(r.poll(limits)).hasSize(1);
        return r;
    }

    private static PrefetchingReader prefetching(TrickleReader reader) {
        PrefetchingReader r = PrefetchingReader.open(source(c -> {
            reader.context = c;
            return reader;
        }), new Context());
        r.startPrefetching("fetch-test");
        return r;
    }

    private static BatchLimits limits(int records, long bytes, Duration delay) {
        return new BatchLimits(records, bytes, Duration.ofSeconds(5), delay);
    }

    @Test
    void aPrefetchGathersWhatArrivesUntilTheEngineAsks() throws Exception {
        TrickleReader source = new TrickleReader();
        BatchLimits limits = limits(1_000, Long.MAX_VALUE, Duration.ofSeconds(30));
        PrefetchingReader r = started(source, limits, 10); // the engine's first poll; the prefetch starts now
        for (int i = 0; i < 5; i++) {
            source.deliver(3, 10); // in five trickles while "the engine writes": a caught-up reader returns each
            source.awaitTaken();
            Thread.sleep(15);
        }
        List<SourceRecord> batch = r.poll(limits);
        // without gathering, the batch would be the first trickle and the rest would wait a whole commit
        assertThat(batch).extracting(SourceRecord::position).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L,
                10L, 11L, 12L, 13L, 14L, 15L);
        assertThat(source.polls.get()).isGreaterThan(5);
        r.close();
    }

    @Test
    void gatheringStopsAtTheRecordAndByteBounds() throws Exception {
        TrickleReader source = new TrickleReader();
        PrefetchingReader r = started(source, limits(4, Long.MAX_VALUE, Duration.ofSeconds(30)), 10);
        source.deliver(1, 10);
        source.awaitTaken();
        source.deliver(9, 10);
        Thread.sleep(200); // time enough to gather all nine, were the bound not there
        // looked at before the engine's poll, which starts the next prefetch at once
        assertThat(source.arrived).hasSize(6);
        assertThat(r.poll(limits(4, Long.MAX_VALUE, Duration.ofSeconds(30)))).hasSize(4);

        BatchLimits bytes = limits(1_000, 250, Duration.ofSeconds(30));
        TrickleReader large = new TrickleReader();
        PrefetchingReader byBytes = started(large, bytes, 100);
        large.deliver(6, 100);
        while (large.arrived.size() > 4) {
            Thread.sleep(1); // the prefetch took two of them at least
        }
        Thread.sleep(100); // time enough to gather all six, were the bound not there
        List<SourceRecord> batch = byBytes.poll(bytes);
        // at most one record past the bound, as a reader's first record may always be
        assertThat(batch.stream().mapToLong(BatchLimits::bytes).sum()).isBetween(200L, 350L);
        r.close();
        byBytes.close();
    }

    @Test
    void gatheringNeverHoldsABatchPastItsDelayNorGathersWithoutOne() throws Exception {
        TrickleReader source = new TrickleReader();
        BatchLimits delayed = limits(1_000, Long.MAX_VALUE, Duration.ofMillis(100));
        PrefetchingReader r = started(source, delayed, 10);
        for (int i = 0; i < 80; i++) {
            source.deliver(1, 10); // one every 25 ms for two seconds, while the engine never asks
            Thread.sleep(25);
        }
        // Looked at before the engine's poll, which starts the next prefetch at once: the prefetch
        // stopped gathering about 100 ms in, and left the rest in the source.
        int left = source.arrived.size();
        assertThat(left).isPositive();
        assertThat(r.poll(delayed)).hasSize(80 - left);
        r.close();

        TrickleReader once = new TrickleReader();
        BatchLimits zero = limits(1_000, Long.MAX_VALUE, Duration.ZERO);
        PrefetchingReader noDelay = started(once, zero, 10);
        once.deliver(2, 10);
        once.awaitTaken();
        int polls = once.polls.get();
        once.deliver(3, 10);
        Thread.sleep(100);
        assertThat(once.polls.get()).as("a zero delay returns what one poll brought").isEqualTo(polls);
        assertThat(noDelay.poll(zero)).hasSize(2);
        noDelay.close();
    }

    @Test
    void aGatheringPollThatFailsHandsOverWhatCameBeforeAndTheNextPollFails() throws Exception {
        TrickleReader source = new TrickleReader();
        BatchLimits limits = limits(1_000, Long.MAX_VALUE, Duration.ofSeconds(30));
        PrefetchingReader r = started(source, limits, 10);
        source.deliver(5, 10);
        source.awaitTaken();
        IllegalStateException gap = new IllegalStateException("a gap after position 5");
        source.failWhenEmpty = gap; // the next gathering poll meets it
        Thread.sleep(50);
        // the five before the failure are a batch to commit, as without gathering
        assertThat(r.poll(limits)).extracting(SourceRecord::position).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThatThrownBy(() -> r.poll(limits)).isSameAs(gap);
        r.close();
    }

    @Test
    void aReaderAskingItsCommittedPositionWhileAPrefetchGathersIsAnsweredAfterWhatItGathered() throws Exception {
        TrickleReader source = new TrickleReader();
        BatchLimits limits = limits(1_000, Long.MAX_VALUE, Duration.ofSeconds(30));
        PrefetchingReader r = started(source, limits, 10);
        r.batchSettled(); // the engine committed nothing yet: the marker is still empty
        source.deliver(3, 10);
        source.awaitTaken();
        // a reader that seeks from the marker here (a partition assigned again, a hand-over) would read
        // positions 1 to 3 again into the same batch, or take them for missing
        source.askCommitted = true;
        assertThat(source.answers.poll(10, TimeUnit.SECONDS)).isEqualTo(OptionalLong.of(3));
        assertThat(r.poll(limits)).extracting(SourceRecord::position).containsExactly(1L, 2L, 3L);
        r.close();
    }
}
