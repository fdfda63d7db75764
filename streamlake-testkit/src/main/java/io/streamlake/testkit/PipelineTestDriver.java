package io.streamlake.testkit;

import io.streamlake.table.Erasure;
import io.streamlake.Pipeline;
import io.streamlake.PipelineEngine;
import io.streamlake.PipelineRun;
import io.streamlake.event.PipelineEvent;
import io.streamlake.event.PipelineListener;
import io.streamlake.exceptions.StreamLakeException;
import io.streamlake.quality.ExpectationMetrics;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.spi.BatchEngine;
import io.streamlake.spi.PipelineTables;
import io.streamlake.table.DataFile;
import io.streamlake.table.QuarantineLayout;
import io.streamlake.table.Table;
import io.streamlake.table.TableRef;
import io.streamlake.table.TableSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs the real engine over the same {@link Pipeline} a user runs in production, synchronously, one
 * micro-batch per {@link #runOneBatch()}, with fault injection and read-back of both tables. Like Kafka
 * Streams' TopologyTestDriver, but the tables are real: Delta tables on disk when the pipeline names
 * paths (point them at a temporary folder), or in-memory tables with {@link #inMemory(Pipeline)}.
 *
 * <pre>{@code
 * InMemoryHub hub = InMemoryHub.create("orders", 2);
 * Pipeline pipeline = Pipeline.from(hub)
 *     .bronze(tmp.resolve("bronze").toString())
 *     .silver(tmp.resolve("silver").toString(), "order_id")
 *     .withSchema(schema)
 *     .withMergeStrategy(MergeStrategies.latestBy("updated_at"));
 * try (PipelineTestDriver driver = PipelineTestDriver.create(pipeline)) {
 *     hub.send("o-1", "{\"order_id\":\"o-1\",\"status\":\"PAID\",\"updated_at\":\"2026-01-01T00:00:00Z\"}");
 *     driver.runOneBatch();
 *     StreamLakeAssertions.assertThat(driver.silver()).hasRowCount(1);
 *
 *     driver.crashAfterNextCommit(Stage.BRONZE);          // die between the bronze and silver commits
 *     hub.send("o-1", "{\"order_id\":\"o-1\",\"status\":\"SHIPPED\",\"updated_at\":\"2026-01-02T00:00:00Z\"}");
 *     assertThatThrownBy(driver::runOneBatch).isInstanceOf(SimulatedCrash.class);
 *     driver.runOneBatch();                                // restarts, silver catches up
 * }
 * }</pre>
 */
public final class PipelineTestDriver implements AutoCloseable {
    private final Pipeline pipeline;
    private final FaultyTable bronze;
    private final @Nullable FaultyTable silver;
    private final @Nullable FaultyTable quarantine;
    private final @Nullable FaultyTable deleteMarkers;
    private final @Nullable FaultyTable eventLog;
    private final @Nullable FaultyTable changeFeed;
    /** The engine streamlake-core provides, found as {@link Pipeline#start()} finds it. */
    private final PipelineEngine engines = PipelineEngine.load();
    private @Nullable BatchEngine engine;
    private int starts;
    /** What the pipeline told its listeners; the driver's own listener, on the test's thread. */
    private final List<PipelineEvent> events = new ArrayList<>();

    private PipelineTestDriver(Pipeline pipeline, Table bronze, @Nullable Table silver, @Nullable Table quarantine,
            @Nullable Table deleteMarkers, @Nullable Table eventLog, @Nullable Table changeFeed) {
        this.pipeline = pipeline.validate().withListener(new Recorder());
        this.bronze = new FaultyTable(bronze, Stage.BRONZE);
        this.silver = silver == null ? null : new FaultyTable(silver, Stage.SILVER);
        this.quarantine = quarantine == null ? null : new FaultyTable(quarantine, Stage.QUARANTINE);
        this.deleteMarkers = deleteMarkers == null ? null : new FaultyTable(deleteMarkers, Stage.DELETE_MARKERS);
        this.eventLog = eventLog == null ? null : new FaultyTable(eventLog, Stage.EVENT_LOG);
        this.changeFeed = changeFeed == null ? null : new FaultyTable(changeFeed, Stage.CHANGE_FEED);
    }

    /**
     * A driver over the pipeline's own tables: Delta tables for paths, as in production.
     *
     * @param pipeline the pipeline under test
     * @return the driver; nothing runs until {@link #runOneBatch()}
     */
    public static PipelineTestDriver create(Pipeline pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        PipelineTables tables = PipelineEngine.load().tables(pipeline);
        return new PipelineTestDriver(pipeline, tables.bronze(), tables.silver(), tables.quarantine(),
                tables.deleteMarkers(), tables.eventLog(), tables.changeFeed());
    }

    /**
     * A driver that replaces every path table with an {@link InMemoryTable}: fastest, no disk.
     *
     * @param pipeline the pipeline under test
     * @return the driver
     */
    public static PipelineTestDriver inMemory(Pipeline pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        return new PipelineTestDriver(pipeline, memory(pipeline.bronze()),
                pipeline.silver().map(PipelineTestDriver::memory).orElse(null),
                pipeline.quarantine().map(PipelineTestDriver::memory).orElse(null),
                pipeline.deleteMarkers().map(PipelineTestDriver::memory).orElse(null),
                pipeline.eventLog().map(PipelineTestDriver::memory).orElse(null),
                pipeline.silver().isEmpty() ? null
                        : pipeline.changeFeed().map(PipelineTestDriver::memory).orElse(null));
    }

    private static Table memory(TableRef ref) {
        return ref.table().orElseGet(() -> InMemoryTable.create(ref.toString()));
    }

    /**
     * Runs one micro-batch: poll what the source holds (up to the pipeline's batch size), commit it
     * to bronze, bring silver up to date. After a crash or failure the next call first restarts the
     * pipeline from its tables, as a new process would.
     *
     * @return the number of events committed to bronze (0 if the source had nothing new)
     */
    public int runOneBatch() {
        BatchEngine e = engine();
        return failing(() -> e.runOnce(Duration.ZERO).events());
    }

    /**
     * The first half of {@link #runOneBatch()}: polls and commits one micro-batch to bronze only, and
     * leaves it for silver's next merge ({@link #mergeSilver()}), as the pipeline's thread does in a
     * streaming run while silver merges on its own. Several calls in a row let silver fall behind by
     * as many bronze commits; the next merge covers them all, in one merge where the pipeline's
     * bounds allow. A batch's {@code BatchCommitted} event comes with the merge that covers it.
     *
     * <pre>{@code
     * driver.ingestOneBatch();                         // bronze v1
     * driver.ingestOneBatch();                         // bronze v2; silver still behind
     * driver.crashAfterNextCommit(Stage.SILVER);
     * assertThatThrownBy(driver::mergeSilver).isInstanceOf(SimulatedCrash.class);
     * driver.runOneBatch();                            // restarts: silver catches up from its marker
     * }</pre>
     *
     * @return the number of events committed to bronze (0 if the source had nothing new)
     */
    public int ingestOneBatch() {
        BatchEngine e = engine();
        return failing(() -> e.ingestOnce(Duration.ZERO).events());
    }

    /**
     * The second half of {@link #runOneBatch()}: brings silver up to every bronze commit made by
     * {@link #ingestOneBatch()} since the last merge, as the silver thread of a streaming run does.
     *
     * @return silver rows changed (0 when nothing was left to merge)
     */
    public long mergeSilver() {
        BatchEngine e = engine();
        return failing(e::mergeSilver);
    }

    /**
     * Both halves at once, on two threads, as a streaming run has them: ingests one micro-batch into
     * bronze on the test's thread while silver merges, on another thread, what earlier
     * {@link #ingestOneBatch()} calls left behind. With faults armed on both stages, both threads fail
     * at once: the call throws the bronze side's failure with silver's suppressed in it (or silver's
     * alone), and the next call restarts the pipeline from its tables.
     *
     * @return the number of events committed to bronze by this call
     */
    public int ingestWhileMerging() {
        BatchEngine e = engine();
        CompletableFuture<Long> merging = CompletableFuture.supplyAsync(e::mergeSilver, runnable -> {
            Thread t = new Thread(runnable, "streamlake-testkit-silver");
            t.setDaemon(true);
            t.start();
        });
        Throwable bronzeFailure = null;
        int events = 0;
        try {
            events = e.ingestOnce(Duration.ZERO).events();
        } catch (RuntimeException | Error failure) {
            bronzeFailure = failure;
        }
        Throwable silverFailure = null;
        try {
            merging.join();
        } catch (CompletionException failure) {
            silverFailure = failure.getCause();
        }
        Throwable first = bronzeFailure != null ? bronzeFailure : silverFailure;
        if (first == null) {
            return events;
        }
        if (silverFailure != null && silverFailure != first
                && !List.of(first.getSuppressed()).contains(silverFailure)) {
            first.addSuppressed(silverFailure);
        }
        discardEngine();
        if (first instanceof Error err) {
            throw err;
        }
        throw (RuntimeException) first;
    }

    /** Runs a step of the engine; a failure drops the engine, so the next step restarts it. */
    private <T> T failing(Supplier<T> step) {
        try {
            return step.get();
        } catch (RuntimeException | Error failure) {
            discardEngine();
            throw failure;
        }
    }

    /**
     * Runs micro-batches until the source has nothing more, as {@link Pipeline#runUntilCaughtUp()}
     * does, synchronously on this thread.
     *
     * @return the number of events committed to bronze
     * @throws StreamLakeException when the thread is interrupted (a test's timeout) before the source
     *     caught up: the loop would otherwise go on, as a source's poll returns nothing once
     *     interrupted. The thread stays interrupted
     */
    public long runUntilCaughtUp() {
        long total = 0;
        for (long batches = 0;; batches++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new StreamLakeException(
                        "runUntilCaughtUp of pipeline " + pipeline.name() + " was interrupted after "
                                + batches + " batches and " + total + " events, before its source caught up");
            }
            int n = runOneBatch();
            total += n;
            if (n == 0 && Objects.requireNonNull(engine).caughtUp()) {
                return total;
            }
        }
    }

    /**
     * @return as {@link #runOneBatch()}
     * @deprecated renamed {@link #runOneBatch()}, after what it does; removed in the next release
     */
    @Deprecated(forRemoval = true)
    public int pipe() {
        return runOneBatch();
    }

    /**
     * @return as {@link #runUntilCaughtUp()}
     * @deprecated renamed {@link #runUntilCaughtUp()}, as {@link Pipeline#runUntilCaughtUp()}; removed in
     *     the next release
     */
    @Deprecated(forRemoval = true)
    public long pipeUntilCaughtUp() {
        return runUntilCaughtUp();
    }

    /**
     * Erases keys from every table of the pipeline, between batches, as {@link PipelineRun#erase}
     * does for a running pipeline (see there for what is erased and how it stays erased). Fault
     * injection applies to its commits: after a crash the next step restarts the engine, which
     * finishes the erasure from what bronze recorded.
     *
     * <pre>{@code
     * driver.runUntilCaughtUp();
     * Erasure e = driver.erase(List.of("c-42"));
     * assertThat(driver.silver()).hasRowsWhere("customer_id", "c-42", 0);
     * }</pre>
     *
     * @param keys the keys, as {@link PipelineRun#erase} takes them
     * @return what was removed
     */
    public Erasure erase(Collection<?> keys) {
        BatchEngine e = engine();
        return failing(() -> e.erase(keys));
    }

    /**
     * Compacts small files of bronze and silver now, as a running pipeline does every few batches.
     *
     * @return files replaced (0 when fewer small files than the pipeline's threshold piled up)
     */
    public int compact() {
        return engine().compact();
    }

    /**
     * What the pipeline told its listeners since the driver was made, in order: each start (after
     * every restart), batch committed, positions skipped, commit conflict, failure (a crash or failed
     * commit) and stop. The pipeline's own listeners receive the same events.
     *
     * <pre>{@code
     * driver.runOneBatch();
     * BatchCommitted batch = driver.events(BatchCommitted.class).get(0);
     * assertThat(batch.quarantined()).isEqualTo(1);
     * }</pre>
     *
     * @return the events so far
     */
    public List<PipelineEvent> events() {
        return List.copyOf(events);
    }

    /**
     * @param type the kind of event, e.g. {@code BatchCommitted.class}
     * @param <T> the kind
     * @return the events of that kind so far, in order
     */
    public <T extends PipelineEvent> List<T> events(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /**
     * Simulates a process restart: the running engine is dropped without any cleanup and the next
     * {@link #runOneBatch()} starts from what the tables hold.
     */
    public void restart() {
        discardEngine();
    }

    /** @return how many times the pipeline was (re)started, including the first start */
    public int starts() {
        return starts;
    }

    /**
     * The next commit to this stage's table fails with a {@link io.streamlake.exceptions.SinkException}
     * after its data files were written.
     *
     * @param stage the table
     */
    public void failNextCommit(Stage stage) {
        table(stage).arm(FaultyTable.Fault.FAIL);
    }

    /**
     * The process "dies" after the next batch's data files are written to this stage's table and
     * before its commit: orphan files, no commit.
     *
     * @param stage the table
     */
    public void crashBeforeNextCommit(Stage stage) {
        table(stage).arm(FaultyTable.Fault.CRASH_BEFORE);
    }

    /**
     * The process "dies" right after the next commit to this stage's table; with {@link Stage#BRONZE}
     * this is the crash between the bronze and the silver commits.
     *
     * @param stage the table
     */
    public void crashAfterNextCommit(Stage stage) {
        table(stage).arm(FaultyTable.Fault.CRASH_AFTER);
    }

    /** @return the bronze table's current contents */
    public TableContents bronze() {
        return contents(bronze.delegate(), io.streamlake.table.BronzeLayout.SCHEMA);
    }

    /**
     * @return the silver table's current contents
     * @throws IllegalStateException for a bronze-only pipeline
     */
    public TableContents silver() {
        if (silver == null) {
            throw new IllegalStateException("pipeline " + pipeline.name() + " has no silver table");
        }
        return contents(silver.delegate(), pipeline.silverSchema().orElseThrow());
    }

    /**
     * @return the quarantine table's current contents: records that could not enter silver, with
     *     their original bytes, source position, rule and error
     * @throws IllegalStateException if the pipeline has no quarantine table
     */
    public TableContents quarantine() {
        if (quarantine == null) {
            throw new IllegalStateException("pipeline " + pipeline.name() + " has no quarantine table");
        }
        return contents(quarantine.delegate(), QuarantineLayout.SCHEMA);
    }

    /**
     * @return the delete-marker table's current contents: one row per recently deleted key, with
     *     the delete's sequence value and time (empty before the first delete)
     * @throws IllegalStateException if the pipeline has no delete-marker table
     */
    public TableContents deleteMarkers() {
        return createdLater(deleteMarkers, "delete-marker");
    }

    /**
     * @return the event log's current contents ({@code Pipeline.withEventLog}), empty before its first write
     * @throws IllegalStateException if the pipeline keeps no event log
     */
    public TableContents eventLog() {
        return createdLater(eventLog, "event-log");
    }

    /**
     * Silver's change feed ({@code Pipeline.withChangeFeed}): one row per changed silver row, with
     * silver's columns, {@code _change_type}, {@code _commit_version} and {@code _commit_timestamp}
     * ({@link io.streamlake.table.ChangeFeedLayout}); empty before the pipeline first starts.
     *
     * <pre>{@code
     * assertThat(driver.changeFeed().rows())
     *         .extracting(r -> r.string(ChangeFeedLayout.CHANGE_TYPE))
     *         .containsExactly("insert", "update_preimage", "update_postimage");
     * }</pre>
     *
     * @return the change feed's current contents, in commit order
     * @throws IllegalStateException if the pipeline writes no change feed
     */
    public TableContents changeFeed() {
        return createdLater(changeFeed, "change-feed");
    }

    /** The contents of a table the pipeline creates only when it first writes to it. */
    private TableContents createdLater(@Nullable FaultyTable table, String what) {
        if (table == null) {
            throw new IllegalStateException("pipeline " + pipeline.name() + " has no " + what + " table");
        }
        Table t = table.delegate();
        if (t.snapshot().version() < 0) {
            return new TableContents(t.location(), t.snapshot(), List.of());
        }
        return contents(t, t.snapshot().schema().orElseThrow());
    }

    /**
     * @return the keys that hold a delete marker now, each once (markers of re-inserted keys,
     *     cleared but not yet cleaned up, are left out); for a key of several columns, each key is
     *     the list of its columns' values, such as {@code List.of("t-1", "o-7")}
     * @throws IllegalStateException if the pipeline has no delete-marker table
     */
    public List<Object> deletedKeys() {
        List<String> key = pipeline.silverKeys();
        // an SCD type 2 table keeps one marker per delete, so a key may have several
        Set<Object> keys = new LinkedHashSet<>();
        for (Row r : deleteMarkers().rows()) {
            if (r.value("deleted_at") != null) {
                keys.add(key.size() == 1 ? r.value(key.get(0)) : key.stream().map(r::value).toList());
            }
        }
        return new ArrayList<>(keys);
    }

    /**
     * @return pass and fail counts of each expectation (and of decoding, named {@code decode}) since
     *     the last (re)start
     */
    public List<ExpectationMetrics> expectationMetrics() {
        BatchEngine e = engine;
        return e == null ? List.of() : e.expectationMetrics();
    }

    /**
     * Replays the quarantine into silver, as {@link Pipeline#replayQuarantine()} does, through the
     * driver's tables (so fault injection applies).
     *
     * @return records that left the quarantine
     */
    public long replayQuarantine() {
        if (silver == null || quarantine == null) {
            throw new IllegalStateException("pipeline " + pipeline.name() + " has no silver or quarantine table");
        }
        return engines.replayQuarantine(pipeline, tables());
    }

    /**
     * @param name an expectation's name, or {@code decode}
     * @return its counts since the last (re)start
     * @throws IllegalArgumentException naming the known rules if there is no such expectation
     */
    public ExpectationMetrics expectation(String name) {
        List<ExpectationMetrics> all = expectationMetrics();
        return all.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no expectation named '" + name + "'; known: "
                        + all.stream().map(ExpectationMetrics::name).toList()));
    }

    /** @return the bronze table itself, for direct inspection */
    public Table bronzeTable() {
        return bronze.delegate();
    }

    private static TableContents contents(Table table, Schema fallback) {
        TableSnapshot snapshot = table.snapshot();
        Schema schema = snapshot.schema().orElse(fallback);
        List<Row> rows = new ArrayList<>();
        for (DataFile f : snapshot.files()) {
            Iterator<Row> it = table.read(f, schema);
            it.forEachRemaining(rows::add);
        }
        return new TableContents(table.location(), snapshot, rows);
    }

    private PipelineTables tables() {
        return new PipelineTables(bronze, silver, quarantine, deleteMarkers, eventLog, changeFeed);
    }

    private FaultyTable table(Stage stage) {
        FaultyTable t = switch (stage) {
            case BRONZE -> bronze;
            case SILVER -> silver;
            case QUARANTINE -> quarantine;
            case DELETE_MARKERS -> deleteMarkers;
            case EVENT_LOG -> eventLog;
            case CHANGE_FEED -> changeFeed;
        };
        if (t == null) {
            throw new IllegalStateException("pipeline " + pipeline.name() + " has no " + stage + " table");
        }
        return t;
    }

    private BatchEngine engine() {
        BatchEngine e = engine;
        if (e == null) {
            e = engines.batchEngine(pipeline, tables());
            try {
                e.open();
            } catch (RuntimeException | Error failure) {
                e.close();
                throw failure;
            }
            starts++;
            engine = e;
        }
        return e;
    }

    private void discardEngine() {
        BatchEngine e = engine;
        engine = null;
        if (e != null) {
            e.close();
        }
    }

    @Override
    public void close() {
        discardEngine();
    }

    /** Keeps every event, as a listener of the pipeline does. */
    private final class Recorder implements PipelineListener {
        @Override
        public void onEvent(PipelineEvent event) {
            events.add(event);
        }
    }
}
