import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Broker, Routing, SlowConsumerPolicy } from '../../src/broker/index.ts';
import { bytes, Recorder, range } from './helpers.ts';

function fanout(
  bufferSize: number,
  slowConsumer: SlowConsumerPolicy = SlowConsumerPolicy.DropOldest,
): Broker {
  const broker = new Broker();
  broker.createTopic('f', { routing: Routing.Fanout, bufferSize, slowConsumer });
  return broker;
}

function publishN(broker: Broker, n: number): void {
  for (let i = 0; i < n; i++) broker.publish('f', bytes('x'));
}

describe('fanout slow consumers', () => {
  test('drop_oldest: a subscriber lagging past bufferSize gets one LAGGED with the exact range it lost', () => {
    const broker = fanout(10);
    const slow = new Recorder();
    const fast = new Recorder();
    const { subscription } = broker.subscribe(slow, 'f', 1);
    broker.subscribe(fast, 'f', 1);
    publishN(broker, 3); // slow gets 1..3
    slow.close();
    publishN(broker, 22); // 4..25; the ring holds 16..25
    slow.open();
    broker.resume(subscription);
    assert.deepEqual(slow.events.slice(3, 4), [{ kind: 'lagged', sid: 1, from: 4, count: 12 }]);
    assert.deepEqual(slow.seqs(), [...range(1, 3), ...range(16, 25)]);
    assert.deepEqual(fast.seqs(), range(1, 25), 'the publisher and other subscribers are not slowed');
    const stats = broker.topicStats('f');
    assert.equal(stats.droppedLagged, 12);
    assert.equal(stats.slowConsumerEvictions, 0);
  });

  test('drop_oldest: a subscriber that lags, resumes partly and lags again is told each range once', () => {
    const broker = fanout(5);
    const r = new Recorder();
    const { subscription } = broker.subscribe(r, 'f', 1);
    r.close();
    publishN(broker, 8); // lost 1..3, ring 4..8
    r.open();
    r.budget = 2;
    broker.resume(subscription); // LAGGED(1,3), 4, 5
    publishN(broker, 10); // 9..18; cursor 6 falls out: lost 6..13, ring 14..18
    r.open();
    broker.resume(subscription);
    assert.deepEqual(r.events, [
      { kind: 'lagged', sid: 1, from: 1, count: 3 },
      ...[4, 5].map((seq) => ({ kind: 'msg', sid: 1, seq, text: 'x', flags: 0, count: 1 })),
      { kind: 'lagged', sid: 1, from: 6, count: 8 },
      ...range(14, 18).map((seq) => ({ kind: 'msg', sid: 1, seq, text: 'x', flags: 0, count: 1 })),
    ]);
    assert.equal(broker.topicStats('f').droppedLagged, 11);
  });

  test('disconnect: a subscriber lagging past bufferSize is evicted with SLOW_CONSUMER and counted', () => {
    const broker = fanout(4, SlowConsumerPolicy.Disconnect);
    const slow = new Recorder();
    const others = [new Recorder(), new Recorder()];
    const { subscription } = broker.subscribe(slow, 'f', 5);
    broker.subscribe(slow, 'f', 6); // its other subscription keeps up until the subscriber stalls
    for (const o of others) broker.subscribe(o, 'f', 1);
    slow.close();
    publishN(broker, 4); // lag 4 = bufferSize: still allowed
    assert.deepEqual(slow.events, []);
    publishN(broker, 1); // lag 5 > 4
    assert.deepEqual(slow.events, [
      { kind: 'evicted', sid: 5, reason: 'SLOW_CONSUMER' },
      { kind: 'evicted', sid: 6, reason: 'SLOW_CONSUMER' },
    ]);
    publishN(broker, 3);
    for (const o of others) assert.deepEqual(o.seqs(), range(1, 8));
    const stats = broker.topicStats('f');
    assert.equal(stats.slowConsumerEvictions, 2);
    assert.equal(stats.subscribers, 2);
    assert.equal(stats.droppedLagged, 0);
    assert.equal(broker.subscription(slow, 5), undefined);
    slow.open();
    broker.resume(subscription);
    assert.equal(slow.events.length, 2, 'an evicted subscription gets nothing more');
  });

  test('replay from a seq the ring holds delivers from that seq on', () => {
    const broker = fanout(100);
    publishN(broker, 30);
    const r = new Recorder();
    const { subscription, nextSeq } = broker.subscribe(r, 'f', 1, { kind: 'seq', seq: 25 });
    assert.equal(nextSeq, 25);
    assert.deepEqual(r.events, [], 'nothing is delivered inside subscribe');
    broker.resume(subscription);
    broker.publish('f', bytes('x'));
    assert.deepEqual(r.seqs(), range(25, 31));
  });

  test('replay from before the ring sends LAGGED for what it no longer has, then the rest', () => {
    const broker = fanout(101);
    publishN(broker, 200); // ring holds 100..200
    const r = new Recorder();
    const { subscription, nextSeq } = broker.subscribe(r, 'f', 1, { kind: 'seq', seq: 5 });
    assert.equal(nextSeq, 5);
    broker.resume(subscription);
    assert.deepEqual(r.events[0], { kind: 'lagged', sid: 1, from: 5, count: 95 });
    assert.deepEqual(r.seqs(), range(100, 200));
    assert.equal(broker.topicStats('f').droppedLagged, 0, 'a replay reaching too far back is not a drop');
  });

  test('replay of the last N delivers the N most recent messages', () => {
    const broker = fanout(100);
    publishN(broker, 30);
    const r = new Recorder();
    const { subscription, nextSeq } = broker.subscribe(r, 'f', 1, { kind: 'last', count: 3 });
    assert.equal(nextSeq, 28);
    broker.resume(subscription);
    assert.deepEqual(r.seqs(), [28, 29, 30]);
  });

  test('replay of the last N beyond what the ring holds sends LAGGED for the part it lost', () => {
    const broker = fanout(10);
    publishN(broker, 30);
    const r = new Recorder();
    broker.resume(broker.subscribe(r, 'f', 1, { kind: 'last', count: 15 }).subscription);
    assert.deepEqual(r.events[0], { kind: 'lagged', sid: 1, from: 16, count: 5 });
    assert.deepEqual(r.seqs(), range(21, 30));
    // More than was ever published starts at seq 1.
    const all = new Recorder();
    const { subscription, nextSeq } = broker.subscribe(all, 'f', 2, { kind: 'last', count: 1_000 });
    assert.equal(nextSeq, 1);
    broker.resume(subscription);
    assert.deepEqual(all.events[0], { kind: 'lagged', sid: 2, from: 1, count: 20 });
  });

  test('a replay seq past the next seq starts at the next seq (e.g. a resume point from before a restart)', () => {
    const broker = fanout(10);
    publishN(broker, 3);
    const r = new Recorder();
    const { subscription, nextSeq } = broker.subscribe(r, 'f', 1, { kind: 'seq', seq: 1_000 });
    assert.equal(nextSeq, 4);
    broker.resume(subscription);
    broker.publish('f', bytes('x'));
    assert.deepEqual(r.events, [{ kind: 'msg', sid: 1, seq: 4, text: 'x', flags: 0, count: 1 }]);
  });

  test('shrinking the ring applies drop_oldest to subscribers now lagging past it', () => {
    const broker = fanout(100);
    const r = new Recorder();
    const { subscription } = broker.subscribe(r, 'f', 1);
    r.close();
    publishN(broker, 50);
    broker.updateTopic('f', { bufferSize: 20 }); // keeps 31..50
    assert.equal(broker.topicStats('f').depth, 20);
    assert.equal(broker.topicStats('f').droppedLagged, 30);
    r.open();
    broker.resume(subscription);
    assert.deepEqual(r.events[0], { kind: 'lagged', sid: 1, from: 1, count: 30 });
    assert.deepEqual(r.seqs(), range(31, 50));
  });

  test('shrinking the ring evicts subscribers now lagging past it under disconnect', () => {
    const broker = fanout(100, SlowConsumerPolicy.Disconnect);
    const lagging = new Recorder();
    const near = new Recorder();
    broker.subscribe(lagging, 'f', 1);
    const { subscription } = broker.subscribe(near, 'f', 1);
    lagging.close();
    publishN(broker, 40);
    near.close();
    publishN(broker, 10);
    broker.updateTopic('f', { bufferSize: 20 });
    assert.deepEqual(lagging.events.at(-1), { kind: 'evicted', sid: 1, reason: 'SLOW_CONSUMER' });
    assert.equal(near.events.at(-1)?.kind, 'msg', 'a lag of 10 fits in 20');
    near.open();
    broker.resume(subscription);
    assert.deepEqual(near.seqs(), range(1, 50));
  });

  test('growing the ring keeps what it holds and holds more from then on', () => {
    const broker = fanout(5);
    publishN(broker, 10);
    broker.updateTopic('f', { bufferSize: 8 });
    assert.equal(broker.topicStats('f').depth, 5);
    publishN(broker, 5);
    assert.equal(broker.topicStats('f').depth, 8);
    const r = new Recorder();
    broker.resume(broker.subscribe(r, 'f', 1, { kind: 'seq', seq: 1 }).subscription);
    assert.deepEqual(r.events[0], { kind: 'lagged', sid: 1, from: 1, count: 7 });
    assert.deepEqual(r.seqs(), range(8, 15));
  });
});
