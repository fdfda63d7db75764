/**
 * The unchecked exception hierarchy. Everything StreamLake throws is a
 * {@link io.streamlake.exceptions.StreamLakeException}; subclasses tell configuration, source,
 * sink, commit-conflict and schema problems apart.
 */
package io.streamlake.exceptions;
