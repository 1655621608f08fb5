/**
 * What fanout and queue topics share: identity, settings, the per-topic counters, and the link
 * back to the broker that owns them (cleared on delete, which is how a cached handle goes stale).
 */
import type { SubscriberRegistry } from './subscriber-registry.ts';
import type {
  Subscriber,
  Subscription,
  TopicCounters,
  TopicHandle,
  TopicSettings,
  TopicStats,
} from './types.ts';

/** Fresh counters, all zero (one object shape for every topic). */
export function zeroCounters(): TopicCounters {
  return {
    published: 0,
    publishedBytes: 0,
    delivered: 0,
    redelivered: 0,
    rejected: 0,
    droppedOverflow: 0,
    droppedLagged: 0,
    slowConsumerEvictions: 0,
    droppedDeleted: 0,
    droppedDeliveryLimit: 0,
    acked: 0,
  };
}

/** A subscription of either kind, as topics keep it. */
export abstract class TopicSubscription implements Subscription {
  readonly sid: number;
  readonly topic: string;
  readonly subscriber: Subscription['subscriber'];
  /** False once unsubscribed, evicted or removed with its subscriber or topic. */
  live = true;

  constructor(subscriber: Subscription['subscriber'], topic: string, sid: number) {
    this.subscriber = subscriber;
    this.topic = topic;
    this.sid = sid;
  }
}

/** Base of FanoutTopic and QueueTopic. */
export abstract class Topic implements TopicHandle {
  readonly name: string;
  settings: TopicSettings;
  /** The broker this topic belongs to; null once deleted. Publish checks it on every call. */
  owner: object | null;
  /** Copy of settings.maxMessageSize, read on every publish. */
  maxMessageSize: number;
  readonly counters: TopicCounters = zeroCounters();
  /** See TopicHandle.behind; set by every fanout publish. */
  behind: Subscriber | null = null;
  protected readonly registry: SubscriberRegistry;

  constructor(name: string, settings: TopicSettings, owner: object, registry: SubscriberRegistry) {
    this.name = name;
    this.settings = settings;
    this.owner = owner;
    this.maxMessageSize = settings.maxMessageSize;
    this.registry = registry;
  }

  /** Accepts a payload already checked against maxMessageSize; returns its seq. */
  abstract publish(payload: Uint8Array): number;

  /**
   * Accepts bytes `start .. end` of `buf`, already checked (bounds, maxMessageSize); returns its
   * seq. The bytes are only valid during the call: what the topic keeps, it copies.
   */
  abstract publishRange(buf: Uint8Array, start: number, end: number): number;

  /** The seq the next accepted message will get. */
  abstract get nextSeq(): number;

  /** Applies new settings (already validated, same routing). */
  abstract update(settings: TopicSettings): void;

  /**
   * Ends the topic: every subscription is marked ended and removed from the registry, held
   * messages are released. Returns the ended subscriptions (the caller tells their subscribers)
   * and how many queued messages were dropped.
   */
  abstract close(): { subs: TopicSubscription[]; droppedQueued: number };

  /** A snapshot for stats and metrics. */
  abstract stats(): TopicStats;

  protected baseStats(subscribers: number, depth: number, inFlight: number, maxLag: number): TopicStats {
    return {
      name: this.name,
      routing: this.settings.routing,
      nextSeq: this.nextSeq,
      subscribers,
      depth,
      inFlight,
      maxLag,
      ...this.counters,
    };
  }
}
