/**
 * The broker's public types. The broker knows nothing of sockets or frames: a subscriber is
 * anything that implements {@link Subscriber} (a server connection, a test double, an in-process
 * consumer).
 */

/** How a topic routes messages (ARCHITECTURE.md §2). */
export const Routing = {
  /** Every subscriber gets every message. */
  Fanout: 'Fanout',
  /** Each message goes to exactly one subscriber, round-robin among those with credit. */
  Queue: 'Queue',
} as const;
export type Routing = (typeof Routing)[keyof typeof Routing];

/** What a full queue topic does with the next publish. */
export const OverflowPolicy = {
  /** The publisher gets QUEUE_FULL; nothing already accepted is dropped. */
  Reject: 'reject',
  /** The publisher is paused (the server stops reading its socket) until room frees. */
  Block: 'block',
  /** The oldest waiting message is dropped (counted) to make room. */
  DropOldest: 'drop_oldest',
} as const;
export type OverflowPolicy = (typeof OverflowPolicy)[keyof typeof OverflowPolicy];

/** What a fanout topic does with a subscriber that lags more than buffer_size messages. */
export const SlowConsumerPolicy = {
  /** Skip the subscriber past what the buffer no longer holds and send it a LAGGED notice. */
  DropOldest: 'drop_oldest',
  /** Disconnect the subscriber with reason SLOW_CONSUMER. */
  Disconnect: 'disconnect',
} as const;
export type SlowConsumerPolicy = (typeof SlowConsumerPolicy)[keyof typeof SlowConsumerPolicy];

/** Whether queue deliveries wait for an explicit ack. */
export const AckMode = {
  /** A delivery is done once handed to the subscriber. */
  None: 'none',
  /** A delivery stays in flight until acked; unacked ones are redelivered when the consumer goes. */
  Manual: 'manual',
} as const;
export type AckMode = (typeof AckMode)[keyof typeof AckMode];

/** A topic's settings; every field can be changed at run time with `Broker.updateTopic`. */
export interface TopicSettings {
  readonly routing: Routing;
  /** Fanout: how many recent messages are kept (lag bound and replay window). Queue: how many may wait. */
  readonly bufferSize: number;
  /** Largest payload accepted, in bytes. */
  readonly maxMessageSize: number;
  /** Queue topics: what a full buffer does to the next publish. */
  readonly overflow: OverflowPolicy;
  /** Fanout topics: what happens to a subscriber that lags past bufferSize. */
  readonly slowConsumer: SlowConsumerPolicy;
  /** Queue topics: whether deliveries wait for an ack. */
  readonly ack: AckMode;
  /** Queue topics with manual acks: most unacked deliveries one subscription may hold. */
  readonly prefetch: number;
  /**
   * Queue topics with manual acks: most deliveries of one message. An unacked delivery that
   * comes back (its consumer left) after this many is dropped, counted as droppedDeliveryLimit,
   * rather than redelivered: a message that kills every consumer it reaches cannot cycle forever.
   */
  readonly deliveryLimit: number;
}

/** Why the broker ended a subscriber's subscription on its own. */
export const EvictReason = {
  /** Lagged past bufferSize on a topic whose slowConsumer policy is "disconnect". */
  SlowConsumer: 'SLOW_CONSUMER',
  /** The topic was deleted. */
  TopicDeleted: 'TOPIC_DELETED',
} as const;
export type EvictReason = (typeof EvictReason)[keyof typeof EvictReason];

/** Flags carried with a delivery (bit values match the MSG frame's flags byte). */
export const DeliveryFlags = {
  None: 0,
  /** The message was delivered before to a subscriber that went away without acking it. */
  Redelivered: 1,
} as const;

/**
 * The receiving end of subscriptions: a server connection implements this, so does a test double.
 * Every method is called synchronously from inside broker calls; none may call back into the
 * broker re-entrantly except through `Broker.resume`, and only later (e.g. when its socket drains).
 */
export interface Subscriber {
  /** Unique among live subscribers; used in logs and stats. */
  readonly id: number;
  /**
   * True while the subscriber can take more deliveries now (its outbound buffer is below its
   * cap). When false the broker stops pushing: fanout subscriptions lag on the topic's ring and
   * queue messages go to other consumers. Call `Broker.resume` once it can take more again.
   */
  readonly writable: boolean;
  /**
   * One message for one of this subscriber's subscriptions. `payload` is shared with other
   * subscribers and the topic's buffer, and may be reused once the call returns: copy it out
   * during the call, never modify it.
   * @param flags bit set of {@link DeliveryFlags}
   * @param deliveryCount 1 for a first delivery, 2 and up for redeliveries
   */
  deliver(sub: Subscription, seq: number, payload: Uint8Array, flags: number, deliveryCount: number): void;
  /**
   * Optional: `deliver` for a payload that is the bytes `start .. end` (end exclusive) of `buf`.
   * It is called instead of `deliver`, so that no view object is made per message, for a fanout
   * publish made by range (`Broker.publish(topic, buf, start, end)`), for catch-up from a fanout
   * topic's ring (`buf` is then the ring's arena), and for a queue publish made by range and
   * handed straight to a consumer that acks nothing. Subscribers without it get `deliver` with a view of the range;
   * queue messages that waited or are tracked for acks always come through `deliver`.
   *
   * `buf` is the publisher's buffer or the ring's, shared with other subscribers and reused once
   * the call returns, and it holds other data outside the range: copy bytes `start .. end` out
   * during the call, never retain `buf` and never modify any of it.
   * @param flags bit set of {@link DeliveryFlags}
   * @param deliveryCount 1 for a first delivery, 2 and up for redeliveries
   */
  deliverRange?(
    sub: Subscription,
    seq: number,
    buf: Uint8Array,
    start: number,
    end: number,
    flags: number,
    deliveryCount: number,
  ): void;
  /** Messages `fromSeq .. fromSeq+count-1` of a fanout topic were skipped for this subscription. */
  lagged(sub: Subscription, fromSeq: number, count: number): void;
  /** The broker ended this subscription (already removed when this is called). */
  evicted(sub: Subscription, reason: EvictReason): void;
}

