/**
 * Small shared pieces every other package may use: the helper threads of a batch
 * ({@code Workers}), a compact map, the hand-off of objects to client libraries by id, table
 * property and commit helpers and the progress-marker names. Depends on the api only. Internal: no
 * compatibility promise.
 */
@NullMarked
package io.streamlake.core.util;

import org.jspecify.annotations.NullMarked;
