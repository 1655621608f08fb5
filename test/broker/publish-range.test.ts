import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Broker, OverflowPolicy, Routing, type Subscription } from '../../src/broker/index.ts';
import { MyceliumError } from '../../src/errors.ts';
import { bytes, Recorder, range, throwsCode } from './helpers.ts';

/** A Recorder that also takes deliveries by range, copying the bytes out as a connection does. */
class RangeRecorder extends Recorder {
  /** Deliveries that came through deliverRange (the rest came through deliver). */
  rangeCalls = 0;

  deliverRange(
    sub: Subscription,
    seq: number,
    buf: Uint8Array,
    start: number,
    end: number,
    flags: number,
    count: number,
  ): void {
    this.rangeCalls++;
    this.deliver(sub, seq, buf.slice(start, end), flags, count);
  }
}

/**
 * One buffer holding several payloads back to back between '#' guard bytes, as a server's read
 * buffer holds several frames: `[start, end)` of each text.
 */
function packed(texts: string[]): { buf: Uint8Array; ranges: [number, number][] } {
  const whole = `#${texts.join('#')}#`;
  const ranges: [number, number][] = [];
  let at = 1;
  for (const t of texts) {
    ranges.push([at, at + t.length]);
    at += t.length + 1;
  }
  return { buf: bytes(whole), ranges };
}

function topicBroker(routing: Routing, extra: Record<string, unknown> = {}): Broker {
  const broker = new Broker();
  broker.createTopic('t', { routing, maxMessageSize: 8, ...extra });
  return broker;
}

describe('publish by range: fanout', () => {
  test('a range subscriber and a plain subscriber both get exactly the bytes start..end', () => {
    const broker = topicBroker(Routing.Fanout);
    const r = new RangeRecorder();
    const p = new Recorder();
    broker.subscribe(r, 't', 1);
    broker.subscribe(p, 't', 2);
    const texts = ['a', 'bb', '', 'dddddddd', 'e'];
    const { buf, ranges } = packed(texts);
    for (const [i, [start, end]] of ranges.entries()) {
      assert.equal(broker.publish('t', buf, start, end), i + 1);
    }
    for (const rec of [r, p]) {
      assert.deepEqual(rec.seqs(), range(1, texts.length));
      assert.deepEqual(
        rec.msgs().map((m) => m.text),
        texts,
      );
      assert.ok(rec.msgs().every((m) => m.flags === 0 && m.count === 1));
    }
    assert.equal(r.rangeCalls, texts.length, 'the range subscriber is called through deliverRange');
    assert.ok(
      p.payloads.every((v, i) => v.length === texts[i]!.length && v.buffer === buf.buffer),
      'the plain subscriber gets a view of the range, not a copy',
    );
    const stats = broker.topicStats('t');
    assert.equal(stats.published, texts.length);
    assert.equal(stats.publishedBytes, texts.join('').length);
    assert.equal(stats.delivered, 2 * texts.length);
  });

  test('a whole-payload publish also reaches a range subscriber through deliverRange', () => {
    const broker = topicBroker(Routing.Fanout);
    const r = new RangeRecorder();
    broker.subscribe(r, 't', 1);
    broker.publish('t', bytes('whole'));
    assert.deepEqual(
      r.msgs().map((m) => m.text),
      ['whole'],
    );
    assert.equal(r.rangeCalls, 1);
  });

  test('a lagging subscriber catches up from the ring with the bytes of each range', () => {
    const broker = topicBroker(Routing.Fanout, { bufferSize: 100 });
    const plain = new Recorder();
    const ranged = new RangeRecorder();
    plain.budget = 1;
    ranged.budget = 2;
    const { subscription: ps } = broker.subscribe(plain, 't', 1);
    const { subscription: rs } = broker.subscribe(ranged, 't', 2);
    const texts = ['m1', 'm2', 'm3xx', 'm4', 'm5yyyyy'];
    const { buf, ranges } = packed(texts);
    for (const [start, end] of ranges) broker.publish('t', buf, start, end);
    assert.deepEqual(plain.seqs(), [1]);
    assert.deepEqual(ranged.seqs(), [1, 2]);
    plain.open();
    ranged.open();
    broker.resume(ps);
    broker.resume(rs);
    for (const rec of [plain, ranged]) {
      assert.deepEqual(rec.seqs(), range(1, 5));
      assert.deepEqual(
        rec.msgs().map((m) => m.text),
        texts,
      );
    }
    assert.equal(ranged.rangeCalls, 5, 'catch-up from the ring comes by range too, of the ring itself');
  });

  test('a subscriber that fell out of the ring is told LAGGED, then gets the held ranges intact', () => {
    const broker = topicBroker(Routing.Fanout, { bufferSize: 2 });
    const rec = new RangeRecorder();
    rec.close();
    const { subscription } = broker.subscribe(rec, 't', 1);
    const texts = ['one', 'two', 'three', 'four'];
    const { buf, ranges } = packed(texts);
    for (const [start, end] of ranges) broker.publish('t', buf, start, end);
    rec.open();
    broker.resume(subscription);
    assert.deepEqual(rec.events[0], { kind: 'lagged', sid: 1, from: 1, count: 2 });
    assert.deepEqual(
      rec.msgs().map((m) => [m.seq, m.text]),
      [
        [3, 'three'],
        [4, 'four'],
      ],
    );
  });
});

