/**
 * The delivery limit (RELIABILITY.md §4.1, D5): a queue message whose unacked delivery comes back
 * after `deliveryLimit` deliveries is dropped and counted as droppedDeliveryLimit instead of
 * redelivered, so a message that kills every consumer it reaches cannot cycle forever.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AckMode, Broker, DeliveryFlags, Routing, type Subscription } from '../../src/broker/index.ts';
import { bytes, Recorder } from './helpers.ts';

function limitedQueue(deliveryLimit: number | undefined, prefetch = 1): Broker {
  const broker = new Broker();
  broker.createTopic('q', {
    routing: Routing.Queue,
    ack: AckMode.Manual,
    prefetch,
    ...(deliveryLimit === undefined ? {} : { deliveryLimit }),
  });
  return broker;
}

/** Subscribes a fresh consumer and lets it take waiting messages at once. */
function join(broker: Broker, sid = 1): { consumer: Recorder; sub: Subscription } {
  const consumer = new Recorder();
  const sub = broker.subscribe(consumer, 'q', sid).subscription;
  broker.resume(sub);
  return { consumer, sub };
}

/**
 * Consumers join one after another; each takes what it is given and dies without acking. Returns
 * every delivery as [seq, flags, count], in order, until a consumer gets nothing (or `max` joins).
 */
function dieOnEverything(broker: Broker, max: number): [number, number, number][] {
  const seen: [number, number, number][] = [];
  for (let i = 0; i < max; i++) {
    const { consumer } = join(broker);
    const got = consumer.msgs();
    broker.removeSubscriber(consumer);
    if (got.length === 0) break;
    for (const m of got) seen.push([m.seq, m.flags, m.count]);
  }
  return seen;
}

