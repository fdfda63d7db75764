package io.streamlake.testkit.capture;

import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import io.streamlake.source.SourceReader;
import io.streamlake.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A source of fixed records per partition whose positions the test chooses: with holes (as a Kafka
 * topic with transactions has), starting late (as an event hub past its retention does), or replaying
 * what bronze already holds (as a source that ignores the markers would).
 */
final class ListSource implements Source {
    private final String name;
    private final Map<Integer, List<SourceRecord>> records = new TreeMap<>();
    private boolean replays;

    ListSource(String name) {
        this.name = name;
    }

    /** Adds events of a partition at these positions, with the bodies of {@link CaptureFixture#body}. */
    ListSource add(int partition, long... positions) {
        List<SourceRecord> list = records.computeIfAbsent(partition, p -> new ArrayList<>());
        for (long s : positions) {
            CaptureFixture.Event e = CaptureFixture.event(partition, s);
            list.add(new SourceRecord(new SourcePartition(name, partition), s,
                    e.partitionKey().getBytes(StandardCharsets.UTF_8), e.body().getBytes(StandardCharsets.UTF_8),
                    Map.of(), e.enqueued()));
        }
        return this;
    }

    /** Adds events {@code from} to {@code to - 1} of a partition. */
    ListSource addRange(int partition, long from, long to) {
        long[] positions = new long[(int) (to - from)];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = from + i;
        }
        return add(partition, positions);
    }

    /** Starts every partition at its first record, whatever bronze holds. */
    ListSource replaying() {
        replays = true;
        return this;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SourceReader open(SourceContext context) {
        return new SourceReader() {
            private final Map<Integer, Integer> next = new TreeMap<>();

            {
                rewind();
            }

            @Override
            public List<SourceRecord> poll(int maxRecords, Duration maxWait) {
                List<SourceRecord> out = new ArrayList<>();
                boolean progress = true;
                while (out.size() < maxRecords && progress) {
                    progress = false;
                    for (Map.Entry<Integer, List<SourceRecord>> e : records.entrySet()) {
                        int i = next.get(e.getKey());
                        if (i < e.getValue().size() && out.size() < maxRecords) {
                            out.add(e.getValue().get(i));
                            next.put(e.getKey(), i + 1);
                            progress = true;
                        }
                    }
                }
                return out;
            }

            @Override
            public void rewind() {
                records.forEach((p, list) -> {
                    long marker = context.committedPosition(new SourcePartition(name, p)).orElse(-1);
                    int i = 0;
                    while (!replays && i < list.size() && list.get(i).position() <= marker) {
                        i++;
                    }
                    next.put(p, i);
                });
            }

            @Override
            public boolean caughtUp() {
                return records.entrySet().stream().allMatch(e -> next.get(e.getKey()) >= e.getValue().size());
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public String toString() {
        return "ListSource[" + name + "]";
    }
}
