/**
 * Fanout routing (ARCHITECTURE.md §2): every subscription gets every message, in seq order, from
 * one shared ring of the last bufferSize payloads. A subscription is a cursor into the ring: the
 * next seq it will be given. It is "caught up" when the cursor equals the topic's next seq.
 *
 * Publish pushes to the caught-up, writable subscriptions only; everyone else lags and is served
 * from the ring by `resume` when its subscriber can take more. A lagging cursor that falls out of
 * the ring triggers the slow-consumer policy: drop_oldest moves it to the oldest held message and
 * remembers the skipped range for one merged LAGGED notice, sent before the next delivery;
 * disconnect ends the subscription with SLOW_CONSUMER.
 */
import type { SubscriberRegistry } from './subscriber-registry.ts';
import { PayloadRing } from './ring.ts';
import { Topic, TopicSubscription } from './topic.ts';
import {
  EvictReason,
  SlowConsumerPolicy,
  type StartPosition,
  type Subscriber,
  type TopicSettings,
  type TopicStats,
} from './types.ts';

/** A fanout subscription: a cursor into its topic's ring plus a pending LAGGED range. */
export class FanoutSubscription extends TopicSubscription {
  readonly owner: FanoutTopic;
  /** The next seq to give this subscription. */
  cursor: number;
  /** Start of the skipped range not yet reported (meaningful when lagCount > 0). */
  lagFrom = 0;
  /** Length of the skipped range not yet reported. */
  lagCount = 0;
  /** Position in the topic's subscription array (for O(1) removal). */
  index = -1;
  /** The first seq the subscription hears about, as a delivery or a LAGGED start (for SUB_ACK). */
  readonly startSeq: number;

  constructor(owner: FanoutTopic, subscriber: Subscriber, sid: number, startSeq: number, cursor: number) {
    super(subscriber, owner.name, sid);
    this.owner = owner;
    this.startSeq = startSeq;
    this.cursor = cursor;
  }
}

/** A topic whose messages go to every subscription. */
export class FanoutTopic extends Topic {
  readonly #ring: PayloadRing;
  #subs: FanoutSubscription[] = [];
  #disconnectSlow: boolean;
  /** Subscriptions evicted during the current call, told once the routing loop is done. */
  #evicted: FanoutSubscription[] = [];

  constructor(name: string, settings: TopicSettings, owner: object, registry: SubscriberRegistry) {
    super(name, settings, owner, registry);
    this.#ring = new PayloadRing(settings.bufferSize);
    this.#disconnectSlow = settings.slowConsumer === SlowConsumerPolicy.Disconnect;
  }

  get nextSeq(): number {
    return this.#ring.head;
  }

  get subscriptionCount(): number {
    return this.#subs.length;
  }

  publish(payload: Uint8Array): number {
    this.#ring.push(payload);
    return this.#route(payload, 0, payload.length, payload);
  }

  publishRange(buf: Uint8Array, start: number, end: number): number {
    this.#ring.pushRange(buf, start, end);
    return this.#route(buf, start, end, null);
  }

