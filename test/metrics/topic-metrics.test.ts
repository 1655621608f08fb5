/**
 * Known traffic through a real server, then `/metrics` scraped and parsed: every per-topic number
 * must match exactly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EvictReason, Subscriber, Subscription } from '../../src/broker/index.ts';
import { encodeAck, encodePub, encodeSub, type Frame } from '../../src/protocol/index.ts';
import type { RawClient } from '../server/helpers/raw-client.ts';
import { type ObservedServer, roundTrip, startObserved } from './helpers/observed-server.ts';

/** An in-process subscriber whose output is always full: every fanout message makes it lag. */
class StuckSubscriber implements Subscriber {
  readonly id: number;
  readonly writable = false;
  readonly evictions: EvictReason[] = [];
  constructor(id: number) {
    this.id = id;
  }
  deliver(): void {
    throw new Error('a subscriber that is not writable got a delivery');
  }
  lagged(): void {}
  evicted(_sub: Subscription, reason: EvictReason): void {
    this.evictions.push(reason);
  }
}

/** Reads frames until `count` of `op` have arrived; returns those. */
async function collect(c: RawClient, op: Frame['op'], count: number): Promise<Frame[]> {
  const found: Frame[] = [];
  while (found.length < count) {
    const f = await c.next();
    if (f.op === op) found.push(f);
  }
  return found;
}

/** Publishes each payload with confirm ids 1.. and returns the answers (PUBACK or ERR), in order. */
async function publishConfirmed(c: RawClient, topic: string, payloads: Uint8Array[]): Promise<Frame[]> {
  c.send(...payloads.map((p, i) => encodePub(topic, p, i + 1)));
  return c.take(payloads.length);
}

const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(7);

