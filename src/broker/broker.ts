/**
 * The broker facade: topics by name, subscriptions by subscriber, and the publish entry point.
 * Routing itself lives in FanoutTopic and QueueTopic; this file resolves names and handles,
 * checks arguments, keeps the subscriber index, and makes the callbacks that must only run once
 * the broker's state is consistent (evictions, room for blocked publishers).
 *
 * Everything is synchronous. `publish` allocates nothing per message: no promise, closure or
 * object; the payload reference itself is what the topic keeps.
 */
import { channel } from 'node:diagnostics_channel';
import { MyceliumError } from '../errors.ts';
import { invalidArgument, messageTooLarge, subscriptionNotFound, topicNotFound } from './fail.ts';
import { FanoutSubscription, FanoutTopic } from './fanout-topic.ts';
import { QueueSubscription, QueueTopic } from './queue-topic.ts';
import { DEFAULT_TOPIC_SETTINGS, resolveSettings, type TopicDeclaration } from './settings.ts';
import { SubscriberRegistry } from './subscriber-registry.ts';
import type { Topic, TopicSubscription } from './topic.ts';
import { ExactTopicTable, type TopicTable } from './topic-table.ts';
import { topicNameProblem } from './topic-name.ts';
import {
  EvictReason,
  Routing,
  type StartPosition,
  type SubscribeResult,
  type Subscriber,
  type Subscription,
  type TopicDeletion,
  type TopicHandle,
  type TopicSettings,
  type TopicStats,
} from './types.ts';

/** Options of `new Broker()`. */
export interface BrokerOptions {
  /** Topics to create up front, e.g. from the config's `[[topics]]`. */
  readonly topics?: Iterable<readonly [name: string, settings: TopicDeclaration]>;
}

const START_NEW: StartPosition = { kind: 'new' };
/** Largest sid: the protocol carries it as a u32. */
const MAX_SID = 0xffff_ffff;

/**
 * Published once per deleted topic (`{ name, stats }`), just before it goes, so observers such as
 * the metrics layer can account for what the topic counted after their last read. The stats are
 * those of the live topic: the queued messages the deletion drops are still in `depth`, not yet in
 * `droppedDeleted`. The broker stays free of any metrics library: this channel is its seam.
 */
export const TOPIC_DELETED_CHANNEL = 'mycelium:broker:topic_deleted';
const topicDeletedChannel = channel(TOPIC_DELETED_CHANNEL);

/** The message of {@link TOPIC_DELETED_CHANNEL}. */
export interface TopicDeletedEvent {
  readonly name: string;
  /** The instance being deleted: still this broker's `getTopic(name)` while the message is handled. */
  readonly topic: TopicHandle;
  readonly stats: TopicStats;
}

/** An in-process message broker: topics with fanout or queue routing (ARCHITECTURE.md §2). */
export class Broker {
  readonly #topics: TopicTable<Topic> = new ExactTopicTable<Topic>();
  readonly #registry = new SubscriberRegistry<TopicSubscription>();
  /** Per subscriber, where the next `resumeSubscriber` starts (round-robin over its subscriptions). */
  readonly #resumeFrom = new WeakMap<Subscriber, number>();

  /** Creates the broker and the given topics; throws as `createTopic` does on a bad one. */
  constructor(options: BrokerOptions = {}) {
    for (const [name, settings] of options.topics ?? []) this.createTopic(name, settings);
  }

