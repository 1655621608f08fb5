import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  encodePing,
  encodePub,
  encodeSub,
  encodeUnsub,
  type Frame,
  Op,
  StartKind,
  writePubHeader,
} from '../../src/protocol/index.ts';
import { errFields } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/** A PUB frame with topic bytes the encoder would refuse (the decoder reports INVALID_TOPIC). */
function rawPub(topic: string, confirmId: number): Buffer {
  const t = Buffer.from(topic, 'latin1');
  const out = Buffer.alloc(10 + t.length + 1);
  writePubHeader(out, 0, confirmId, t, 1);
  return out;
}

describe('subscriptions', () => {
  let h: TestServer;
  before(async () => {
    h = await startTestServer({
      topics: [
        { name: 'plain', routing: 'Fanout' },
        { name: 'hist', routing: 'Fanout', buffer_size: 100 },
        { name: 'lag', routing: 'Fanout', buffer_size: 10, max_message_size: 8192 },
      ],
    });
  });
  after(() => h.stop());

  test('UNSUB is answered with UNSUB_ACK and no MSG follows for that sid; a second UNSUB is SUBSCRIPTION_NOT_FOUND', async () => {
    const c = await h.client('unsub');
    c.send(encodeSub(5, 'plain', StartKind.New, 0));
    assert.equal((await c.next()).op, 'SUB_ACK');
    c.send(encodePub('plain', Buffer.from('before')));
    assert.equal((await c.next()).op, 'MSG');
    c.send(encodeUnsub(5), encodePub('plain', Buffer.from('after')), encodePing());
    assert.deepEqual(await c.take(2), [{ op: 'UNSUB_ACK', sid: 5 }, { op: 'PONG' }]);
    c.send(encodeUnsub(5));
    assert.deepEqual(errFields(await c.next()), { code: 'SUBSCRIPTION_NOT_FOUND', refOp: Op.UNSUB, ref: 5 });
    assert.equal(h.server.connections.list().find((i) => i.clientName === 'unsub')?.subscriptions, 0);
  });

  test('replays: last N and from a seq deliver what the buffer holds, after SUB_ACK', async () => {
    const pub = await h.client('hist-pub');
    pub.send(...[1, 2, 3, 4, 5].map((i) => encodePub('hist', Buffer.from(`h${i}`), i)));
    await pub.take(5);
    const c = await h.client('hist-sub');
    c.send(encodeSub(1, 'hist', StartKind.LastN, 3));
    assert.deepEqual(await c.next(), { op: 'SUB_ACK', sid: 1, nextSeq: 3 });
    const last = await c.take(3);
    assert.deepEqual(
      last.map((f) => (f.op === 'MSG' ? [f.seq, f.payload.toString()] : f.op)),
      [
        [3, 'h3'],
        [4, 'h4'],
        [5, 'h5'],
      ],
    );
    c.send(encodeSub(2, 'hist', StartKind.FromSeq, 2));
    assert.deepEqual(await c.next(), { op: 'SUB_ACK', sid: 2, nextSeq: 2 });
    const from = await c.take(4);
    assert.deepEqual(
      from.map((f) => (f.op === 'MSG' ? f.seq : -1)),
      [2, 3, 4, 5],
    );
  });

  test('a subscriber that falls behind the buffer gets LAGGED covering every skipped seq, then the rest in order', async () => {
    const sub = await h.client('lagger');
    sub.send(encodeSub(1, 'lag', StartKind.New, 0));
    const ack = await sub.next();
    const firstSeq = ack.op === 'SUB_ACK' ? ack.nextSeq : 0;
    sub.socket.pause();
    const pub = await h.client('lag-pub');
    const total = 600;
    for (let i = 0; i < total; i += 20) {
      pub.send(
        ...Array.from({ length: 20 }, (_, k) => encodePub('lag', Buffer.alloc(4096), k === 19 ? i + 1 : 0)),
      );
      assert.equal((await pub.next()).op, 'PUBACK');
    }
    sub.socket.resume();
    let expected = firstSeq;
    let lagged = 0;
    while (expected < firstSeq + total) {
      const f: Frame = await sub.next();
      if (f.op === 'LAGGED') {
        assert.equal(f.fromSeq, expected, 'a LAGGED starts where the deliveries stopped');
        expected += f.count;
        lagged++;
      } else {
        assert.equal(f.op, 'MSG');
        if (f.op === 'MSG') assert.equal(f.seq, expected, 'no gap without a LAGGED');
        expected++;
      }
    }
    assert.ok(lagged >= 1, 'the frozen period produced a LAGGED notice');
    assert.equal(expected, firstSeq + total);
  });

  test('a PUB with a bad topic name is INVALID_TOPIC and the connection stays open', async () => {
    const c = await h.client('bad-topic');
    c.send(rawPub('a..b', 9), rawPub('x*', 10), encodePing());
    assert.deepEqual(errFields(await c.next()), { code: 'INVALID_TOPIC', refOp: Op.PUB, ref: 9 });
    assert.deepEqual(errFields(await c.next()), { code: 'INVALID_TOPIC', refOp: Op.PUB, ref: 10 });
    assert.deepEqual(await c.next(), { op: 'PONG' });
  });

  // The server checks PUB topic bytes only for names its per-connection cache does not hold, so
  // bad names come after a good one is cached, some sharing its bytes.
  const PUB_TOPICS: ReadonlyArray<readonly [string, string]> = [
    ['plain', 'PUBACK'],
    ['plain.', 'INVALID_TOPIC'],
    ['.plain', 'INVALID_TOPIC'],
    ['plai*', 'INVALID_TOPIC'],
    ['pl\x80in', 'INVALID_TOPIC'],
    ['plain', 'PUBACK'],
    ['plai', 'TOPIC_NOT_FOUND'],
    ['plain.x', 'TOPIC_NOT_FOUND'],
    ['a..b', 'INVALID_TOPIC'],
    ['hist', 'PUBACK'],
    // Same lengths as cached names, differing in the word-compared part or in the tail byte.
    ['hisT', 'TOPIC_NOT_FOUND'],
    ['plaim', 'TOPIC_NOT_FOUND'],
    ['qlain', 'TOPIC_NOT_FOUND'],
    ['hist', 'PUBACK'],
  ];

  test('PUB topics after a cached one: each answered by what its bytes are', async () => {
    const c = await h.client('cached-topics');
    c.send(...PUB_TOPICS.map(([topic], i) => rawPub(topic, i + 1)));
    for (const [i, [topic, answer]] of PUB_TOPICS.entries()) {
      const frame = await c.next();
      if (answer === 'PUBACK') {
        assert.equal(frame.op, 'PUBACK', topic);
      } else {
        assert.deepEqual(errFields(frame), { code: answer, refOp: Op.PUB, ref: i + 1 }, topic);
      }
    }
  });
});
