/**
 * The broker core's public surface: what the server (and anyone embedding a broker) imports.
 * Everything else in this folder is internal.
 */
export { Broker, type BrokerOptions, TOPIC_DELETED_CHANNEL, type TopicDeletedEvent } from './broker.ts';
export {
  DEFAULT_TOPIC_SETTINGS,
  MAX_BUFFER_SIZE,
  MAX_DELIVERY_LIMIT,
  MAX_MESSAGE_SIZE_LIMIT,
  MAX_PREFETCH,
  type TopicDeclaration,
} from './settings.ts';
export { isValidTopicName, MAX_TOPIC_NAME_LENGTH, topicNameProblem } from './topic-name.ts';
export {
  AckMode,
  DeliveryFlags,
  EvictReason,
  OverflowPolicy,
  Routing,
  SlowConsumerPolicy,
  type StartPosition,
  type SubscribeResult,
  type Subscriber,
  type Subscription,
  type TopicCounters,
  type TopicDeletion,
  type TopicHandle,
  type TopicSettings,
  type TopicStats,
} from './types.ts';
