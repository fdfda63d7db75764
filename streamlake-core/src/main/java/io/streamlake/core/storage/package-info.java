/**
 * Where tables and files live: storage locations and Hadoop file systems, and the redaction of
 * credentials from messages. Used by the Delta, Capture, Kafka and Event Hubs plugins. Internal: no
 * compatibility promise.
 */
@NullMarked
package io.streamlake.core.storage;

import org.jspecify.annotations.NullMarked;