describe('publish by range: checks', () => {
  test('a range longer than max_message_size is refused with MESSAGE_TOO_LARGE; the buffer may be larger', () => {
    for (const routing of [Routing.Fanout, Routing.Queue]) {
      const broker = topicBroker(routing);
      const rec = new Recorder();
      broker.subscribe(rec, 't', 1);
      const buf = new Uint8Array(64).fill(0x61);
      throwsCode(() => broker.publish('t', buf, 10, 19), 'MESSAGE_TOO_LARGE');
      assert.equal(broker.topicStats('t').published, 0, `${routing}: nothing accepted`);
      assert.equal(broker.publish('t', buf, 10, 18), 1, `${routing}: 8 bytes of a 64-byte buffer fit`);
      assert.deepEqual(
        rec.msgs().map((m) => m.text),
        ['aaaaaaaa'],
      );
    }
  });

  test('start and end outside the buffer, reversed or not integers are INVALID_ARGUMENT', () => {
    const buf = new Uint8Array(10);
    const cases: [label: string, start: number, end: number][] = [
      ['negative start', -1, 3],
      ['end past the buffer', 0, 11],
      ['start past end', 5, 4],
      ['start past the buffer', 11, 11],
      ['fractional start', 0.5, 3],
      ['fractional end', 0, 2.5],
      ['NaN start', Number.NaN, 3],
      ['infinite end', 0, Number.POSITIVE_INFINITY],
    ];
    for (const routing of [Routing.Fanout, Routing.Queue]) {
      const broker = topicBroker(routing);
      for (const [label, start, end] of cases) {
        assert.throws(
          () => broker.publish('t', buf, start, end),
          (e: unknown) => e instanceof MyceliumError && e.code === 'INVALID_ARGUMENT',
          `${routing}: ${label}`,
        );
      }
      assert.equal(broker.topicStats('t').published, 0);
    }
  });

  test('a start without an end is INVALID_ARGUMENT (callers outside TypeScript)', () => {
    const broker = topicBroker(Routing.Fanout);
    const publish: (topic: string, buf: Uint8Array, start?: number, end?: number) => number =
      broker.publish.bind(broker);
    throwsCode(() => publish('t', new Uint8Array(4), 1), 'INVALID_ARGUMENT');
    throwsCode(() => publish('t', new Uint8Array(4), undefined, 2), 'INVALID_ARGUMENT');
  });

  test('an empty range is a zero-length message', () => {
    const broker = topicBroker(Routing.Fanout);
    const rec = new RangeRecorder();
    broker.subscribe(rec, 't', 1);
    assert.equal(broker.publish('t', new Uint8Array(4), 4, 4), 1);
    assert.deepEqual(
      rec.msgs().map((m) => m.text),
      [''],
    );
  });

  test('a range to an unknown topic or through a stale handle is TOPIC_NOT_FOUND', () => {
    const broker = topicBroker(Routing.Fanout);
    const handle = broker.getTopic('t')!;
    throwsCode(() => broker.publish('nope', new Uint8Array(4), 0, 2), 'TOPIC_NOT_FOUND');
    broker.deleteTopic('t');
    broker.createTopic('t', { routing: Routing.Fanout });
    throwsCode(() => broker.publish(handle, new Uint8Array(4), 0, 2), 'TOPIC_NOT_FOUND');
  });
});

describe('publish by range: queue', () => {
  test('each range goes to one consumer, and a waiting one keeps its bytes until taken', () => {
    const broker = topicBroker(Routing.Queue);
    const a = new RangeRecorder();
    const b = new Recorder();
    const { subscription: sa } = broker.subscribe(a, 't', 1);
    broker.subscribe(b, 't', 2);
    const texts = ['q1', 'q2', 'q3', 'q4'];
    const { buf, ranges } = packed(texts);
    broker.publish('t', buf, ranges[0]![0], ranges[0]![1]);
    broker.publish('t', buf, ranges[1]![0], ranges[1]![1]);
    b.close();
    a.close();
    broker.publish('t', buf, ranges[2]![0], ranges[2]![1]);
    broker.publish('t', buf, ranges[3]![0], ranges[3]![1]);
    assert.equal(broker.topicStats('t').depth, 2);
    a.open();
    broker.resume(sa);
    const got = [...a.msgs(), ...b.msgs()].sort((x, y) => x.seq - y.seq);
    assert.deepEqual(
      got.map((m) => [m.seq, m.text]),
      texts.map((t, i) => [i + 1, t]),
    );
    assert.deepEqual(a.seqs(), [1, 3, 4]);
    assert.equal(
      a.rangeCalls,
      1,
      'a message handed straight on comes by range, those that waited through deliver',
    );
  });

  test('a full queue refuses a range with QUEUE_FULL under reject and under an ignored block', () => {
    for (const overflow of [OverflowPolicy.Reject, OverflowPolicy.Block]) {
      const broker = topicBroker(Routing.Queue, { bufferSize: 1, overflow });
      const { buf, ranges } = packed(['x1', 'x2']);
      broker.publish('t', buf, ranges[0]![0], ranges[0]![1]);
      assert.equal(broker.canPublish('t'), overflow !== OverflowPolicy.Block);
      throwsCode(() => broker.publish('t', buf, ranges[1]![0], ranges[1]![1]), 'QUEUE_FULL');
      const rec = new Recorder();
      broker.resume(broker.subscribe(rec, 't', 1).subscription);
      assert.deepEqual(
        rec.msgs().map((m) => m.text),
        ['x1'],
        `${overflow}: the waiting message is intact`,
      );
    }
  });
});
