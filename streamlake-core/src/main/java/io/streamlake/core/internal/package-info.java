/**
 * The engine: micro-batch loop, bronze writer, silver decode and merge. Internal: no compatibility
 * promise; applications use {@code io.streamlake} and the testkit instead.
 */
@NullMarked
package io.streamlake.core.internal;

import org.jspecify.annotations.NullMarked;
