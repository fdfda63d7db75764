/**
 * The service interface between the API and the engine in {@code streamlake-core}.
 */
@NullMarked
package io.streamlake.spi;

import org.jspecify.annotations.NullMarked;
