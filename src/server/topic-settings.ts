/** Turns `[[topics]]` entries (snake_case, as in TOML) into the broker's TopicSettings. */
import type { TopicSettings } from '../broker/types.ts';
import type { TopicConfig } from '../config/index.ts';

/** The broker settings for one configured topic. */
export function topicSettingsFromConfig(topic: TopicConfig): TopicSettings {
  return {
    routing: topic.routing,
    bufferSize: topic.buffer_size,
    maxMessageSize: topic.max_message_size,
    overflow: topic.overflow,
    slowConsumer: topic.slow_consumer,
    ack: topic.ack,
    prefetch: topic.prefetch,
    deliveryLimit: topic.delivery_limit,
  };
}