describe('queue delivery limit', () => {
  test('limit N: a message every consumer dies on is delivered N times (counts 1..N), then dropped and counted', () => {
    const broker = limitedQueue(3);
    broker.publish('q', bytes('poison'));
    const seen = dieOnEverything(broker, 10);
    assert.deepEqual(seen, [
      [1, DeliveryFlags.None, 1],
      [1, DeliveryFlags.Redelivered, 2],
      [1, DeliveryFlags.Redelivered, 3],
    ]);
    const stats = broker.topicStats('q');
    assert.equal(stats.droppedDeliveryLimit, 1);
    assert.equal(stats.depth + stats.inFlight, 0, 'nothing left waiting or in flight');
    assert.equal(stats.delivered, 3);
    assert.equal(stats.redelivered, 2);
    assert.equal(stats.acked, 0);
  });

  test('the default limit is 20 deliveries', () => {
    const broker = limitedQueue(undefined);
    broker.publish('q', bytes('poison'));
    const seen = dieOnEverything(broker, 100);
    assert.deepEqual(
      seen.map(([, , count]) => count),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(broker.topicStats('q').droppedDeliveryLimit, 1);
  });

  test('limit 1: an unacked delivery is never redelivered, whether its consumer unsubscribes or dies', () => {
    const broker = limitedQueue(1, 4);
    broker.publish('q', bytes('a'));
    broker.publish('q', bytes('b'));
    const first = join(broker);
    assert.deepEqual(first.consumer.seqs(), [1, 2]);
    broker.unsubscribe(first.sub);
    broker.publish('q', bytes('c'));
    const second = join(broker);
    assert.deepEqual(second.consumer.seqs(), [3]);
    broker.removeSubscriber(second.consumer);
    assert.equal(broker.topicStats('q').droppedDeliveryLimit, 3);
    assert.equal(dieOnEverything(broker, 3).length, 0, 'nothing comes back');
  });

  test('other messages are unaffected: each is delivered once and acked while the poison one is given up', () => {
    // Every consumer that gets the poison message (seq 2) dies on it; the others are acked.
    const broker = limitedQueue(2, 1);
    const a = join(broker, 1);
    const b = join(broker, 1);
    broker.publish('q', bytes('ok')); // seq 1 -> a
    broker.publish('q', bytes('poison')); // seq 2 -> b
    for (let i = 3; i <= 6; i++) broker.publish('q', bytes('ok')); // wait: a and b are at prefetch 1
    assert.deepEqual([a.consumer.seqs(), b.consumer.seqs()], [[1], [2]]);
    broker.removeSubscriber(b.consumer); // seq 2 back to the front of the line (1 delivery)
    broker.ack(a.sub, 1); // a takes the redelivery of seq 2 next...
    assert.deepEqual(
      a.consumer.msgs().map((m) => [m.seq, m.count]),
      [
        [1, 1],
        [2, 2],
      ],
    );
    // ...and dies on it too: the limit of 2 is used up, so it is dropped, not redelivered.
    broker.removeSubscriber(a.consumer);
    const c = join(broker, 1);
    const acked: number[] = [];
    for (let m = c.consumer.msgs()[0]; m !== undefined; m = c.consumer.msgs()[acked.length]) {
      assert.equal(m.count, 1, `seq ${m.seq} is a first delivery`);
      acked.push(m.seq);
      broker.ack(c.sub, m.seq);
    }
    assert.deepEqual(acked, [3, 4, 5, 6]);
    const stats = broker.topicStats('q');
    assert.equal(stats.droppedDeliveryLimit, 1);
    assert.equal(stats.acked, 5);
    assert.equal(stats.acked + stats.droppedDeliveryLimit, stats.published, 'every message acked or dropped');
    assert.equal(stats.depth + stats.inFlight, 0);
  });

  test('a message below the limit is redelivered and may still be acked', () => {
    const broker = limitedQueue(3);
    broker.publish('q', bytes('flaky'));
    const first = join(broker);
    broker.removeSubscriber(first.consumer);
    const second = join(broker);
    assert.deepEqual(
      second.consumer.msgs().map((m) => [m.seq, m.flags, m.count]),
      [[1, DeliveryFlags.Redelivered, 2]],
    );
    broker.ack(second.sub, 1);
    const stats = broker.topicStats('q');
    assert.deepEqual([stats.acked, stats.droppedDeliveryLimit], [1, 0]);
  });

  test('updateTopic raises the limit live: a message that would have been dropped is redelivered', () => {
    const broker = limitedQueue(2);
    broker.publish('q', bytes('x'));
    broker.removeSubscriber(join(broker).consumer); // delivery 1
    const holder = join(broker); // delivery 2 in flight: at the old limit it would be dropped
    assert.equal(broker.updateTopic('q', { deliveryLimit: 4 }).deliveryLimit, 4);
    broker.removeSubscriber(holder.consumer);
    assert.deepEqual(
      dieOnEverything(broker, 10).map(([, , count]) => count),
      [3, 4],
    );
    assert.equal(broker.topicStats('q').droppedDeliveryLimit, 1);
  });

  test('updateTopic lowers the limit live: waiting redeliveries that used it up are dropped at once, the rest keep their order', () => {
    const broker = limitedQueue(5, 3);
    for (const text of ['a', 'b', 'c']) broker.publish('q', bytes(text));
    // Seq 1 and 3 reach 2 deliveries, seq 2 only 1; nobody is subscribed when the limit drops.
    const one = join(broker);
    assert.deepEqual(one.consumer.seqs(), [1, 2, 3]);
    broker.ack(one.sub, 2);
    broker.publish('q', bytes('d')); // -> one (seq 4, first delivery)
    broker.removeSubscriber(one.consumer);
    const two = join(broker, 1);
    assert.deepEqual(
      two.consumer.msgs().map((m) => [m.seq, m.count]),
      [
        [1, 2],
        [3, 2],
        [4, 2],
      ],
    );
    broker.ack(two.sub, 4);
    broker.removeSubscriber(two.consumer); // 1 and 3 wait with 2 deliveries each
    broker.publish('q', bytes('e')); // seq 5 waits behind them, never delivered
    assert.equal(broker.topicStats('q').depth, 3);
    broker.updateTopic('q', { deliveryLimit: 2 });
    const stats = broker.topicStats('q');
    assert.deepEqual([stats.depth, stats.droppedDeliveryLimit], [1, 2]);
    const last = join(broker);
    assert.deepEqual(
      last.consumer.msgs().map((m) => [m.seq, m.count]),
      [[5, 1]],
    );
  });
});
