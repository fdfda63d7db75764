package io.streamlake.spi;

/**
 * What one micro-batch did.
 *
 * @param events events committed to bronze; 0 when the source had nothing new (or lost a race)
 * @param bronzeVersion the bronze version committed, or the latest known when nothing was
 * @param silverRowsChanged silver rows inserted, updated or deleted
 * @param conflict true if another instance took one of the batch's partitions first, so the batch
 *     was dropped and the source rewound to the committed positions
 * @param bronzeNanos time spent from the poll's return to the bronze commit
 * @param silverNanos time spent bringing silver up to date after it
 */
public record BatchResult(int events, long bronzeVersion, long silverRowsChanged, boolean conflict,
        long bronzeNanos, long silverNanos) {
}
