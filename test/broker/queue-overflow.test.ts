import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AckMode, Broker, OverflowPolicy, Routing } from '../../src/broker/index.ts';
import { bytes, Recorder, range, throwsCode } from './helpers.ts';

function boundedQueue(bufferSize: number, overflow: OverflowPolicy): Broker {
  const broker = new Broker();
  broker.createTopic('q', { routing: Routing.Queue, bufferSize, overflow });
  return broker;
}

function fill(broker: Broker, n: number): void {
  for (let i = 0; i < n; i++) broker.publish('q', bytes('x'));
}

describe('queue overflow policies', () => {
  test('reject: a publish into a full line throws QUEUE_FULL, is counted, takes no seq, drops nothing', () => {
    const broker = boundedQueue(3, OverflowPolicy.Reject);
    fill(broker, 3);
    throwsCode(() => broker.publish('q', bytes('x')), 'QUEUE_FULL');
    throwsCode(() => broker.publish('q', bytes('x')), 'QUEUE_FULL');
    assert.equal(broker.canPublish('q'), true, 'reject refuses; it never asks the publisher to wait');
    const stats = broker.topicStats('q');
    assert.equal(stats.rejected, 2);
    assert.equal(stats.depth, 3);
    assert.equal(stats.nextSeq, 4);
    const r = new Recorder();
    broker.resume(broker.subscribe(r, 'q', 1).subscription);
    assert.deepEqual(r.seqs(), [1, 2, 3]);
    assert.equal(broker.publish('q', bytes('x')), 4, 'room again once a consumer took them');
  });

  test('drop_oldest: a publish into a full line drops the oldest waiting message, counted', () => {
    const broker = boundedQueue(3, OverflowPolicy.DropOldest);
    fill(broker, 5);
    const stats = broker.topicStats('q');
    assert.equal(stats.droppedOverflow, 2);
    assert.equal(stats.depth, 3);
    const r = new Recorder();
    broker.resume(broker.subscribe(r, 'q', 1).subscription);
    assert.deepEqual(r.seqs(), [3, 4, 5]);
  });

  test('block: canPublish turns false when the line is full, and onRoom fires once when it has room', () => {
    const broker = boundedQueue(2, OverflowPolicy.Block);
    assert.equal(broker.canPublish('q'), true);
    fill(broker, 2);
    assert.equal(broker.canPublish('q'), false);
    throwsCode(() => broker.publish('q', bytes('x')), 'QUEUE_FULL'); // not honouring canPublish
    let calls = 0;
    let canPublishInside: boolean | undefined;
    broker.onRoom('q', () => {
      calls++;
      canPublishInside = broker.canPublish('q');
      broker.publish('q', bytes('from callback')); // the broker is consistent inside the callback
    });
    const r = new Recorder();
    r.budget = 1;
    const { subscription } = broker.subscribe(r, 'q', 1);
    broker.resume(subscription); // takes one: room for one
    assert.equal(calls, 1);
    assert.equal(canPublishInside, true);
    assert.equal(broker.canPublish('q'), false, 'the callback used the room');
    r.open();
    broker.resume(subscription);
    assert.equal(calls, 1, 'one-shot');
    assert.deepEqual(
      r.msgs().map((m) => m.text),
      ['x', 'x', 'from callback'],
    );
  });

  test('block: an ack that lets a consumer take more wakes the blocked publisher', () => {
    const broker = new Broker();
    broker.createTopic('q', {
      routing: Routing.Queue,
      bufferSize: 1,
      overflow: OverflowPolicy.Block,
      ack: AckMode.Manual,
      prefetch: 1,
    });
    const r = new Recorder();
    const { subscription } = broker.subscribe(r, 'q', 1);
    fill(broker, 2); // 1 in flight, 2 waits: full
    let woken = false;
    broker.onRoom('q', () => {
      woken = true;
    });
    assert.equal(woken, false);
    broker.ack(subscription, 1);
    assert.equal(woken, true);
  });

  test('block: onRoom runs at once when there is room, and waiters are released on delete and on a larger bound', () => {
    const broker = boundedQueue(1, OverflowPolicy.Block);
    let immediate = 0;
    broker.onRoom('q', () => immediate++);
    broker.onRoom('fanout-or-unknown', () => immediate++);
    assert.equal(immediate, 2);
    fill(broker, 1);
    let grown = 0;
    broker.onRoom('q', () => grown++);
    broker.updateTopic('q', { bufferSize: 2 });
    assert.equal(grown, 1);
    fill(broker, 1);
    let deleted = 0;
    broker.onRoom('q', () => deleted++);
    broker.deleteTopic('q');
    assert.equal(deleted, 1);
    assert.equal(
      broker.canPublish('q'),
      true,
      'unknown topics do not block: publish reports TOPIC_NOT_FOUND',
    );
  });

  test('block: a policy change away from block wakes the waiting publishers', () => {
    const broker = boundedQueue(1, OverflowPolicy.Block);
    fill(broker, 1);
    let woken = 0;
    broker.onRoom('q', () => woken++);
    broker.updateTopic('q', { overflow: OverflowPolicy.DropOldest });
    assert.equal(woken, 1);
    assert.equal(broker.publish('q', bytes('x')), 2);
    assert.equal(broker.topicStats('q').droppedOverflow, 1);
  });

  test('shrinking the bound below the depth drops nothing; publishes are refused until it drains', () => {
    const broker = boundedQueue(10, OverflowPolicy.Reject);
    fill(broker, 8);
    broker.updateTopic('q', { bufferSize: 3 });
    assert.equal(broker.topicStats('q').depth, 8);
    throwsCode(() => broker.publish('q', bytes('x')), 'QUEUE_FULL');
    const r = new Recorder();
    r.budget = 6;
    const { subscription } = broker.subscribe(r, 'q', 1);
    broker.resume(subscription); // takes 6, 2 left
    assert.equal(broker.publish('q', bytes('x')), 9);
    r.open();
    broker.resume(subscription);
    assert.deepEqual(r.seqs(), range(1, 9));
    assert.equal(broker.topicStats('q').droppedOverflow + broker.topicStats('q').droppedDeleted, 0);
  });

  test('redeliveries return to a full line even past its bound: nothing accepted is dropped for them', () => {
    const broker = new Broker();
    broker.createTopic('q', { routing: Routing.Queue, bufferSize: 2, ack: AckMode.Manual, prefetch: 2 });
    const a = new Recorder();
    broker.subscribe(a, 'q', 1);
    fill(broker, 4); // 2 in flight, 2 waiting (full)
    broker.removeSubscriber(a);
    assert.equal(broker.topicStats('q').depth, 4);
    throwsCode(() => broker.publish('q', bytes('x')), 'QUEUE_FULL');
  });
});
