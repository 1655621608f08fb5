/**
 * Topic settings: defaults, limits and validation. The config layer validates the TOML file with
 * the same limits; the broker checks again because topics can also be created and changed at run
 * time through the API (admin ops), not only from a validated config.
 */
import { MyceliumError } from '../errors.ts';
import {
  DEFAULT_BUFFER_SIZE,
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_PREFETCH,
  MAX_BUFFER_SIZE,
  MAX_DELIVERY_LIMIT,
  MAX_MESSAGE_SIZE_LIMIT,
  MAX_PREFETCH,
} from '../limits.ts';
import { AckMode, OverflowPolicy, Routing, SlowConsumerPolicy, type TopicSettings } from './types.ts';

export { MAX_BUFFER_SIZE, MAX_DELIVERY_LIMIT, MAX_MESSAGE_SIZE_LIMIT, MAX_PREFETCH };

/** Settings a topic gets for every field its declaration leaves out. */
export const DEFAULT_TOPIC_SETTINGS = {
  /** Recent messages kept per fanout topic / waiting messages per queue topic. */
  bufferSize: DEFAULT_BUFFER_SIZE,
  /** 1 MiB: big enough for most payloads, small enough that a few cannot exhaust memory. */
  maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
  /** Refusing is the only policy that never loses an accepted message nor stalls a publisher. */
  overflow: OverflowPolicy.Reject,
  /** Fanout subscribers are at most once: a laggard is told what it missed, not disconnected. */
  slowConsumer: SlowConsumerPolicy.DropOldest,
  ack: AckMode.None,
  /** RabbitMQ-like default: enough to keep a consumer busy, few to redeliver when it dies. */
  prefetch: DEFAULT_PREFETCH,
  /** RabbitMQ quorum queues' default: a poison message is given up after 20 unacked deliveries. */
  deliveryLimit: DEFAULT_DELIVERY_LIMIT,
} as const satisfies Omit<TopicSettings, 'routing'>;

/** A topic declaration: the routing is required, every other field defaults. */
export type TopicDeclaration = Partial<TopicSettings> & { readonly routing: Routing };

const ROUTINGS: readonly string[] = Object.values(Routing);
const OVERFLOWS: readonly string[] = Object.values(OverflowPolicy);
const SLOW_CONSUMERS: readonly string[] = Object.values(SlowConsumerPolicy);
const ACKS: readonly string[] = Object.values(AckMode);

/**
 * Merges `changes` over `base` and checks the result: each number in range, each policy known,
 * and no policy that the routing would ignore set to a non-default value (a Queue topic has no
 * slow-consumer policy, a Fanout topic neither overflow nor acks). Throws INVALID_ARGUMENT naming
 * every problem.
 */
export function resolveSettings(
  topic: string,
  base: Omit<TopicSettings, 'routing'> & { readonly routing?: Routing },
  changes: Partial<TopicSettings>,
): TopicSettings {
  const s = {
    routing: changes.routing ?? base.routing,
    bufferSize: changes.bufferSize ?? base.bufferSize,
    maxMessageSize: changes.maxMessageSize ?? base.maxMessageSize,
    overflow: changes.overflow ?? base.overflow,
    slowConsumer: changes.slowConsumer ?? base.slowConsumer,
    ack: changes.ack ?? base.ack,
    prefetch: changes.prefetch ?? base.prefetch,
    deliveryLimit: changes.deliveryLimit ?? base.deliveryLimit,
  };
  const problems: string[] = [];
  if (s.routing === undefined || !ROUTINGS.includes(s.routing)) {
    problems.push(`routing must be one of ${ROUTINGS.join(', ')} (got ${String(s.routing)})`);
  }
  checkInt(problems, 'bufferSize', s.bufferSize, 1, MAX_BUFFER_SIZE);
  checkInt(problems, 'maxMessageSize', s.maxMessageSize, 1, MAX_MESSAGE_SIZE_LIMIT);
  checkInt(problems, 'prefetch', s.prefetch, 1, MAX_PREFETCH);
  checkInt(problems, 'deliveryLimit', s.deliveryLimit, 1, MAX_DELIVERY_LIMIT);
  checkOneOf(problems, 'overflow', s.overflow, OVERFLOWS);
  checkOneOf(problems, 'slowConsumer', s.slowConsumer, SLOW_CONSUMERS);
  checkOneOf(problems, 'ack', s.ack, ACKS);
  if (s.routing === Routing.Fanout) {
    if (s.overflow !== DEFAULT_TOPIC_SETTINGS.overflow) {
      problems.push(
        'overflow applies to Queue topics only (Fanout topics use slow_consumer for a subscriber that lags)',
      );
    }
    if (s.ack !== DEFAULT_TOPIC_SETTINGS.ack) problems.push('ack applies to Queue topics only');
  } else if (s.routing === Routing.Queue && s.slowConsumer !== DEFAULT_TOPIC_SETTINGS.slowConsumer) {
    problems.push('slowConsumer applies to Fanout topics only (Queue consumers get no credit instead)');
  }
  if (problems.length > 0) {
    throw new MyceliumError('INVALID_ARGUMENT', `topic "${topic}": ${problems.join('; ')}`);
  }
  return s as TopicSettings;
}

function checkInt(problems: string[], key: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${key} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
}

function checkOneOf(problems: string[], key: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) {
    problems.push(`${key} must be one of ${allowed.join(', ')} (got ${String(value)})`);
  }
}
