package io.streamlake.core.silver;

import io.streamlake.core.silver.SilverMerger.Result;

/**
 * One way of merging a batch into a given list of silver files, chosen by {@link MergePlanner} from
 * the files and their key ranges. Every path folds keys through the same {@link BatchFold} and
 * writes through the same {@link SilverFiles}; they differ in which files they read and rewrite.
 */
interface MergePath {
    /**
     * @param batch the batch and its fold
     * @return what the merge staged
     */
    <S> Result merge(BatchFold<S> batch);
}
