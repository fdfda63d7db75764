package io.streamlake.testkit;

import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/** Tests' source that never catches up: each poll returns what a supplier gives, or throws what it throws. */
final class PollingSource {
    private PollingSource() {
    }

    /**
     * @param name the source's name
     * @param poll what each poll returns (or throws)
     * @return a source whose readers never report that they caught up
     */
    static Source of(String name, Supplier<List<SourceRecord>> poll) {
        return new Source() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public SourceReader open(SourceContext context) {
                return new SourceReader() {
                    @Override
                    public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                        return poll.get();
                    }

                    @Override
                    public void rewind() {
                    }

                    @Override
                    public boolean caughtUp() {
                        return false;
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }
}
