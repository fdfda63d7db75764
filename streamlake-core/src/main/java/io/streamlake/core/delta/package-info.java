/**
 * The Delta Lake implementation of the {@link io.streamlake.table.Table} SPI:
 * {@link io.streamlake.core.delta.DeltaTable}. Data files are Parquet, written and read through
 * StreamLake's own Parquet bindings so that every column type maps exactly to what Spark, Delta
 * Kernel and delta-rs expect; the transaction log is written with delta-standalone, whose
 * optimistic concurrency fences concurrent writers through the transaction markers.
 *
 * <p>{@link io.streamlake.core.delta.TableVerifier} reads every value of a table's data files and reports
 * damage, for use after an incident.
 *
 * <pre>{@code
 * DeltaTable bronze = DeltaTable.open("lake/bronze/orders", Map.of());
 * bronze.create(schema);
 * System.out.println(TableVerifier.verify("lake/bronze/orders").summary());
 * }</pre>
 */
@NullMarked
package io.streamlake.core.delta;

import org.jspecify.annotations.NullMarked;
