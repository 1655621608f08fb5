import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Broker, Routing } from '../../src/broker/index.ts';
import { bytes, Recorder, range, throwsCode } from './helpers.ts';

function fanout(bufferSize = 10_000): Broker {
  const broker = new Broker();
  broker.createTopic('f', { routing: Routing.Fanout, bufferSize });
  return broker;
}

describe('fanout routing', () => {
  test('two subscribers both receive every message, in order, with its seq', () => {
    const broker = fanout();
    const a = new Recorder();
    const b = new Recorder();
    broker.subscribe(a, 'f', 1);
    broker.subscribe(b, 'f', 7);
    for (let i = 1; i <= 10; i++) assert.equal(broker.publish('f', bytes(`m${i}`)), i);
    for (const r of [a, b]) {
      assert.deepEqual(r.seqs(), range(1, 10));
      assert.deepEqual(
        r.msgs().map((m) => m.text),
        range(1, 10).map((i) => `m${i}`),
      );
      assert.ok(r.msgs().every((m) => m.flags === 0 && m.count === 1));
    }
    assert.ok(
      b.msgs().every((m) => m.sid === 7),
      'each delivery names its subscription',
    );
    assert.equal(broker.topicStats('f').delivered, 20);
  });

  test('every subscriber gets the same payload object: one copy per message, not per subscriber', () => {
    const broker = fanout();
    const a = new Recorder();
    const b = new Recorder();
    broker.subscribe(a, 'f', 1);
    broker.subscribe(b, 'f', 1);
    const payload = bytes('shared');
    broker.publish('f', payload);
    assert.equal(a.payloads[0], payload);
    assert.equal(b.payloads[0], payload);
  });

  test('a new subscription starts at the next seq and gets nothing published before it', () => {
    const broker = fanout();
    broker.publish('f', bytes('old'));
    const r = new Recorder();
    const { nextSeq } = broker.subscribe(r, 'f', 1);
    assert.equal(nextSeq, 2);
    broker.resume(broker.subscription(r, 1)!);
    assert.deepEqual(r.events, []);
    broker.publish('f', bytes('new'));
    assert.deepEqual(r.seqs(), [2]);
  });

  test('a subscriber that is not writable gets nothing, then everything in order on resume', () => {
    const broker = fanout();
    const slow = new Recorder();
    const fast = new Recorder();
    const { subscription } = broker.subscribe(slow, 'f', 1);
    broker.subscribe(fast, 'f', 1);
    broker.publish('f', bytes('1'));
    slow.close();
    for (let i = 2; i <= 6; i++) broker.publish('f', bytes(String(i)));
    assert.deepEqual(slow.seqs(), [1]);
    assert.equal(broker.topicStats('f').maxLag, 5);
    slow.open();
    slow.budget = 2; // fills up again after two
    broker.resume(subscription);
    assert.deepEqual(slow.seqs(), [1, 2, 3]);
    broker.publish('f', bytes('7'));
    assert.deepEqual(slow.seqs(), [1, 2, 3], 'a lagging subscription is not pushed to by publish');
    slow.open();
    broker.resume(subscription);
    broker.publish('f', bytes('8'));
    assert.deepEqual(slow.seqs(), range(1, 8));
    assert.deepEqual(fast.seqs(), range(1, 8));
    assert.equal(broker.topicStats('f').maxLag, 0);
  });

  test('seqs stay continuous and in order across 20,000 messages with a subscriber that stalls', () => {
    const broker = fanout(1_000);
    const steady = new Recorder();
    const bursty = new Recorder();
    broker.subscribe(steady, 'f', 1);
    const { subscription } = broker.subscribe(bursty, 'f', 1);
    for (let i = 1; i <= 20_000; i++) {
      if (i % 97 === 0) bursty.budget = 50; // stalls after 50 more
      broker.publish('f', bytes(String(i)));
      if (i % 300 === 0) {
        bursty.open();
        broker.resume(subscription);
      }
    }
    bursty.open();
    broker.resume(subscription);
    assert.deepEqual(steady.seqs(), range(1, 20_000));
    assert.deepEqual(bursty.seqs(), range(1, 20_000));
    assert.ok(
      bursty.msgs().every((m) => m.text === String(m.seq)),
      'each seq carries its own payload',
    );
    assert.equal(broker.topicStats('f').droppedLagged, 0);
  });

  test('subscribers may come and go while messages flow; each sees a gap-free run from its start', () => {
    const broker = fanout();
    const stayer = new Recorder();
    broker.subscribe(stayer, 'f', 1);
    const runs: { r: Recorder; first: number; last: number }[] = [];
    let current: { r: Recorder; first: number; last: number } | undefined;
    for (let i = 1; i <= 1_000; i++) {
      if (i % 100 === 10) {
        const r = new Recorder();
        current = { r, first: broker.subscribe(r, 'f', 3).nextSeq, last: 0 };
      }
      broker.publish('f', bytes(String(i)));
      if (current !== undefined && i % 100 === 60) {
        broker.unsubscribe(broker.subscription(current.r, 3)!);
        current.last = i;
        runs.push(current);
        current = undefined;
      }
    }
    assert.deepEqual(stayer.seqs(), range(1, 1_000));
    assert.equal(runs.length, 10);
    for (const { r, first, last } of runs) assert.deepEqual(r.seqs(), range(first, last));
    assert.equal(broker.topicStats('f').subscribers, 1);
  });

  test('unsubscribing ends the subscription once; a second unsubscribe is SUBSCRIPTION_NOT_FOUND', () => {
    const broker = fanout();
    const r = new Recorder();
    const { subscription } = broker.subscribe(r, 'f', 1);
    broker.unsubscribe(subscription);
    broker.publish('f', bytes('x'));
    assert.deepEqual(r.events, []);
    throwsCode(() => broker.unsubscribe(subscription), 'SUBSCRIPTION_NOT_FOUND');
    broker.resume(subscription); // ignored, not an error: the socket may drain after an unsubscribe
    broker.subscribe(r, 'f', 1); // the sid is free again
  });

  test('removing a subscriber ends all of its subscriptions and leaves others alone', () => {
    const broker = fanout();
    broker.createTopic('g', { routing: Routing.Fanout });
    const gone = new Recorder();
    const other = new Recorder();
    broker.subscribe(gone, 'f', 1);
    broker.subscribe(gone, 'g', 2);
    broker.subscribe(gone, 'f', 3);
    broker.subscribe(other, 'f', 1);
    assert.equal(broker.removeSubscriber(gone), 3);
    assert.equal(broker.removeSubscriber(gone), 0);
    broker.publish('f', bytes('x'));
    broker.publish('g', bytes('x'));
    assert.deepEqual(gone.events, []);
    assert.deepEqual(other.seqs(), [1]);
    assert.equal(broker.subscription(gone, 1), undefined);
  });

  test('acking a fanout delivery is ACK_NOT_EXPECTED', () => {
    const broker = fanout();
    const r = new Recorder();
    const { subscription } = broker.subscribe(r, 'f', 1);
    broker.publish('f', bytes('x'));
    throwsCode(() => broker.ack(subscription, 1), 'ACK_NOT_EXPECTED');
  });

  test('resumeSubscriber serves every subscription of the subscriber, in turn across calls', () => {
    const broker = fanout();
    broker.createTopic('g', { routing: Routing.Fanout });
    const r = new Recorder();
    broker.subscribe(r, 'f', 1);
    broker.subscribe(r, 'g', 2);
    r.close();
    for (let i = 0; i < 3; i++) {
      broker.publish('f', bytes('f'));
      broker.publish('g', bytes('g'));
    }
    r.open();
    r.budget = 3;
    broker.resumeSubscriber(r); // f fills the budget
    assert.deepEqual(
      r.msgs().map((m) => m.sid),
      [1, 1, 1],
    );
    r.open();
    r.budget = 3;
    broker.resumeSubscriber(r); // starts with g this time
    assert.deepEqual(
      r.msgs().map((m) => m.sid),
      [1, 1, 1, 2, 2, 2],
    );
  });
});
