/**
 * Queue routing (ARCHITECTURE.md §2): each message goes to exactly one subscription, round-robin
 * among those with credit (subscriber writable and, with manual acks, fewer than `prefetch`
 * deliveries unacked). Messages nobody can take wait in a FIFO bounded by bufferSize, whose
 * overflow policy decides what a publish into a full line does.
 *
 * Invariant: when the FIFO is not empty, no subscription had credit the last time it was drained.
 * Credit only comes back through `ack`, `resume`, a new subscription being resumed or a settings
 * change, and each of those drains the line; so a publish behind a non-empty line just appends
 * and costs O(1) instead of scanning every consumer for credit it cannot have.
 *
 * First deliveries therefore leave in seq order. Deliveries a consumer leaves unacked go back to
 * the front of the line in seq order (flagged redelivered, delivery count kept) when it goes,
 * except those already delivered `deliveryLimit` times: a message every consumer dies on (poison)
 * is dropped there and counted as droppedDeliveryLimit, since the consumers it would go to next
 * would most likely die on it too.
 */
import { ackNotExpected, ackNotFound, queueFull } from './fail.ts';
import { InFlightTable } from './in-flight.ts';
import { MessageFifo } from './message-fifo.ts';
import type { SubscriberRegistry } from './subscriber-registry.ts';
import { Topic, TopicSubscription } from './topic.ts';
import {
  AckMode,
  DeliveryFlags,
  OverflowPolicy,
  type Subscriber,
  type TopicSettings,
  type TopicStats,
} from './types.ts';

/** A copy of bytes `start .. end` of `buf`, for a message kept beyond the publish call. */
function copyOf(buf: Uint8Array, start: number, end: number): Buffer {
  return Buffer.from(buf.subarray(start, end));
}

/** A queue subscription and its unacked deliveries. */
export class QueueSubscription extends TopicSubscription {
  readonly owner: QueueTopic;
  readonly inFlight = new InFlightTable();

  constructor(owner: QueueTopic, subscriber: Subscriber, sid: number) {
    super(subscriber, owner.name, sid);
    this.owner = owner;
  }
}

/** A topic whose messages go to one subscription each. */
export class QueueTopic extends Topic {
  #subs: QueueSubscription[] = [];
  /** Index in #subs where the next round-robin search starts. */
  #next = 0;
  #seq = 1;
  readonly #fifo = new MessageFifo();
  #bound: number;
  #overflow: TopicSettings['overflow'];
  #manual: boolean;
  #prefetch: number;
  #deliveryLimit: number;
  #inFlight = 0;
  /** One-shot callbacks of publishers paused on a full block-policy line. */
  #roomWaiters: (() => void)[] = [];

  constructor(name: string, settings: TopicSettings, owner: object, registry: SubscriberRegistry) {
    super(name, settings, owner, registry);
    this.#bound = settings.bufferSize;
    this.#overflow = settings.overflow;
    this.#manual = settings.ack === AckMode.Manual;
    this.#prefetch = settings.prefetch;
    this.#deliveryLimit = settings.deliveryLimit;
  }

  get nextSeq(): number {
    return this.#seq;
  }

  get subscriptionCount(): number {
    return this.#subs.length;
  }

  publish(payload: Uint8Array): number {
    return this.#accept(payload, 0, payload.length, payload);
  }

  /**
   * The range is only valid during the call (a server's shared read buffer), so a message that
   * waits, in the line or unacked in flight, keeps a copy of it. One handed straight to a consumer
   * that acks nothing is copied out by that consumer alone, from the range when it takes ranges.
   */
  publishRange(buf: Uint8Array, start: number, end: number): number {
    return this.#accept(buf, start, end, null);
  }

  /**
   * Publishes bytes `start .. end` of `buf`. `kept` is the payload as the caller keeps it valid
   * (an in-process publish), or null when the bytes are only valid during the call, so anything
   * kept is a copy.
   */
  #accept(buf: Uint8Array, start: number, end: number, kept: Uint8Array | null): number {
    if (this.#fifo.length !== 0) return this.#publishBehind(kept ?? copyOf(buf, start, end));
    const seq = this.#seq++;
    const c = this.counters;
    c.published++;
    c.publishedBytes += end - start;
    const s = this.#pick();
    if (s === undefined) {
      this.#fifo.push(seq, kept ?? copyOf(buf, start, end), 0);
      return seq;
    }
    c.delivered++;
    const subscriber = s.subscriber;
    if (this.#manual) {
      const payload = kept ?? copyOf(buf, start, end);
      this.#track(s, seq, payload, 1);
      subscriber.deliver(s, seq, payload, DeliveryFlags.None, 1);
    } else if (kept === null && subscriber.deliverRange !== undefined) {
      subscriber.deliverRange(s, seq, buf, start, end, DeliveryFlags.None, 1);
    } else {
      subscriber.deliver(s, seq, kept ?? buf.subarray(start, end), DeliveryFlags.None, 1);
    }
    return seq;
  }

