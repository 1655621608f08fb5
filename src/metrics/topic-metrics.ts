/**
 * Per-topic series, read from the broker at scrape time (never per message: the broker only
 * counts). Counters come from the {@link TopicLedger} so they stay monotonic across a topic's
 * deletion and re-creation; gauges show live topics only, so a deleted topic's gauges disappear
 * while its counters keep their last total.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TopicCounters, TopicStats } from '../broker/index.ts';
import type { BrokerSnapshot } from './snapshot.ts';

/** Why a message was dropped (the `reason` label of `mycelium_messages_dropped_total`). */
export const DropReason = {
  /** A queue topic was full with overflow "reject": the publish was refused. */
  Rejected: 'rejected',
  /** A waiting queue message was dropped to make room (overflow "drop_oldest"). */
  Overflow: 'overflow',
  /** Fanout deliveries skipped for a subscriber that lagged past buffer_size (LAGGED notices). */
  Lagged: 'lagged',
  /** Queue messages that were waiting when their topic was deleted. */
  Deleted: 'deleted',
  /** Queue messages given up after delivery_limit deliveries went unacked (poison messages). */
  DeliveryLimit: 'delivery_limit',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** Which broker counter each drop reason reads. */
const DROP_FIELDS: Record<DropReason, keyof TopicCounters> = {
  rejected: 'rejected',
  overflow: 'droppedOverflow',
  lagged: 'droppedLagged',
  deleted: 'droppedDeleted',
  delivery_limit: 'droppedDeliveryLimit',
};

/** A per-topic counter: name, help, and the broker counter it mirrors. */
const TOPIC_COUNTERS: readonly { name: string; help: string; field: keyof TopicCounters }[] = [
  {
    name: 'mycelium_messages_published_total',
    help: 'Messages accepted on the topic (each got a seq).',
    field: 'published',
  },
  {
    name: 'mycelium_published_bytes_total',
    help: 'Payload bytes accepted on the topic.',
    field: 'publishedBytes',
  },
  {
    name: 'mycelium_messages_delivered_total',
    help: 'Deliveries handed to subscribers, redeliveries included.',
    field: 'delivered',
  },
  {
    name: 'mycelium_messages_redelivered_total',
    help: 'Queue redeliveries (also counted in delivered).',
    field: 'redelivered',
  },
  {
    name: 'mycelium_messages_acked_total',
    help: 'Queue deliveries acknowledged (ack = "manual").',
    field: 'acked',
  },
  {
    name: 'mycelium_slow_consumer_evictions_total',
    help: 'Subscribers disconnected as slow consumers (fanout slow_consumer = "disconnect").',
    field: 'slowConsumerEvictions',
  },
];

/** A per-topic gauge: name, help, and how to read it from a live topic. */
const TOPIC_GAUGES: readonly { name: string; help: string; read: (t: TopicStats) => number }[] = [
  {
    name: 'mycelium_topic_subscribers',
    help: 'Live subscriptions on the topic.',
    read: (t) => t.subscribers,
  },
  {
    name: 'mycelium_topic_queue_depth',
    help: 'Queue: messages waiting for a consumer. Fanout: messages held in the ring.',
    read: (t) => t.depth,
  },
  {
    name: 'mycelium_topic_in_flight',
    help: 'Queue: deliveries not yet acked. Fanout: 0.',
    read: (t) => t.inFlight,
  },
  {
    name: 'mycelium_topic_max_lag',
    help: 'Fanout: the largest lag, in messages, of any subscriber. Queue: 0.',
    read: (t) => t.maxLag,
  },
  {
    name: 'mycelium_topic_next_seq',
    help: 'The seq the next accepted message will get.',
    read: (t) => t.nextSeq,
  },
];

/** Registers every per-topic series on `registry`. */
export function registerTopicMetrics(registry: Registry, snapshot: BrokerSnapshot): void {
  for (const { name, help, field } of TOPIC_COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['topic'],
      registers: [registry],
      collect(this: Counter<'topic'>) {
        const ledger = snapshot.ledger;
        // Counters have no set(): reset and add the total, which the ledger keeps monotonic.
        this.reset();
        for (const topic of ledger.names()) this.inc({ topic }, ledger.total(topic, field));
      },
    });
  }
  new Counter({
    name: 'mycelium_messages_dropped_total',
    help: 'Messages lost or refused, by reason: rejected, overflow, lagged, deleted, delivery_limit.',
    labelNames: ['topic', 'reason'],
    registers: [registry],
    collect(this: Counter<'topic' | 'reason'>) {
      const ledger = snapshot.ledger;
      this.reset();
      for (const topic of ledger.names()) {
        for (const [reason, field] of Object.entries(DROP_FIELDS)) {
          this.inc({ topic, reason }, ledger.total(topic, field));
        }
      }
    },
  });
  for (const { name, help, read } of TOPIC_GAUGES) {
    new Gauge({
      name,
      help,
      labelNames: ['topic'],
      registers: [registry],
      collect(this: Gauge<'topic'>) {
        this.reset();
        for (const t of snapshot.topics()) this.set({ topic: t.name }, read(t));
      },
    });
  }
}
