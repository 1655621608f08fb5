/**
 * Which subscriptions each subscriber holds, by sid: enforces that a sid is unique per subscriber
 * and lets the broker end all of a subscriber's subscriptions when its connection dies. Topics
 * keep their own lists for routing; this index is only touched when subscriptions come and go.
 */
import { MyceliumError } from '../errors.ts';
import type { Subscriber, Subscription } from './types.ts';

/** Subscriptions by subscriber, then by sid. */
export class SubscriberRegistry<S extends Subscription = Subscription> {
  readonly #bySubscriber = new Map<Subscriber, Map<number, S>>();

  /** Throws SUBSCRIPTION_EXISTS when the subscriber already uses this sid. */
  checkFree(subscriber: Subscriber, sid: number): void {
    if (this.#bySubscriber.get(subscriber)?.has(sid)) {
      throw new MyceliumError('SUBSCRIPTION_EXISTS', `subscription id ${sid} is already in use`);
    }
  }

  /** Records a subscription whose sid was checked free. */
  add(sub: S): void {
    let bySid = this.#bySubscriber.get(sub.subscriber);
    if (bySid === undefined) {
      bySid = new Map();
      this.#bySubscriber.set(sub.subscriber, bySid);
    }
    bySid.set(sub.sid, sub);
  }

  get(subscriber: Subscriber, sid: number): S | undefined {
    return this.#bySubscriber.get(subscriber)?.get(sid);
  }

  /** Forgets one subscription (no-op if it is not the one recorded under its sid). */
  remove(sub: S): void {
    const bySid = this.#bySubscriber.get(sub.subscriber);
    if (bySid === undefined || bySid.get(sub.sid) !== sub) return;
    bySid.delete(sub.sid);
    if (bySid.size === 0) this.#bySubscriber.delete(sub.subscriber);
  }

  /** A subscriber's subscriptions, in the order they were made. */
  list(subscriber: Subscriber): S[] {
    const bySid = this.#bySubscriber.get(subscriber);
    return bySid === undefined ? [] : [...bySid.values()];
  }

  /** Forgets every subscription of a subscriber and returns them. */
  take(subscriber: Subscriber): S[] {
    const subs = this.list(subscriber);
    this.#bySubscriber.delete(subscriber);
    return subs;
  }
}
