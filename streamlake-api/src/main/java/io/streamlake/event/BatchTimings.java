package io.streamlake.event;

import java.time.Duration;
import java.util.Objects;

/**
 * Where a micro-batch's time went, measured around the engine's steps (never per record). The
 * phases do not overlap; {@link #bronze} and {@link #silver} are the totals they belong to, which
 * also hold the small steps no phase names (filtering replayed records, the quarantine's and the
 * delete markers' commits, a retry after a lost silver race).
 *
 * <pre>{@code
 * BatchTimings t = batch.timings();
 * System.out.printf("poll %s, bronze %s (commit %s), merge %s%n", t.poll(), t.bronze(), t.bronzeCommit(), t.merge());
 * }</pre>
 *
 * @param poll how long the engine waited for the batch in the source's poll (with prefetching, only
 *     the part of the fetch the engine did not overlap with the previous batch)
 * @param bronzeWrite writing the batch's bronze files (and the archive's, if the pipeline keeps one); for
 *     a streaming run without silver, which writes each batch as it is fetched, the writer thread's time
 *     on the batch's file, overlapped with the fetch and not part of {@code bronze}
 * @param bronzeCommit the bronze commit with its markers
 * @param bronze from the poll's return to the bronze commit ({@code bronzeWrite}, {@code bronzeCommit}
 *     and the filtering of records already committed)
 * @param decode decoding, transforming and checking the records against the expectations, for the
 *     whole merge that covered the batch (told with the last batch it covered, zero with the others);
 *     zero without silver
 * @param merge merging the rows into silver's files by key, as {@code decode}
 * @param silverCommit silver's commit, as {@code decode}
 * @param silver from the bronze commit to the silver commit that covered the batch: the wait for
 *     silver's thread (a merge of earlier batches in progress) and the merge itself; zero without
 *     silver
 */
public record BatchTimings(Duration poll, Duration bronzeWrite, Duration bronzeCommit, Duration bronze,
        Duration decode, Duration merge, Duration silverCommit, Duration silver) {

    /** Checks the components. */
    public BatchTimings {
        Objects.requireNonNull(poll, "poll");
        Objects.requireNonNull(bronzeWrite, "bronzeWrite");
        Objects.requireNonNull(bronzeCommit, "bronzeCommit");
        Objects.requireNonNull(bronze, "bronze");
        Objects.requireNonNull(decode, "decode");
        Objects.requireNonNull(merge, "merge");
        Objects.requireNonNull(silverCommit, "silverCommit");
        Objects.requireNonNull(silver, "silver");
    }
}
