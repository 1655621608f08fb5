/**
 * Final counters of deleted topics, from the broker's `TOPIC_DELETED_CHANNEL`. Without them a
 * scrape-time reader loses what a topic counted after the last scrape, and `dropped{reason=
 * "deleted"}` (counted while the topic is being deleted) would never be seen at all.
 *
 * The channel is process-wide and other brokers in the process (another server, a test) publish
 * on it too, possibly under a name this broker also has. The message names the instance being
 * deleted and is published while that instance is still in its broker's table, so it concerns
 * this broker exactly when `broker.getTopic(name)` is that instance.
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
  #open = true;
  readonly #onMessage = (message: unknown): void => {
    // Only the broker publishes on this channel, always a TopicDeletedEvent.
    const event = message as TopicDeletedEvent;
    if (this.#broker.getTopic(event.name) !== event.topic) return; // another broker's topic
    this.#retire(event.name, event.topic, finalCounters(event));
  };

  constructor(broker: Broker, retire: RetireTopic) {
    this.#broker = broker;
    this.#retire = retire;
    subscribe(TOPIC_DELETED_CHANNEL, this.#onMessage);
  }

  /** Stops listening. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    unsubscribe(TOPIC_DELETED_CHANNEL, this.#onMessage);
  }
}