  /**
   * Routes the message just pushed (bytes `start .. end` of `buf`) to the caught-up, writable
   * subscriptions. Subscribers with `deliverRange` get the range; the others get `view`, made
   * from the range on first need when the publish came without one.
   */
  #route(buf: Uint8Array, start: number, end: number, view: Uint8Array | null): number {
    const ring = this.#ring;
    const seq = ring.head - 1;
    const c = this.counters;
    c.published++;
    c.publishedBytes += end - start;
    const subs = this.#subs;
    // The first subscriber found unable to keep up (TopicHandle.behind).
    let behind: Subscriber | null = null;
    const oldest = ring.head - ring.size;
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i]!;
      const subscriber = s.subscriber;
      if (s.cursor === seq) {
        if (subscriber.writable) {
          s.cursor = seq + 1;
          c.delivered++;
          if (subscriber.deliverRange !== undefined) {
            subscriber.deliverRange(s, seq, buf, start, end, 0, 1);
          } else {
            view ??= new Uint8Array(buf.buffer, buf.byteOffset + start, end - start);
            subscriber.deliver(s, seq, view, 0, 1);
          }
        } else if (behind === null) {
          behind = subscriber;
        }
      } else if (s.cursor < oldest && this.#fellOut(s, oldest)) {
        i--; // the last subscription was swapped into slot i
      } else if (behind === null && !subscriber.writable) {
        // Still catching up from the ring and backed up again: `resume` serves it once it drains.
        behind = subscriber;
      }
    }
    this.behind = behind;
    if (this.#evicted.length !== 0) this.#tellEvicted();
    return seq;
  }

  /**
   * Adds a subscription starting at `start` (clamped to the next seq: a resume point from before
   * a broker restart cannot lie in the future). What it asked for that the ring no longer holds
   * becomes its pending LAGGED range. Nothing is delivered until the next publish or `resume`.
   */
  subscribe(subscriber: Subscriber, sid: number, start: StartPosition): FanoutSubscription {
    const ring = this.#ring;
    let from = ring.head;
    if (start.kind === 'seq') from = Math.min(start.seq, ring.head);
    else if (start.kind === 'last') from = Math.max(1, ring.head - start.count);
    const oldest = ring.oldest;
    const sub = new FanoutSubscription(this, subscriber, sid, from, Math.max(from, oldest));
    if (from < oldest) {
      sub.lagFrom = from;
      sub.lagCount = oldest - from;
    }
    sub.index = this.#subs.length;
    this.#subs.push(sub);
    return sub;
  }

  /**
   * The subscriber can take more: report the pending LAGGED range, then deliver from the cursor
   * while it stays writable.
   */
  resume(s: FanoutSubscription): void {
    const subscriber = s.subscriber;
    if (s.lagCount !== 0) {
      const from = s.lagFrom;
      const count = s.lagCount;
      s.lagCount = 0;
      subscriber.lagged(s, from, count);
    }
    const ring = this.#ring;
    const c = this.counters;
    while (s.cursor < ring.head && s.live && subscriber.writable) {
      const seq = s.cursor++;
      c.delivered++;
      if (subscriber.deliverRange !== undefined) {
        subscriber.deliverRange(s, seq, ring.bytes, ring.startOf(seq), ring.endOf(seq), 0, 1);
      } else {
        subscriber.deliver(s, seq, ring.get(seq), 0, 1);
      }
    }
  }

  /** Removes a subscription (unsubscribe); it keeps no messages of its own. */
  detach(s: FanoutSubscription): void {
    const subs = this.#subs;
    const last = subs.pop()!;
    if (last !== s) {
      subs[s.index] = last;
      last.index = s.index;
    }
    s.live = false;
    s.index = -1;
  }

  update(settings: TopicSettings): void {
    this.settings = settings;
    this.maxMessageSize = settings.maxMessageSize;
    this.#disconnectSlow = settings.slowConsumer === SlowConsumerPolicy.Disconnect;
    const ring = this.#ring;
    if (settings.bufferSize < ring.limit) {
      ring.resize(settings.bufferSize);
      // Subscriptions behind the shrunken ring follow the slow-consumer policy now.
      const oldest = ring.oldest;
      const subs = this.#subs;
      for (let i = 0; i < subs.length; i++) {
        const s = subs[i]!;
        if (s.cursor < oldest && this.#fellOut(s, oldest)) i--;
      }
      if (this.#evicted.length !== 0) this.#tellEvicted();
    } else {
      ring.resize(settings.bufferSize);
    }
  }

  close(): { subs: TopicSubscription[]; droppedQueued: number } {
    const subs = this.#subs;
    this.#subs = [];
    for (const s of subs) {
      s.live = false;
      this.registry.remove(s);
    }
    this.#ring.resize(0); // release the payloads even if a stale handle keeps the topic alive
    return { subs, droppedQueued: 0 };
  }

  stats(): TopicStats {
    let maxLag = 0;
    const head = this.#ring.head;
    for (const s of this.#subs) maxLag = Math.max(maxLag, head - s.cursor);
    return this.baseStats(this.#subs.length, this.#ring.size, 0, maxLag);
  }

  /**
   * `s` lags past the ring. Returns true when it was removed (disconnect policy), in which case
   * the last subscription now sits at its index.
   */
  #fellOut(s: FanoutSubscription, oldest: number): boolean {
    const c = this.counters;
    if (this.#disconnectSlow) {
      this.detach(s);
      this.registry.remove(s);
      c.slowConsumerEvictions++;
      this.#evicted.push(s);
      return true;
    }
    const lost = oldest - s.cursor;
    if (s.lagCount === 0) s.lagFrom = s.cursor;
    s.lagCount += lost; // the pending range ends at the cursor, so the two ranges are contiguous
    s.cursor = oldest;
    c.droppedLagged += lost;
    return false;
  }

  #tellEvicted(): void {
    const evicted = this.#evicted;
    this.#evicted = [];
    for (const s of evicted) s.subscriber.evicted(s, EvictReason.SlowConsumer);
  }
}
