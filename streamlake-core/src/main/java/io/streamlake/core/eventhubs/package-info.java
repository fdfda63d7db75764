/**
 * Azure Event Hubs through its Kafka endpoint: {@link io.streamlake.core.eventhubs.EventHubs}
 * configures the Kafka source and producer for a namespace from its connection string,
 * {@link io.streamlake.core.eventhubs.EventHubsEntraId} signs them in with Entra ID instead (SASL
 * OAUTHBEARER with a {@code TokenCredential}; needs the optional {@code com.azure:azure-identity}).
 */
@NullMarked
package io.streamlake.core.eventhubs;

import org.jspecify.annotations.NullMarked;