  /** False while a block-policy line is full: the publisher should wait for `onRoom`. */
  canPublish(): boolean {
    return this.#overflow !== OverflowPolicy.Block || this.#fifo.length < this.#bound;
  }

  /** Registers a one-shot callback for when `canPublish` turns true (see `wake`). */
  addRoomWaiter(callback: () => void): void {
    this.#roomWaiters.push(callback);
  }

  /**
   * Calls and forgets the room waiters if the line has room. The broker calls this at the end of
   * every operation that can make room, once its own state is consistent, so a callback may
   * publish straight away. Every callback runs even if one throws; the first error is rethrown.
   */
  wake(): void {
    if (this.#roomWaiters.length === 0 || !this.canPublish()) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    let failure: { error: unknown } | undefined;
    for (const callback of waiters) {
      try {
        callback();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  /** Adds a subscription; it takes messages from the next publish or `drain` (via resume). */
  subscribe(subscriber: Subscriber, sid: number): QueueSubscription {
    const sub = new QueueSubscription(this, subscriber, sid);
    this.#subs.push(sub);
    return sub;
  }

  /** Acks one delivery of `s`, then hands out the credit it frees. */
  ack(s: QueueSubscription, seq: number): void {
    if (!s.inFlight.delete(seq)) {
      // Acks stay valid for deliveries made before a switch to ack = "none".
      if (!this.#manual && s.inFlight.size === 0) ackNotExpected(this.name);
      ackNotFound(this.name, s.sid, seq);
    }
    this.#inFlight--;
    this.counters.acked++;
    if (this.#fifo.length !== 0) this.drain();
  }

  /** Hands waiting messages to subscriptions with credit, oldest first, until either runs out. */
  drain(): void {
    const fifo = this.#fifo;
    const c = this.counters;
    while (fifo.length !== 0) {
      const s = this.#pick();
      if (s === undefined) return;
      const seq = fifo.headSeq;
      const payload = fifo.headPayload;
      const count = fifo.headDeliveries + 1;
      fifo.shift();
      if (this.#manual) this.#track(s, seq, payload, count);
      c.delivered++;
      if (count > 1) c.redelivered++;
      s.subscriber.deliver(
        s,
        seq,
        payload,
        count > 1 ? DeliveryFlags.Redelivered : DeliveryFlags.None,
        count,
      );
    }
  }

  /** Takes a subscription out of the rotation; call `requeue` and then `drain` after. */
  detach(s: QueueSubscription): void {
    const i = this.#subs.indexOf(s);
    if (i >= 0) {
      this.#subs.splice(i, 1);
      if (i < this.#next) this.#next--;
    }
    s.live = false;
  }

  /**
   * Returns a detached subscription's unacked deliveries to the front of the line, merged by seq
   * with redeliveries already waiting there, so the line stays in seq order. Deliveries that have
   * used up the delivery limit are dropped instead (counted as droppedDeliveryLimit).
   */
  requeue(s: QueueSubscription): void {
    if (s.inFlight.size === 0) return;
    const seqs: number[] = [];
    const payloads: Uint8Array[] = [];
    const counts: number[] = [];
    s.inFlight.drainSorted(seqs, payloads, counts);
    this.#inFlight -= seqs.length;
    this.#dropAtLimit(seqs, payloads, counts);
    if (seqs.length === 0) return;
    const fifo = this.#fifo;
    const newest = seqs[seqs.length - 1]!;
    while (fifo.length !== 0 && fifo.headSeq < newest) {
      seqs.push(fifo.headSeq);
      payloads.push(fifo.headPayload);
      counts.push(fifo.headDeliveries);
      fifo.shift();
    }
    const order = seqs.map((_, i) => i).sort((a, b) => seqs[a]! - seqs[b]!);
    for (let k = order.length - 1; k >= 0; k--) {
      const i = order[k]!;
      fifo.unshift(seqs[i]!, payloads[i]!, counts[i]!);
    }
  }

  update(settings: TopicSettings): void {
    this.settings = settings;
    this.maxMessageSize = settings.maxMessageSize;
    // A smaller bound drops nothing already accepted: the line only refuses or blocks publishes
    // until it drains below it.
    this.#bound = settings.bufferSize;
    this.#overflow = settings.overflow;
    this.#manual = settings.ack === AckMode.Manual;
    this.#prefetch = settings.prefetch;
    const lowered = settings.deliveryLimit < this.#deliveryLimit;
    this.#deliveryLimit = settings.deliveryLimit;
    if (lowered) this.#dropWaitingAtLimit();
    this.drain(); // a larger prefetch or a switch to ack = "none" may have given credit
  }

  close(): { subs: TopicSubscription[]; droppedQueued: number } {
    const subs = this.#subs;
    this.#subs = [];
    for (const s of subs) {
      s.live = false;
      this.#inFlight -= s.inFlight.size;
      s.inFlight.drainSorted([], [], []);
      this.registry.remove(s);
    }
    const droppedQueued = this.#fifo.length;
    this.counters.droppedDeleted += droppedQueued;
    this.#fifo.clear();
    return { subs, droppedQueued };
  }

  /** Every waiter, for the broker to release when the topic is deleted. */
  takeRoomWaiters(): (() => void)[] {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    return waiters;
  }

  stats(): TopicStats {
    return this.baseStats(this.#subs.length, this.#fifo.length, this.#inFlight, 0);
  }

  /** Publish while messages wait: nobody has credit (see the invariant above), so just queue. */
  #publishBehind(payload: Uint8Array): number {
    const fifo = this.#fifo;
    const c = this.counters;
    if (fifo.length >= this.#bound) {
      if (this.#overflow !== OverflowPolicy.DropOldest) {
        c.rejected++;
        queueFull(this.name, fifo.length);
      }
      // One out for one in: after a shrink the line converges on the bound as consumers take
      // messages, rather than losing the whole excess at once.
      fifo.shift();
      c.droppedOverflow++;
    }
    const seq = this.#seq++;
    c.published++;
    c.publishedBytes += payload.length;
    fifo.push(seq, payload, 0);
    return seq;
  }

  /** The next subscription in round-robin order that has credit, or undefined. */
  #pick(): QueueSubscription | undefined {
    const subs = this.#subs;
    const n = subs.length;
    let i = this.#next;
    for (let k = 0; k < n; k++) {
      if (i >= n) i = 0;
      const s = subs[i++]!;
      if (s.subscriber.writable && (!this.#manual || s.inFlight.size < this.#prefetch)) {
        this.#next = i;
        return s;
      }
    }
    return undefined;
  }

  /**
   * Removes, in place and keeping order, the entries whose delivery count has reached the limit,
   * counting each as dropped. Only runs when a consumer leaves with unacked deliveries.
   */
  #dropAtLimit(seqs: number[], payloads: Uint8Array[], counts: number[]): void {
    const limit = this.#deliveryLimit;
    let kept = 0;
    for (let i = 0; i < seqs.length; i++) {
      if (counts[i]! >= limit) continue;
      seqs[kept] = seqs[i]!;
      payloads[kept] = payloads[i]!;
      counts[kept] = counts[i]!;
      kept++;
    }
    this.counters.droppedDeliveryLimit += seqs.length - kept;
    seqs.length = kept;
    payloads.length = kept;
    counts.length = kept;
  }

  /**
   * After the limit was lowered: drops the waiting redeliveries that have now used it up, so none
   * is delivered once more than the limit in force. One pass round the line keeps its order.
   */
  #dropWaitingAtLimit(): void {
    const fifo = this.#fifo;
    const limit = this.#deliveryLimit;
    for (let n = fifo.length; n > 0; n--) {
      const seq = fifo.headSeq;
      const payload = fifo.headPayload;
      const count = fifo.headDeliveries;
      fifo.shift();
      if (count >= limit) this.counters.droppedDeliveryLimit++;
      else fifo.push(seq, payload, count);
    }
  }

  #track(s: QueueSubscription, seq: number, payload: Uint8Array, deliveries: number): void {
    s.inFlight.add(seq, payload, deliveries);
    this.#inFlight++;
  }
}
