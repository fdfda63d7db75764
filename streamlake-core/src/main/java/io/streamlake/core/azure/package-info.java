/**
 * Azure storage and Entra ID: {@link io.streamlake.core.azure.AdlsGen2} gives the storage options of
 * {@code abfss://} (ADLS Gen2) tables for an account key, a SAS or an Entra ID {@code TokenCredential}.
 * Everything here needs the optional {@code org.apache.hadoop:hadoop-azure} (tables) and
 * {@code com.azure:azure-identity} (Entra ID); a Kafka-only application never loads this package.
 */
@NullMarked
package io.streamlake.core.azure;

import org.jspecify.annotations.NullMarked;
