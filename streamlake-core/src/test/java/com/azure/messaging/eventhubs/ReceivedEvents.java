package com.azure.messaging.eventhubs;

import com.azure.core.amqp.models.AmqpAnnotatedMessage;
import com.azure.core.amqp.models.AmqpMessageBody;
import com.azure.core.util.Context;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

/**
 * Builds {@link EventData} as the SDK hands it to a processor: with sequence number, offset, enqueued
 * time and partition key set. Event Hubs SDK 5.21.3 has no public way to do that (the constructor
 * taking {@code SystemProperties} and {@code SystemProperties} itself are package-private), so this
 * test helper lives in the SDK's package: test code only, never shipped.
 */
public final class ReceivedEvents {
    private ReceivedEvents() {
    }

    /**
     * @param body the payload
     * @param sequenceNumber the sequence number in its partition
     * @param offset the offset text
     * @param enqueued the enqueued time
     * @param partitionKey the partition key, or null
     * @param properties application properties
     * @return a received event
     */
    public static EventData received(byte[] body, long sequenceNumber, String offset, Instant enqueued,
            String partitionKey, Map<String, Object> properties) {
        AmqpAnnotatedMessage message = new AmqpAnnotatedMessage(AmqpMessageBody.fromData(body));
        message.getMessageAnnotations().put("x-opt-sequence-number", sequenceNumber);
        message.getMessageAnnotations().put("x-opt-offset", offset);
        message.getMessageAnnotations().put("x-opt-enqueued-time", Date.from(enqueued));
        if (partitionKey != null) {
            message.getMessageAnnotations().put("x-opt-partition-key", partitionKey);
        }
        message.getApplicationProperties().putAll(properties);
        message.getProperties().setMessageId(new com.azure.core.amqp.models.AmqpMessageId("m-" + sequenceNumber));
        SystemProperties system = new SystemProperties(message, offset, enqueued, sequenceNumber, partitionKey);
        return new EventData(message, system, Context.NONE);
    }
}
