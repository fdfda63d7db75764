/**
 * Schemas, column types and rows: the typed data model of silver tables and of the table SPI.
 */
@NullMarked
package io.streamlake.schema;

import org.jspecify.annotations.NullMarked;
