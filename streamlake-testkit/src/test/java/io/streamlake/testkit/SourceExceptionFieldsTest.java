package io.streamlake.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamlake.Pipeline;
import io.streamlake.exceptions.SourceException;
import io.streamlake.source.Source;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine names the failing source of a poll failure, and keeps the partition a source names. */
class SourceExceptionFieldsTest {
    @TempDir Path lake;

    /** A source whose every poll throws what {@code failure} gives. */
    private static Source failing(String name, Supplier<RuntimeException> failure) {
        return PollingSource.of(name, () -> {
            throw failure.get();
        });
    }

    /** Throws a checked exception that {@code poll} does not declare, as a Scala or Kotlin client may. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    private Pipeline pipeline(Source source) {
        return Pipeline.from(source).bronze(lake.resolve("bronze").toString()).bronzeOnly();
    }

    @Test
    void aPollThatFailsWithoutSayingWhereIsNamedAfterItsSource() {
        Pipeline p = pipeline(failing("orders-hub", () -> new IllegalStateException("socket closed")));
        try (PipelineTestDriver driver = PipelineTestDriver.create(p)) {
            SourceException e = catchThrowableOfType(driver::runOneBatch, SourceException.class);
            assertThat(e).hasMessageContaining("polling source 'orders-hub' failed");
            assertThat(e.source()).hasValue("orders-hub");
            assertThat(e.partition()).isEmpty();
        }
        // the streaming run polls on its fetch thread: the same exception reaches the caller
        SourceException streamed = catchThrowableOfType(p::runUntilCaughtUp, SourceException.class);
        assertThat(streamed.source()).hasValue("orders-hub");
    }

    @Test
    void aCheckedExceptionFromAPrefetchedPollIsASourceExceptionNamingTheSource() {
        SourcePartition partition = new SourcePartition("orders", 0);
        // polled from the run's thread, then from its fetch thread
        AtomicBoolean polled = new AtomicBoolean();
        // the first poll returns a record, so that the run fetches the next one ahead, on its fetch thread
        Source firstThenFail = PollingSource.of("orders-hub", () -> {
            if (polled.compareAndSet(false, true)) {
                return List.of(new SourceRecord(partition, 0, null, "{}".getBytes(StandardCharsets.UTF_8), Map.of(),
                        Instant.EPOCH));
            }
            throw sneaky(new IOException("stream reset"));
        });
        SourceException e = catchThrowableOfType(pipeline(firstThenFail)::runUntilCaughtUp, SourceException.class);
        assertThat(e).hasMessageContaining("polling source 'orders-hub' failed").hasMessageContaining("stream reset")
                .hasMessageContaining("fix the source and restart").hasCauseInstanceOf(IOException.class);
        assertThat(e.source()).hasValue("orders-hub");
    }

    @Test
    void aSourceExceptionThatNamesItsPartitionReachesTheCallerUnchanged() {
        SourcePartition partition = new SourcePartition("orders", 3);
        Pipeline p = pipeline(failing("orders-hub", () -> new SourceException("offset 41 of orders/3 expired",
                null, "orders-hub", partition)));
        SourceException e = catchThrowableOfType(p::runUntilCaughtUp, SourceException.class);
        assertThat(e.partition()).hasValue(partition);
        assertThat(e.source()).hasValue("orders-hub");
    }
}
