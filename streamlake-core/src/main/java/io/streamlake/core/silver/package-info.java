/**
 * Silver: record preparation (decode, expectations, transforms), the merge by key with its
 * folds (one row per key, SCD type 2 history), delete markers, truncates and the quarantine replay.
 * Knows tables only through the api's {@code Table}. Internal: no compatibility promise.
 */
@NullMarked
package io.streamlake.core.silver;

import org.jspecify.annotations.NullMarked;
