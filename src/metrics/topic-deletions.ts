/**
 * Final counters of deleted topics, from the broker's `TOPIC_DELETED_CHANNEL`. Without them a
 * scrape-time reader loses what a topic counted after the last scrape, and `dropped{reason=
 * "deleted"}` (counted while the topic is being deleted) would never be seen at all.
 *
 * The channel is process-wide and its message names no broker, so a second broker in the same
 * process (another server, a test) publishes on it too, possibly under a name this broker also
 * has. A message is taken to concern this broker's topic instance of that name, if it has one, and
 * is kept pending; the deletion is confirmed once the broker call that published it has finished
 * (at the next microtask, or before the next reading, whichever comes first): it was this broker's
 * topic only if that instance is no longer this broker's topic of that name. A message from
 * another broker leaves this broker's instance in place and is dropped. If both brokers delete
 * the name in one synchronous run, this broker's own message is the last one for its instance
 * (any later one finds no instance or a newer one), and it replaces the earlier one.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type Broker,
  Routing,
  TOPIC_DELETED_CHANNEL,
  type TopicCounters,
  type TopicDeletedEvent,
  type TopicHandle,
} from '../broker/index.ts';
import { COUNTER_FIELDS } from './topic-ledger.ts';

/** Receives each confirmed deletion of one of the broker's topic instances. */
export type RetireTopic = (name: string, handle: TopicHandle, final: TopicCounters) => void;

/**
 * A deleted topic's final counters. The broker publishes while the topic still exists, before
 * its waiting queue messages are dropped, so `droppedDeleted` does not count them yet: they are
 * the queue's `depth` (messages waiting for a consumer). Were the message published after the
 * drop, `depth` would be 0 and `droppedDeleted` would hold them: the sum is right either way.
 * A fanout topic's depth is its ring, which is released, not owed to anyone: not a drop.
 */
export function finalCounters(event: TopicDeletedEvent): TopicCounters {
  const { stats } = event;
  const final = {} as TopicCounters;
  for (const f of COUNTER_FIELDS) final[f] = stats[f];
  if (stats.routing === Routing.Queue) final.droppedDeleted += stats.depth;
  return final;
}

/** Watches the channel for deletions of `broker`'s topics while open. */
export class TopicDeletionWatch {
  readonly #broker: Broker;
  readonly #retire: RetireTopic;
  /** Deletions heard but not yet confirmed, by the instance of this broker they would concern. */
  readonly #pending = new Map<TopicHandle, TopicDeletedEvent>();
  #open = true;
  readonly #onMessage = (message: unknown): void => {
    // Only the broker publishes on this channel, always a TopicDeletedEvent.
    const event = message as TopicDeletedEvent;
    const handle = this.#broker.getTopic(event.name);
    if (handle === undefined) return; // this broker has no such topic: another broker's
    if (this.#pending.size === 0) queueMicrotask(this.#settleLater);
    this.#pending.set(handle, event);
  };
  readonly #settleLater = (): void => this.settle();

  constructor(broker: Broker, retire: RetireTopic) {
    this.#broker = broker;
    this.#retire = retire;
    subscribe(TOPIC_DELETED_CHANNEL, this.#onMessage);
  }

  /**
   * Confirms the pending deletions: each whose instance is gone from the broker is retired, the
   * others (another broker's) are dropped. Call it before reading the broker.
   */
  settle(): void {
    if (this.#pending.size === 0) return;
    for (const [handle, event] of this.#pending) {
      if (this.#broker.getTopic(event.name) !== handle)
        this.#retire(event.name, handle, finalCounters(event));
    }
    this.#pending.clear();
  }

  /** Stops listening (what was heard until now is still settled). */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    unsubscribe(TOPIC_DELETED_CHANNEL, this.#onMessage);
    this.settle();
  }
}