  /**
   * Creates a topic; settings left out take {@link DEFAULT_TOPIC_SETTINGS}.
   * @throws MyceliumError INVALID_TOPIC (name rule), TOPIC_EXISTS, INVALID_ARGUMENT (a setting
   *   out of range, or one the routing would ignore, such as `ack` on a Fanout topic)
   */
  createTopic(name: string, settings: TopicDeclaration): TopicHandle {
    const problem = topicNameProblem(name);
    if (problem !== undefined) throw new MyceliumError('INVALID_TOPIC', problem);
    if (this.#topics.get(name) !== undefined) {
      throw new MyceliumError('TOPIC_EXISTS', `a topic named "${name}" already exists`);
    }
    const resolved = resolveSettings(name, DEFAULT_TOPIC_SETTINGS, settings);
    const topic =
      resolved.routing === Routing.Fanout
        ? new FanoutTopic(name, resolved, this, this.#registry)
        : new QueueTopic(name, resolved, this, this.#registry);
    this.#topics.add(name, topic);
    return topic;
  }

  /**
   * Deletes a topic. Every subscription ends with `evicted(sub, 'TOPIC_DELETED')`; queue messages
   * still waiting are dropped (counted as droppedDeleted); publishers waiting in `onRoom` are
   * called so they find out (their next publish gets TOPIC_NOT_FOUND). Cached handles go stale.
   * @throws MyceliumError TOPIC_NOT_FOUND
   */
  deleteTopic(name: string): TopicDeletion {
    const topic = this.#topics.get(name) ?? topicNotFound(name);
    if (topicDeletedChannel.hasSubscribers) {
      topicDeletedChannel.publish({ name, topic, stats: topic.stats() } satisfies TopicDeletedEvent);
    }
    this.#topics.remove(name);
    topic.owner = null;
    const { subs, droppedQueued } = topic.close();
    const waiters = topic instanceof QueueTopic ? topic.takeRoomWaiters() : [];
    for (const s of subs) s.subscriber.evicted(s, EvictReason.TopicDeleted);
    for (const callback of waiters) callback();
    return { subscribers: subs.length, droppedQueued };
  }

  /**
   * Changes a topic's settings live. Fanout: a smaller buffer applies the slow-consumer policy
   * at once to subscriptions now lagging past it (evictions are reported inside this call). Queue: a smaller buffer drops nothing already
   * accepted (publishes are refused or blocked until it drains); a larger prefetch or buffer, or
   * a policy change, hands out credit and wakes blocked publishers as it allows.
   * @returns the settings now in force
   * @throws MyceliumError TOPIC_NOT_FOUND; INVALID_ARGUMENT (a value out of range, or a routing
   *   change: delete and recreate the topic for that)
   */
  updateTopic(name: string, changes: Partial<TopicSettings>): TopicSettings {
    const topic = this.#topics.get(name) ?? topicNotFound(name);
    if (changes.routing !== undefined && changes.routing !== topic.settings.routing) {
      invalidArgument(`topic "${name}" is ${topic.settings.routing}; routing cannot change on a live topic`);
    }
    const resolved = resolveSettings(name, topic.settings, changes);
    topic.update(resolved);
    if (topic instanceof QueueTopic) topic.wake();
    return resolved;
  }

  hasTopic(name: string): boolean {
    return this.#topics.get(name) !== undefined;
  }

  /** Topic names in creation order. */
  topicNames(): string[] {
    return this.#topics.names();
  }

  /** A handle to pass to `publish` instead of the name, skipping the lookup (see TopicHandle). */
  getTopic(name: string): TopicHandle | undefined {
    return this.#topics.get(name);
  }

  /**
   * Accepts a message and routes it before returning. A fanout topic keeps a copy in its ring; a
   * queue topic keeps a reference to `payload` (line, unacked deliveries) and hands it to
   * subscribers: it must not be modified or reused afterwards, and should not be a view into a
   * larger buffer you want freed.
   * @returns the seq the message got
   * @throws MyceliumError TOPIC_NOT_FOUND (also for a stale handle), MESSAGE_TOO_LARGE, QUEUE_FULL
   *   (queue topic full with overflow "reject", or "block" when `canPublish` was not honoured)
   */
  publish(topic: string | TopicHandle, payload: Uint8Array): number;
  /**
   * `publish` of bytes `start .. end` (end exclusive) of `buf`, for a caller that holds the
   * payload inside a buffer it reuses (a server's shared read buffer): the bytes are only read
   * during the call. Subscribers with `deliverRange` given the message at once (caught-up fanout
   * subscribers, a queue consumer that acks nothing) get the range itself (no view object);
   * whatever the broker keeps (fanout ring, queue line, unacked deliveries) is a copy, so `buf`
   * may be reused as soon as this returns.
   * @returns the seq the message got
   * @throws MyceliumError INVALID_ARGUMENT (start and end not integers with
   *   0 <= start <= end <= buf.length; checked first), then as `publish`: TOPIC_NOT_FOUND,
   *   MESSAGE_TOO_LARGE (end - start over max_message_size), QUEUE_FULL
   */
  publish(topic: string | TopicHandle, buf: Uint8Array, start: number, end: number): number;
  publish(topic: string | TopicHandle, buf: Uint8Array, start?: number, end?: number): number {
    const t = typeof topic === 'string' ? this.#topics.get(topic) : (topic as Topic);
    if (start === undefined && end === undefined) {
      if (t === undefined || t.owner !== this)
        return topicNotFound(typeof topic === 'string' ? topic : topic.name);
      if (buf.length > t.maxMessageSize) return messageTooLarge(t.name, buf.length, t.maxMessageSize);
      return t.publish(buf);
    }
    if (start === undefined || end === undefined || !isRange(buf.length, start, end)) {
      return badRange(buf, start, end);
    }
    if (t === undefined || t.owner !== this)
      return topicNotFound(typeof topic === 'string' ? topic : topic.name);
    const n = end - start;
    if (n > t.maxMessageSize) return messageTooLarge(t.name, n, t.maxMessageSize);
    return t.publishRange(buf, start, end);
  }

  /**
   * Overflow policy "block": false while the topic is a block-policy queue whose line is full.
   * The server then stops reading the publisher's socket and calls `onRoom`. True in every other
   * case (including unknown topics, whose publish fails with TOPIC_NOT_FOUND instead).
   */
  canPublish(topic: string | TopicHandle): boolean {
    const t = this.#resolve(topic);
    return !(t instanceof QueueTopic) || t.canPublish();
  }

  /**
   * Registers a one-shot callback for when `canPublish(topic)` turns true again: after consumers
   * take messages, an ack, a settings change, or the topic's deletion. It runs synchronously at
   * the end of the broker call that made room, with the broker consistent, so it may publish.
   * If the topic has room already (or does not exist), the callback runs at once.
   */
  onRoom(topic: string | TopicHandle, callback: () => void): void {
    const t = this.#resolve(topic);
    if (t instanceof QueueTopic && !t.canPublish()) t.addRoomWaiter(callback);
    else callback();
  }

  /**
   * Subscribes `subscriber` to a topic under its own id `sid` (unique per subscriber). Nothing is
   * delivered inside this call: fanout deliveries start with the next publish, and anything that
   * can already go to it (a replay from the ring, queue messages waiting) goes at
   * `resume(subscription)`, which the caller makes once the peer knows the subscription exists
   * (after sending SUB_ACK with `nextSeq`).
   * @param start fanout only: `{kind:'seq'}` replays from that seq (clamped to the next seq),
   *   `{kind:'last'}` the last `count` messages; what the ring no longer holds comes as LAGGED.
   * @throws MyceliumError TOPIC_NOT_FOUND, SUBSCRIPTION_EXISTS, INVALID_ARGUMENT (bad sid or
   *   start, or a replay start on a queue topic)
   */
  subscribe(
    subscriber: Subscriber,
    topic: string | TopicHandle,
    sid: number,
    start: StartPosition = START_NEW,
  ): SubscribeResult {
    const t = this.#resolve(topic) ?? topicNotFound(typeof topic === 'string' ? topic : topic.name);
    if (!Number.isInteger(sid) || sid < 0 || sid > MAX_SID) {
      invalidArgument(`subscription id must be an integer from 0 to ${MAX_SID} (got ${sid})`);
    }
    checkStart(start);
    this.#registry.checkFree(subscriber, sid);
    let sub: TopicSubscription;
    let nextSeq: number;
    if (t instanceof FanoutTopic) {
      const f = t.subscribe(subscriber, sid, start);
      sub = f;
      nextSeq = f.startSeq;
    } else {
      if (start.kind !== 'new') {
        invalidArgument(`topic "${t.name}" is a Queue topic; its subscriptions cannot replay`);
      }
      sub = (t as QueueTopic).subscribe(subscriber, sid);
      nextSeq = t.nextSeq;
    }
    this.#registry.add(sub);
    return { subscription: sub, nextSeq };
  }

  /** The live subscription `sid` of `subscriber`, if any. */
  subscription(subscriber: Subscriber, sid: number): Subscription | undefined {
    return this.#registry.get(subscriber, sid);
  }

  /**
   * Ends a subscription at the subscriber's request (no `evicted` call). A queue subscription's
   * unacked deliveries go back to the front of the line, in seq order, and are redelivered to
   * others flagged Redelivered with their delivery count raised.
   * @throws MyceliumError SUBSCRIPTION_NOT_FOUND if it already ended
   */
  unsubscribe(subscription: Subscription): void {
    const s = this.#live(subscription);
    this.#registry.remove(s);
    if (s instanceof FanoutSubscription) {
      s.owner.detach(s);
      return;
    }
    const q = s as QueueSubscription;
    const topic = q.owner;
    topic.detach(q);
    topic.requeue(q);
    topic.drain();
    topic.wake();
  }

  /**
   * Ends every subscription of a subscriber, as when its connection dies: like `unsubscribe` for
   * each, except that a queue's unacked deliveries are only handed out once all of the
   * subscriber's subscriptions are gone (so none is redelivered to the dying subscriber).
   * @returns how many subscriptions ended
   */
  removeSubscriber(subscriber: Subscriber): number {
    const subs = this.#registry.take(subscriber);
    const queues = new Set<QueueTopic>();
    for (const s of subs) {
      if (s instanceof FanoutSubscription) {
        s.owner.detach(s);
      } else {
        const q = s as QueueSubscription;
        q.owner.detach(q);
        queues.add(q.owner);
      }
    }
    for (const s of subs) if (s instanceof QueueSubscription) s.owner.requeue(s);
    for (const topic of queues) topic.drain();
    for (const topic of queues) topic.wake();
    return subs.length;
  }

  /**
   * Acks one delivery of a queue subscription with manual acks; the freed credit is used at once.
   * @throws MyceliumError SUBSCRIPTION_NOT_FOUND, ACK_NOT_EXPECTED (fanout, or ack = "none"),
   *   ACK_NOT_FOUND (that seq is not unacked on this subscription)
   */
  ack(subscription: Subscription, seq: number): void {
    const s = this.#live(subscription);
    if (!(s instanceof QueueSubscription)) {
      throw new MyceliumError('ACK_NOT_EXPECTED', `topic "${s.topic}" is a Fanout topic; it takes no acks`);
    }
    s.owner.ack(s, seq);
    s.owner.wake();
  }

  /**
   * The subscriber can take deliveries again (it was not writable, or it just subscribed):
   * fanout sends the pending LAGGED notice then what it missed from the ring, in seq order, while
   * it stays writable; queue hands waiting messages to whoever has credit. Call it whenever
   * `writable` turns true: nothing else will. A subscription that has ended is ignored.
   */
  resume(subscription: Subscription): void {
    const s = subscription as TopicSubscription;
    if (!s.live) return;
    if (s instanceof FanoutSubscription) {
      s.owner.resume(s);
    } else if (s instanceof QueueSubscription) {
      s.owner.drain();
      s.owner.wake();
    }
  }

  /**
   * `resume` for every subscription of a subscriber (what a connection calls when its socket
   * drains). Starts after the subscription that last stopped for lack of room, so one busy
   * topic cannot starve the subscriber's others.
   */
  resumeSubscriber(subscriber: Subscriber): void {
    const subs = this.#registry.list(subscriber);
    const n = subs.length;
    const start = this.#resumeFrom.get(subscriber) ?? 0;
    for (let k = 0; k < n && subscriber.writable; k++) {
      const i = (start + k) % n;
      this.resume(subs[i]!);
      if (!subscriber.writable) this.#resumeFrom.set(subscriber, (i + 1) % n);
    }
  }

  /** A snapshot of every topic, in creation order. */
  stats(): TopicStats[] {
    return [...this.#topics.values()].map((t) => t.stats());
  }

  /**
   * A snapshot of one topic.
   * @throws MyceliumError TOPIC_NOT_FOUND
   */
  topicStats(name: string): TopicStats {
    return (this.#topics.get(name) ?? topicNotFound(name)).stats();
  }

  #resolve(topic: string | TopicHandle): Topic | undefined {
    const t = typeof topic === 'string' ? this.#topics.get(topic) : (topic as Topic);
    return t !== undefined && t.owner === this ? t : undefined;
  }

  #live(subscription: Subscription): TopicSubscription {
    const s = subscription as TopicSubscription;
    if (!(s instanceof FanoutSubscription || s instanceof QueueSubscription) || !s.live) {
      return subscriptionNotFound(subscription.topic, subscription.sid);
    }
    if ((s.owner as Topic).owner !== this) return subscriptionNotFound(s.topic, s.sid);
    return s;
  }
}

/** True when `start .. end` is a range of a buffer of `length` bytes (integers, 0 <= start <= end <= length). */
function isRange(length: number, start: number, end: number): boolean {
  return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= length;
}

function badRange(buf: Uint8Array, start: number | undefined, end: number | undefined): never {
  return invalidArgument(
    `publish range ${start} .. ${end} is not within the buffer of ${buf.length} bytes (integers, 0 <= start <= end <= length)`,
  );
}

function checkStart(start: StartPosition): void {
  if (start.kind === 'new') return;
  if (start.kind === 'seq' && Number.isSafeInteger(start.seq) && start.seq >= 1) return;
  if (start.kind === 'last' && Number.isSafeInteger(start.count) && start.count >= 0) return;
  invalidArgument(`bad start position ${JSON.stringify(start)} (seq from 1, or last count from 0)`);
}
