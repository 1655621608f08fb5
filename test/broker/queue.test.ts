import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AckMode, Broker, Routing, type TopicSettings } from '../../src/broker/index.ts';
import { bytes, Recorder, range, throwsCode } from './helpers.ts';

function queue(settings: Partial<TopicSettings> = {}): Broker {
  const broker = new Broker();
  broker.createTopic('q', { routing: Routing.Queue, ...settings });
  return broker;
}

describe('queue routing', () => {
  test('100 messages over two subscribers: each exactly once, split 50/50 (within one)', () => {
    const broker = queue();
    const a = new Recorder();
    const b = new Recorder();
    broker.subscribe(a, 'q', 1);
    broker.subscribe(b, 'q', 1);
    for (let i = 1; i <= 100; i++) broker.publish('q', bytes(`m${i}`));
    const all = [...a.seqs(), ...b.seqs()].sort((x, y) => x - y);
    assert.deepEqual(all, range(1, 100));
    assert.ok(Math.abs(a.seqs().length - b.seqs().length) <= 1, `${a.seqs().length} vs ${b.seqs().length}`);
    for (const r of [a, b]) assert.ok(r.msgs().every((m) => m.text === `m${m.seq}` && m.count === 1));
  });

  test('messages with no consumer wait, then go to the first consumer in seq order on resume', () => {
    const broker = queue();
    for (let i = 0; i < 5; i++) broker.publish('q', bytes('x'));
    assert.equal(broker.topicStats('q').depth, 5);
    const r = new Recorder();
    const { subscription, nextSeq } = broker.subscribe(r, 'q', 1);
    assert.equal(nextSeq, 6);
    assert.deepEqual(r.events, [], 'nothing is delivered inside subscribe');
    broker.resume(subscription);
    broker.publish('q', bytes('x'));
    assert.deepEqual(r.seqs(), range(1, 6));
    assert.equal(broker.topicStats('q').depth, 0);
  });

  test('a subscriber that is not writable is skipped; its share goes to the others', () => {
    const broker = queue();
    const a = new Recorder();
    const b = new Recorder();
    broker.subscribe(a, 'q', 1);
    const { subscription } = broker.subscribe(b, 'q', 1);
    b.close();
    for (let i = 0; i < 4; i++) broker.publish('q', bytes('x'));
    assert.deepEqual(a.seqs(), range(1, 4));
    a.close();
    for (let i = 0; i < 3; i++) broker.publish('q', bytes('x')); // nobody can take these
    assert.equal(broker.topicStats('q').depth, 3);
    b.open();
    broker.resume(subscription);
    assert.deepEqual(b.seqs(), [5, 6, 7]);
  });

  test('first deliveries leave in seq order for the whole topic, whoever takes them', () => {
    const broker = queue({ ack: AckMode.Manual, prefetch: 2 });
    const log: number[] = [];
    const rs = [new Recorder(), new Recorder(), new Recorder()];
    for (const r of rs) r.log = log;
    const subs = rs.map((r, i) => broker.subscribe(r, 'q', i + 1).subscription);
    const acked = new Set<number>();
    for (let i = 1; i <= 60; i++) {
      broker.publish('q', bytes('x'));
      if (i % 4 === 0) {
        const k = i % 3; // one consumer at a time acks what it holds
        for (const seq of rs[k]!.seqs()) {
          if (acked.has(seq)) continue;
          acked.add(seq);
          broker.ack(subs[k]!, seq);
        }
      }
    }
    assert.ok(log.length > 30);
    for (let i = 1; i < log.length; i++)
      assert.ok(log[i]! > log[i - 1]!, `seq ${log[i]} after ${log[i - 1]}`);
  });

  test('ack none: a delivery is done once handed over, and acking it is ACK_NOT_EXPECTED', () => {
    const broker = queue();
    const r = new Recorder();
    const { subscription } = broker.subscribe(r, 'q', 1);
    broker.publish('q', bytes('x'));
    throwsCode(() => broker.ack(subscription, 1), 'ACK_NOT_EXPECTED');
    assert.equal(broker.topicStats('q').inFlight, 0);
    broker.unsubscribe(subscription);
    assert.equal(broker.topicStats('q').depth, 0, 'nothing comes back when an ack-none consumer leaves');
  });

  test('prefetch caps unacked deliveries per subscriber; each ack lets one more through', () => {
    const broker = queue({ ack: AckMode.Manual, prefetch: 3 });
    const r = new Recorder();
    const { subscription } = broker.subscribe(r, 'q', 1);
    for (let i = 0; i < 10; i++) broker.publish('q', bytes('x'));
    assert.deepEqual(r.seqs(), [1, 2, 3]);
    assert.equal(broker.topicStats('q').inFlight, 3);
    assert.equal(broker.topicStats('q').depth, 7);
    broker.ack(subscription, 2);
    assert.deepEqual(r.seqs(), [1, 2, 3, 4]);
    broker.ack(subscription, 1);
    broker.ack(subscription, 4);
    assert.deepEqual(r.seqs(), range(1, 6));
    const stats = broker.topicStats('q');
    assert.equal(stats.acked, 3);
    assert.equal(stats.inFlight, 3);
  });

  test('acking a seq that is not unacked on that subscription is ACK_NOT_FOUND', () => {
    const broker = queue({ ack: AckMode.Manual });
    const a = new Recorder();
    const b = new Recorder();
    const sa = broker.subscribe(a, 'q', 1).subscription;
    const sb = broker.subscribe(b, 'q', 1).subscription;
    broker.publish('q', bytes('x')); // to a
    broker.publish('q', bytes('x')); // to b
    throwsCode(() => broker.ack(sa, 2), 'ACK_NOT_FOUND'); // b's, not a's
    throwsCode(() => broker.ack(sa, 99), 'ACK_NOT_FOUND');
    broker.ack(sa, 1);
    throwsCode(() => broker.ack(sa, 1), 'ACK_NOT_FOUND'); // twice
    broker.ack(sb, 2);
    assert.equal(broker.topicStats('q').acked, 2);
  });

  test('a larger prefetch set live hands out the new credit at once', () => {
    const broker = queue({ ack: AckMode.Manual, prefetch: 1 });
    const r = new Recorder();
    broker.subscribe(r, 'q', 1);
    for (let i = 0; i < 4; i++) broker.publish('q', bytes('x'));
    assert.deepEqual(r.seqs(), [1]);
    broker.updateTopic('q', { prefetch: 3 });
    assert.deepEqual(r.seqs(), [1, 2, 3]);
  });

  test('switching ack to none releases the cap and still accepts acks of earlier deliveries', () => {
    const broker = queue({ ack: AckMode.Manual, prefetch: 1 });
    const r = new Recorder();
    const { subscription } = broker.subscribe(r, 'q', 1);
    for (let i = 0; i < 3; i++) broker.publish('q', bytes('x'));
    broker.updateTopic('q', { ack: AckMode.None });
    assert.deepEqual(r.seqs(), [1, 2, 3]);
    broker.ack(subscription, 1);
    throwsCode(() => broker.ack(subscription, 2), 'ACK_NOT_EXPECTED');
  });
});
