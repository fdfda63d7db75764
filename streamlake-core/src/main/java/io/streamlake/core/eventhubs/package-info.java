/**
 * Azure Event Hubs: {@link io.streamlake.core.eventhubs.EventHubs} configures the Kafka source and
 * producer for an Event Hubs namespace from its connection string.
 */
@NullMarked
package io.streamlake.core.eventhubs;

import org.jspecify.annotations.NullMarked;