/** Where a fanout subscription starts. Queue subscriptions always take the next waiting message. */
export type StartPosition =
  /** Only messages accepted after subscribing (the default). */
  | { readonly kind: 'new' }
  /** Replay from this seq on, as far as the buffer still holds it (LAGGED for the rest). */
  | { readonly kind: 'seq'; readonly seq: number }
  /** Replay the last `count` messages the buffer holds. */
  | { readonly kind: 'last'; readonly count: number };

/** A live subscription, as the broker hands it to the subscriber. */
export interface Subscription {
  /** Chosen by the subscriber (the protocol's subscription id); unique per subscriber. */
  readonly sid: number;
  readonly topic: string;
  readonly subscriber: Subscriber;
}

/** Plain counters for one topic, read by the metrics layer at scrape time. */
export interface TopicCounters {
  /** Messages accepted (each got a seq). */
  published: number;
  /** Bytes of payload accepted. */
  publishedBytes: number;
  /** Deliveries handed to subscribers, redeliveries included. */
  delivered: number;
  /** Queue redeliveries (a subset of delivered). */
  redelivered: number;
  /** Publishes refused because the queue was full (policy reject). */
  rejected: number;
  /** Waiting queue messages dropped to make room (policy drop_oldest). */
  droppedOverflow: number;
  /**
   * Fanout deliveries skipped for lagging subscribers (sum of LAGGED counts), not counting the
   * part of a replay request that reached back past what the buffer holds: that was never owed.
   */
  droppedLagged: number;
  /** Subscribers disconnected as slow consumers. */
  slowConsumerEvictions: number;
  /** Queued messages that were waiting when the topic was deleted. */
  droppedDeleted: number;
  /**
   * Queue messages given up after deliveryLimit deliveries went unacked (each consumer that got
   * one left without acking it): dropped rather than redelivered.
   */
  droppedDeliveryLimit: number;
  /** Queue deliveries acked. */
  acked: number;
}

/** A snapshot of one topic for stats and metrics. */
export interface TopicStats extends TopicCounters {
  readonly name: string;
  readonly routing: Routing;
  /** The seq the next accepted message will get. */
  readonly nextSeq: number;
  readonly subscribers: number;
  /** Queue: messages waiting for a consumer. Fanout: messages held in the ring. */
  readonly depth: number;
  /** Queue: deliveries not yet acked. Fanout: 0. */
  readonly inFlight: number;
  /** Fanout: the largest lag (messages) of any subscriber. Queue: 0. */
  readonly maxLag: number;
}

/**
 * A topic reference the server may cache to skip the name lookup on every publish. It goes stale
 * when the topic is deleted: publishing through it then throws TOPIC_NOT_FOUND even if a topic
 * with the same name was created since, so look the name up again on that error.
 */
export interface TopicHandle {
  readonly name: string;
  /** The topic's settings as they are now (they change with `Broker.updateTopic`). */
  readonly settings: TopicSettings;
  /**
   * After a publish to this topic: a subscriber that could not take the message, or is still
   * catching up, and is not writable now; null when every subscriber kept up (queue topics: always
   * null, their own overflow policy applies). A server may pause that publisher briefly until
   * this subscriber drains, so a fast publisher does not push a healthy one out of the ring.
   * Optional so that stand-in handles (tests, tools) need not carry it.
   */
  readonly behind?: Subscriber | null;
}

/** What `Broker.subscribe` returns. */
export interface SubscribeResult {
  readonly subscription: Subscription;
  /**
   * Fanout: the first seq this subscription will hear about, as a delivery or as the start of a
   * LAGGED notice (what a SUB_ACK carries). Queue: the topic's next seq; a queue subscription also
   * takes older messages that are still waiting.
   */
  readonly nextSeq: number;
}

/** What `Broker.deleteTopic` did. */
export interface TopicDeletion {
  /** Subscriptions ended (each got `evicted(sub, 'TOPIC_DELETED')`). */
  readonly subscribers: number;
  /** Queue messages that were waiting for a consumer and are gone (counted as droppedDeleted). */
  readonly droppedQueued: number;
}
