package io.streamlake.core.util;

import io.streamlake.source.SourcePartition;

/**
 * Names of the Delta transaction markers (txn appIds) that hold a pipeline's progress in the
 * tables themselves. Changing these breaks resumption of existing tables: treat them as a file format.
 */
public final class Markers {
    private Markers() {
    }

    /** Marker of one source partition in bronze; its version is the last position bronze holds. */
    public static String bronze(String pipelineName, SourcePartition partition) {
        return pipelineName + "/" + partition.stream() + "/" + partition.id();
    }

    /** Marker in silver; its version is the last bronze table version silver has consumed. */
    public static String silver(String pipelineName) {
        return pipelineName + "/silver";
    }

    /** Marker in the quarantine table; its version is the last bronze version whose bad records it holds. */
    public static String quarantine(String pipelineName) {
        return pipelineName + "/quarantine";
    }

    /** Marker in the delete-marker table; its version is the last bronze version whose deletes it holds. */
    public static String deletes(String pipelineName) {
        return pipelineName + "/deletes";
    }

    /**
     * Marker in the event log of one flow table; its version is the last version of that table whose
     * commits the event log holds.
     *
     * @param flow {@code bronze} or {@code silver}
     */
    public static String eventLog(String pipelineName, String flow) {
        return pipelineName + "/events/" + flow;
    }
}
