package io.streamlake.merge;

import io.streamlake.schema.Row;
import java.util.Collection;
import java.util.List;

/**
 * An optional ability of a {@link MergeStrategy}: it keeps a history of versions per key (slowly
 * changing dimension type 2) instead of one row. The engine then lays silver out as history (each
 * version a row, valid from {@value #START_AT} to {@value #END_AT}, recorded in the table so that
 * a pipeline of the other kind is refused), folds a key's events over all its versions with
 * {@link #mergeHistory(History, Collection, Row)} instead of {@link #merge}, and keeps the events
 * the versions absorbed ({@link History#absorbed()}) in the delete-marker table when
 * {@link #keepsKeyState()}.
 *
 * <pre>{@code
 * if (strategy instanceof HistoryStrategy history) {
 *     History h = new History(storedVersions, absorbed);
 *     h = history.mergeHistory(h, deletes, event);
 * }
 * }</pre>
 *
 * <p>{@link Scd2Strategy} implements it. It is a capability rather than part of
 * {@link MergeStrategy} because one row per key is the common case, and a history needs a wider
 * state than the one row {@link #merge} sees; it extends {@link DeleteMarkerStrategy} because the
 * fold needs each event's sequence value and the deletes that close versions.
 */
public interface HistoryStrategy extends DeleteMarkerStrategy {
    /** The column where a version starts, inclusive: the sequence value of the event that started it. */
    String START_AT = "__START_AT";
    /** The column where a version ends, exclusive; null for the current version. */
    String END_AT = "__END_AT";

    /**
     * A key's history as the engine keeps it: its versions, as silver stores them, and the events
     * they do not show (kept beside silver, in the delete-marker table). A version shows the values
     * of the last event it absorbed; the events before it in the version (its start among them),
     * and with {@code ignoreNullUpdates()} an event whose nulls were filled, are kept here, so a late
     * event can be placed among them exactly. Made and used by
     * {@link #mergeHistory(History, Collection, Row)}.
     *
     * <pre>{@code
     * Scd2Strategy.History h = new Scd2Strategy.History(List.of(), List.of());
     * h = strategy.mergeHistory(h, deletes, event);   // h.versions() are the key's silver rows
     * }</pre>
     *
     * @param versions the key's versions, any order
     * @param absorbed the events kept beside silver, any order: rows of the silver schema as the events
     *     came (columns silver does not store null, {@value #START_AT} the event's sequence value,
     *     {@value #END_AT} null)
     */
    record History(List<Row> versions, List<Row> absorbed) {
        /** Copies the lists. */
        public History {
            versions = List.copyOf(versions);
            absorbed = List.copyOf(absorbed);
        }
    }

    /**
     * Applies one event to a key's history, given the sequence values of the key's earlier deletes;
     * the engine uses it when it keeps no absorbed events (no delete-marker state).
     *
     * @param versions the key's versions (any order; empty when silver does not hold the key)
     * @param deletes the sequence values of the key's deletes seen before, in any order
     * @param incoming the event, a row of the silver schema
     * @return the key's new versions ordered by {@value #START_AT}, empty when none is left
     */
    List<Row> mergeHistory(List<Row> versions, Collection<?> deletes, Row incoming);

    /**
     * Applies one event to a key's history so that the result does not depend on the order the
     * events arrived in; the engine uses it when it keeps the absorbed events beside silver.
     *
     * @param history the key's versions and absorbed events
     * @param deletes the sequence values of the key's deletes seen before, in any order
     * @param incoming the event, a row of the silver schema
     * @return the key's new versions and the events to keep beside them
     */
    History mergeHistory(History history, Collection<?> deletes, Row incoming);
}
