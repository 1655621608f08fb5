import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AckMode, Broker, DeliveryFlags, Routing } from '../../src/broker/index.ts';
import { bytes, Recorder, range } from './helpers.ts';

function manualQueue(prefetch: number): Broker {
  const broker = new Broker();
  broker.createTopic('q', { routing: Routing.Queue, ack: AckMode.Manual, prefetch });
  return broker;
}

describe('queue redelivery', () => {
  test('unacked deliveries of a consumer that unsubscribes go to another, flagged, count 2, before newer ones', () => {
    const broker = manualQueue(3);
    const a = new Recorder();
    const b = new Recorder();
    const sa = broker.subscribe(a, 'q', 1).subscription;
    const sb = broker.subscribe(b, 'q', 1).subscription;
    for (let i = 1; i <= 10; i++) broker.publish('q', bytes(`m${i}`));
    // a holds 1,3,5; b holds 2,4,6; 7..10 wait.
    assert.deepEqual(a.seqs(), [1, 3, 5]);
    broker.ack(sa, 3);
    assert.deepEqual(a.seqs(), [1, 3, 5, 7]);
    broker.ack(sb, 2);
    broker.ack(sb, 4); // b holds 6, 8, 9
    assert.deepEqual(b.seqs(), [2, 4, 6, 8, 9]);
    broker.unsubscribe(sa); // a leaves holding 1, 5, 7 unacked
    broker.ack(sb, 6);
    broker.ack(sb, 8);
    broker.ack(sb, 9);
    const after = b.msgs().slice(5);
    assert.deepEqual(
      after.map((m) => [m.seq, m.text, m.flags, m.count]),
      [
        [1, 'm1', DeliveryFlags.Redelivered, 2],
        [5, 'm5', DeliveryFlags.Redelivered, 2],
        [7, 'm7', DeliveryFlags.Redelivered, 2],
      ],
    );
    for (const seq of [1, 5, 7]) broker.ack(sb, seq);
    assert.deepEqual(
      b
        .msgs()
        .slice(8)
        .map((m) => [m.seq, m.flags, m.count]),
      [[10, 0, 1]],
    );
    broker.ack(sb, 10);
    const stats = broker.topicStats('q');
    assert.equal(stats.acked, 10, 'nothing lost');
    assert.equal(stats.redelivered, 3);
    assert.equal(stats.delivered, 13);
    assert.equal(stats.inFlight + stats.depth, 0);
  });

  test('a consumer that dies (removeSubscriber) has its unacked redelivered, none to its own other subscription', () => {
    const broker = manualQueue(2);
    const dying = new Recorder();
    const survivor = new Recorder();
    broker.subscribe(dying, 'q', 1);
    broker.subscribe(dying, 'q', 2);
    const ss = broker.subscribe(survivor, 'q', 1).subscription;
    for (let i = 1; i <= 6; i++) broker.publish('q', bytes('x'));
    // round robin: dying/1 gets 1,4; dying/2 gets 2,5; survivor gets 3,6
    assert.equal(broker.removeSubscriber(dying), 2);
    assert.equal(dying.msgs().length, 4, 'nothing more went to the dying subscriber');
    const acked: number[] = [];
    while (survivor.msgs().length > acked.length) {
      const next = survivor.msgs()[acked.length]!;
      acked.push(next.seq);
      broker.ack(ss, next.seq);
    }
    assert.deepEqual(acked.slice(2), [1, 2, 4, 5], 'redeliveries leave in seq order');
    assert.deepEqual(
      [...acked].sort((x, y) => x - y),
      range(1, 6),
    );
    assert.ok(
      survivor
        .msgs()
        .slice(2)
        .every((m) => m.flags === DeliveryFlags.Redelivered && m.count === 2),
    );
  });

  test('a message redelivered twice carries delivery count 3', () => {
    const broker = manualQueue(10);
    const first = new Recorder();
    broker.subscribe(first, 'q', 1);
    broker.publish('q', bytes('x'));
    const second = new Recorder();
    broker.resume(broker.subscribe(second, 'q', 1).subscription);
    broker.removeSubscriber(first);
    const third = new Recorder();
    broker.resume(broker.subscribe(third, 'q', 1).subscription);
    broker.removeSubscriber(second);
    assert.deepEqual(
      third.msgs().map((m) => [m.seq, m.flags, m.count]),
      [[1, DeliveryFlags.Redelivered, 3]],
    );
  });

  test('with no other consumer, unacked messages wait at the front of the line for the next one', () => {
    const broker = manualQueue(2);
    const a = new Recorder();
    broker.subscribe(a, 'q', 1);
    for (let i = 0; i < 5; i++) broker.publish('q', bytes('x')); // a holds 1,2; 3..5 wait
    broker.removeSubscriber(a);
    const stats = broker.topicStats('q');
    assert.equal(stats.depth, 5);
    assert.equal(stats.inFlight, 0);
    const b = new Recorder();
    b.budget = 5;
    const { subscription } = broker.subscribe(b, 'q', 1);
    broker.resume(subscription);
    broker.ack(subscription, 1);
    broker.ack(subscription, 2);
    broker.ack(subscription, 3);
    assert.deepEqual(
      b.msgs().map((m) => [m.seq, m.count]),
      [
        [1, 2],
        [2, 2],
        [3, 1],
        [4, 1],
        [5, 1],
      ],
    );
  });

  test('redeliveries merge into the waiting line in seq order', () => {
    const broker = manualQueue(1);
    const rs = [new Recorder(), new Recorder(), new Recorder()];
    for (const r of rs) broker.subscribe(r, 'q', 1);
    for (let i = 0; i < 5; i++) broker.publish('q', bytes('x')); // 1,2,3 in flight; 4,5 wait
    broker.removeSubscriber(rs[0]!); // 1 returns to the front
    broker.removeSubscriber(rs[2]!); // 3 returns after 1, still before 4
    assert.equal(broker.topicStats('q').depth, 4);
    const last = new Recorder();
    last.budget = 4;
    rs[1]!.close();
    broker.updateTopic('q', { prefetch: 10 });
    broker.resume(broker.subscribe(last, 'q', 2).subscription);
    assert.deepEqual(
      last.msgs().map((m) => m.seq),
      [1, 3, 4, 5],
    );
  });
});
