/**
 * Decoding JSON values into rows of a schema, with the fast path for flat records and the
 * quarantine reasons of what cannot be decoded. Internal: no compatibility promise.
 */
@NullMarked
package io.streamlake.core.json;

import org.jspecify.annotations.NullMarked;
