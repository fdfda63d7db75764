/**
 * Azure Event Hubs, two ways. {@link io.streamlake.core.eventhubs.EventHubs#kafka} configures the
 * Kafka source and producer for a namespace's Kafka endpoint from its connection string, and
 * {@link io.streamlake.core.eventhubs.EventHubsEntraId} signs them in with Entra ID instead (SASL
 * OAUTHBEARER with a {@code TokenCredential}; needs the optional {@code com.azure:azure-identity}).
 * {@link io.streamlake.core.eventhubs.EventHubs#amqp(String, String, String)} returns an
 * {@link io.streamlake.core.eventhubs.EventHubsSource}: the native SDK's EventProcessorClient with
 * ownership and checkpoints in a blob container, exactly once from the bronze markers.
 *
 * <pre>{@code
 * Pipeline.from(EventHubs.amqp(connectionString, "orders", "$Default")
 *         .withCheckpointStore(storageConnectionString, "checkpoints"))
 *     .bronze("lake/bronze/orders").bronzeOnly().withName("orders-ingest").start();
 * }</pre>
 *
 * <p>Only {@code EventHubsSource}, {@code EventHubsEntraId} and the package-private classes they use
 * refer to the Azure SDK, an optional dependency: the Kafka path with a connection string never loads them.
 */
@NullMarked
package io.streamlake.core.eventhubs;

import org.jspecify.annotations.NullMarked;
