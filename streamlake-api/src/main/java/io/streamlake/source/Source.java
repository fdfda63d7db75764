package io.streamlake.source;

/**
 * Describes where events come from. A source is an immutable description: defining one opens no
 * connection; the engine calls {@link #open(SourceContext)} when a pipeline starts.
 *
 * <pre>{@code
 * Source orders = InMemoryHub.create("orders", 4);   // from streamlake-testkit; Kafka and Event Hubs sources ship in core
 * Pipeline.from(orders).bronze("lake/bronze/orders").bronzeOnly();
 * }</pre>
 *
 * <p>To write your own, return a {@link SourceReader} that seeks each partition to the position
 * after {@link SourceContext#committedPosition(SourcePartition)} when it starts reading it.
 */
public interface Source {

    /**
     * @return a short, stable name of the stream (a topic, an event hub); it names the source in
     *     logs and in progress markers, so changing it restarts ingestion from the start position
     */
    String name();

    /**
     * Opens a reader. Called once per run, on the pipeline's thread; see {@link SourceReader} for the
     * threads that call the reader.
     *
     * @param context gives the committed positions to resume from
     * @return a reader positioned after the committed positions
     */
    SourceReader open(SourceContext context);
}