describe('per-topic metrics after known traffic', () => {
  let s: ObservedServer;
  before(async () => {
    s = await startObserved({
      topics: [
        { name: 'ticks', routing: 'Fanout', buffer_size: 2 },
        { name: 'evict', routing: 'Fanout', buffer_size: 2, slow_consumer: 'disconnect' },
        { name: 'jobs', routing: 'Queue', ack: 'manual' },
        { name: 'full', routing: 'Queue', buffer_size: 2, overflow: 'reject' },
        { name: 'ring', routing: 'Queue', buffer_size: 2, overflow: 'drop_oldest' },
        { name: 'poison', routing: 'Queue', ack: 'manual', delivery_limit: 2 },
      ],
    });
  });
  after(() => s.stop());

  test('fanout: published, bytes, delivered (per subscriber) and subscribers match the traffic', async () => {
    const pub = await s.client('pub');
    const a = await s.client('a');
    const b = await s.client('b', { tcp: true });
    a.send(encodeSub(1, 'ticks'));
    b.send(encodeSub(1, 'ticks'));
    await collect(a, 'SUB_ACK', 1);
    await collect(b, 'SUB_ACK', 1);
    const answers = await publishConfirmed(pub, 'ticks', [bytes(1), bytes(2), bytes(3)]);
    assert.deepEqual(
      answers.map((f) => f.op),
      ['PUBACK', 'PUBACK', 'PUBACK'],
    );
    await collect(a, 'MSG', 3);
    await collect(b, 'MSG', 3);

    const m = await s.scrape();
    const topic = { topic: 'ticks' };
    assert.equal(m.value('mycelium_messages_published_total', topic), 3);
    assert.equal(m.value('mycelium_published_bytes_total', topic), 6);
    assert.equal(m.value('mycelium_messages_delivered_total', topic), 6);
    assert.equal(m.value('mycelium_topic_subscribers', topic), 2);
    assert.equal(m.value('mycelium_topic_max_lag', topic), 0);
    // The ring holds the last buffer_size messages.
    assert.equal(m.value('mycelium_topic_queue_depth', topic), 2);
    assert.equal(m.value('mycelium_topic_next_seq', topic), 4);
    for (const reason of ['rejected', 'overflow', 'lagged', 'deleted', 'delivery_limit']) {
      assert.equal(m.value('mycelium_messages_dropped_total', { topic: 'ticks', reason }), 0);
    }
  });

  test('fanout: deliveries skipped for a lagging subscriber are counted as dropped{reason="lagged"} and its lag shows', async () => {
    const stuck = new StuckSubscriber(1_000_001);
    s.server.broker.subscribe(stuck, 'ticks', 1);
    const pub = await s.client('pub-lag');
    // seq 4, 5, 6: the stuck subscriber starts at 4; when 6 is accepted the 2-slot ring holds
    // 5..6, so seq 4 is lost to it (1 lagged) and it is 2 behind.
    await publishConfirmed(pub, 'ticks', [bytes(1), bytes(1), bytes(1)]);
    const m = await s.scrape();
    assert.equal(m.value('mycelium_messages_dropped_total', { topic: 'ticks', reason: 'lagged' }), 1);
    assert.equal(m.value('mycelium_topic_max_lag', { topic: 'ticks' }), 2);
    assert.equal(m.value('mycelium_topic_subscribers', { topic: 'ticks' }), 3);
    assert.equal(m.value('mycelium_messages_published_total', { topic: 'ticks' }), 6);
    // The two socket subscribers got seq 4..6 as well.
    assert.equal(m.value('mycelium_messages_delivered_total', { topic: 'ticks' }), 12);
  });

  test('fanout with slow_consumer = "disconnect": the eviction is counted and the subscriber is gone', async () => {
    const stuck = new StuckSubscriber(1_000_002);
    s.server.broker.subscribe(stuck, 'evict', 1);
    const pub = await s.client('pub-evict');
    await publishConfirmed(pub, 'evict', [bytes(1), bytes(1), bytes(1)]);
    assert.deepEqual(stuck.evictions, ['SLOW_CONSUMER']);
    const m = await s.scrape();
    assert.equal(m.value('mycelium_slow_consumer_evictions_total', { topic: 'evict' }), 1);
    assert.equal(m.value('mycelium_topic_subscribers', { topic: 'evict' }), 0);
  });

  test('queue with manual acks: depth, in flight, acked and redelivered follow the consumers', async () => {
    const pub = await s.client('pub-jobs');
    await publishConfirmed(pub, 'jobs', [bytes(4), bytes(4), bytes(4)]);
    let m = await s.scrape();
    const topic = { topic: 'jobs' };
    assert.equal(m.value('mycelium_topic_queue_depth', topic), 3);
    assert.equal(m.value('mycelium_topic_in_flight', topic), 0);
    assert.equal(m.value('mycelium_published_bytes_total', topic), 12);

    const first = await s.client('consumer-1');
    first.send(encodeSub(7, 'jobs'));
    const msgs = await collect(first, 'MSG', 3);
    first.send(encodeAck(7, (msgs[0] as { seq: number }).seq));
    await roundTrip(first);
    m = await s.scrape();
    assert.equal(m.value('mycelium_messages_delivered_total', topic), 3);
    assert.equal(m.value('mycelium_messages_acked_total', topic), 1);
    assert.equal(m.value('mycelium_topic_in_flight', topic), 2);
    assert.equal(m.value('mycelium_topic_queue_depth', topic), 0);
    assert.equal(m.value('mycelium_topic_subscribers', topic), 1);

    // The consumer goes away with two unacked: they wait again, then go to the next consumer.
    const closedBefore = s.closes.length;
    first.destroy();
    await s.closed(closedBefore + 1);
    m = await s.scrape();
    assert.equal(m.value('mycelium_topic_in_flight', topic), 0);
    assert.equal(m.value('mycelium_topic_queue_depth', topic), 2);
    const second = await s.client('consumer-2');
    second.send(encodeSub(8, 'jobs'));
    const again = await collect(second, 'MSG', 2);
    assert.ok(again.every((f) => f.op === 'MSG' && f.flags === 1));
    m = await s.scrape();
    assert.equal(m.value('mycelium_messages_redelivered_total', topic), 2);
    assert.equal(m.value('mycelium_messages_delivered_total', topic), 5);
    assert.equal(m.value('mycelium_topic_in_flight', topic), 2);
  });

  test('queue overflow: a refused publish counts as rejected, a dropped waiting message as overflow', async () => {
    const pub = await s.client('pub-overflow');
    const refused = await publishConfirmed(pub, 'full', [bytes(1), bytes(1), bytes(1)]);
    assert.deepEqual(
      refused.map((f) => f.op),
      ['PUBACK', 'PUBACK', 'ERR'],
    );
    await publishConfirmed(pub, 'ring', [bytes(1), bytes(1), bytes(1)]);
    const m = await s.scrape();
    assert.equal(m.value('mycelium_messages_dropped_total', { topic: 'full', reason: 'rejected' }), 1);
    assert.equal(m.value('mycelium_messages_published_total', { topic: 'full' }), 2);
    assert.equal(m.value('mycelium_messages_dropped_total', { topic: 'ring', reason: 'overflow' }), 1);
    assert.equal(m.value('mycelium_messages_published_total', { topic: 'ring' }), 3);
    assert.equal(m.value('mycelium_topic_queue_depth', { topic: 'ring' }), 2);
  });

  test('a message whose consumers all die unacked is dropped after delivery_limit deliveries, counted as dropped{reason="delivery_limit"}', async () => {
    const pub = await s.client('pub-poison');
    await publishConfirmed(pub, 'poison', [bytes(3)]);
    const counts: number[] = [];
    for (const [i, name] of ['doomed-1', 'doomed-2'].entries()) {
      const consumer = await s.client(name);
      consumer.send(encodeSub(i + 1, 'poison'));
      const [msg] = await collect(consumer, 'MSG', 1);
      counts.push((msg as { deliveryCount: number }).deliveryCount);
      const closedBefore = s.closes.length;
      consumer.destroy();
      await s.closed(closedBefore + 1);
    }
    assert.deepEqual(counts, [1, 2]);
    const m = await s.scrape();
    const topic = { topic: 'poison' };
    assert.equal(m.value('mycelium_messages_dropped_total', { ...topic, reason: 'delivery_limit' }), 1);
    assert.equal(m.value('mycelium_topic_queue_depth', topic), 0);
    assert.equal(m.value('mycelium_topic_in_flight', topic), 0);
    assert.equal(m.value('mycelium_messages_redelivered_total', topic), 1);
    const stats = JSON.parse((await s.get('/stats')).body) as {
      topics: { name: string; dropped_delivery_limit: number }[];
    };
    assert.equal(stats.topics.find((t) => t.name === 'poison')?.dropped_delivery_limit, 1);
  });

  test('a topic deleted and created again: its counters never go back, its gauges show the live topic only', async () => {
    const before = await s.scrape();
    assert.equal(before.value('mycelium_messages_published_total', { topic: 'ring' }), 3);
    s.server.broker.deleteTopic('ring');
    const gone = await s.scrape();
    assert.equal(gone.value('mycelium_messages_published_total', { topic: 'ring' }), 3);
    assert.equal(gone.has('mycelium_topic_queue_depth', { topic: 'ring' }), false);
    assert.equal(gone.has('mycelium_topic_subscribers', { topic: 'ring' }), false);

    s.server.broker.createTopic('ring', { routing: 'Queue', bufferSize: 2 });
    const pub = await s.client('pub-ring-2');
    await publishConfirmed(pub, 'ring', [bytes(5)]);
    const back = await s.scrape();
    assert.equal(back.value('mycelium_messages_published_total', { topic: 'ring' }), 4);
    assert.equal(back.value('mycelium_messages_dropped_total', { topic: 'ring', reason: 'overflow' }), 1);
    assert.equal(back.value('mycelium_topic_queue_depth', { topic: 'ring' }), 1);
    // /stats shows the live instance's own counters.
    const stats = JSON.parse((await s.get('/stats')).body) as {
      topics: { name: string; published: number }[];
    };
    assert.equal(stats.topics.find((t) => t.name === 'ring')?.published, 1);
  });

  test('broker counters are exposed as counters and topic levels as gauges', async () => {
    const m = await s.scrape();
    const counters = [
      'mycelium_messages_published_total',
      'mycelium_published_bytes_total',
      'mycelium_messages_delivered_total',
      'mycelium_messages_redelivered_total',
      'mycelium_messages_acked_total',
      'mycelium_messages_dropped_total',
      'mycelium_slow_consumer_evictions_total',
    ];
    const gauges = [
      'mycelium_topic_subscribers',
      'mycelium_topic_queue_depth',
      'mycelium_topic_in_flight',
      'mycelium_topic_max_lag',
      'mycelium_topic_next_seq',
    ];
    for (const name of counters) assert.equal(m.types.get(name), 'counter', name);
    for (const name of gauges) assert.equal(m.types.get(name), 'gauge', name);
  });
});
