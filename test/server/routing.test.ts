import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  MsgFlags,
  encodeAck,
  encodePub,
  encodeSub,
  encodePing,
  type Frame,
  Op,
  StartKind,
} from '../../src/protocol/index.ts';
import { errFields, type RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

function payloads(frames: Frame[]): string[] {
  return frames.map((f) => (f.op === 'MSG' ? f.payload.toString() : `<${f.op}>`));
}

async function subscribe(c: RawClient, sid: number, topic: string): Promise<void> {
  c.send(encodeSub(sid, topic, StartKind.New, 0));
  assert.equal((await c.next()).op, 'SUB_ACK');
}

describe('routing over real sockets', () => {
  let h: TestServer;
  before(async () => {
    h = await startTestServer({
      topics: [
        { name: 'fan', routing: 'Fanout' },
        { name: 'work', routing: 'Queue' },
        { name: 'jobs', routing: 'Queue', ack: 'manual', prefetch: 4 },
        { name: 'small', routing: 'Fanout', max_message_size: 8 },
        { name: 'tiny', routing: 'Queue', buffer_size: 2 },
        { name: 'doomed', routing: 'Fanout' },
      ],
    });
  });
  after(() => h.stop());

  test('fanout: three subscribers on separate connections each get every message, in order', async () => {
    const subs = await Promise.all([h.client('fan-1'), h.client('fan-2', { tcp: true }), h.client('fan-3')]);
    for (const s of subs) await subscribe(s, 1, 'fan');
    const pub = await h.client('fan-pub');
    const sent = Array.from({ length: 300 }, (_, i) => `m${i}`);
    pub.send(...sent.map((m) => encodePub('fan', Buffer.from(m))));
    for (const s of subs) assert.deepEqual(payloads(await s.take(300)), sent);
  });

  test('queue: messages are balanced round-robin across three consumer connections', async () => {
    const consumers = await Promise.all([h.client('q-1'), h.client('q-2'), h.client('q-3')]);
    for (const c of consumers) await subscribe(c, 7, 'work');
    const pub = await h.client('q-pub');
    pub.send(...Array.from({ length: 30 }, (_, i) => encodePub('work', Buffer.from(`w${i}`), i + 1)));
    const acks = await pub.take(30);
    assert.ok(acks.every((f) => f.op === 'PUBACK'));
    const got = await Promise.all(consumers.map((c) => c.take(10)));
    const all = got.flatMap(payloads).sort();
    assert.deepEqual(all, Array.from({ length: 30 }, (_, i) => `w${i}`).sort(), 'each message exactly once');
  });

  test('manual ack: a destroyed consumer connection has its unacked messages redelivered, flagged', async () => {
    const doomed = await h.client('ack-doomed');
    await subscribe(doomed, 1, 'jobs');
    const pub = await h.client('ack-pub');
    pub.send(...Array.from({ length: 6 }, (_, i) => encodePub('jobs', Buffer.from(`j${i}`), i + 1)));
    await pub.take(6);
    // prefetch 4: the doomed consumer holds 4 unacked; it acks one, then dies.
    const first = await doomed.take(4);
    const m0 = first[0]!;
    assert.equal(m0.op, 'MSG');
    if (m0.op === 'MSG') doomed.send(encodeAck(1, m0.seq));
    doomed.send(encodePing());
    assert.deepEqual(await doomed.next(), {
      op: 'MSG',
      sid: 1,
      seq: 5,
      flags: 0,
      deliveryCount: 1,
      payload: Buffer.from('j4'),
    });
    assert.deepEqual(await doomed.next(), { op: 'PONG' });
    doomed.destroy();
    assert.equal((await h.closeOf('ack-doomed')).reason, 'CLIENT_CLOSED');
    const heir = await h.client('ack-heir');
    await subscribe(heir, 2, 'jobs');
    const seen = new Map<string, Frame>();
    for (let i = 0; i < 5; i++) {
      // prefetch 4: acking as we go frees the credit the fifth needs.
      const f = await heir.next();
      assert.equal(f.op, 'MSG');
      if (f.op === 'MSG') {
        seen.set(f.payload.toString(), f);
        heir.send(encodeAck(2, f.seq));
      }
    }
    assert.deepEqual(
      [...seen.keys()].sort(),
      ['j1', 'j2', 'j3', 'j4', 'j5'],
      'every unacked message reaches someone',
    );
    for (const name of ['j1', 'j2', 'j3', 'j4']) {
      const f = seen.get(name);
      assert.ok(
        f?.op === 'MSG' && f.flags === MsgFlags.Redelivered && f.deliveryCount === 2,
        `${name} is flagged`,
      );
    }
    const fresh = seen.get('j5');
    assert.ok(fresh?.op === 'MSG' && fresh.flags === 0 && fresh.deliveryCount === 1);
    heir.send(encodePing());
    assert.deepEqual(await heir.next(), { op: 'PONG' }, 'the acks were accepted');
    assert.equal(h.server.broker.topicStats('jobs').inFlight, 0);
  });

  test('PUB with a confirm id is answered with PUBACK carrying the seq the message got', async () => {
    const pub = await h.client('confirm');
    const before = h.server.broker.topicStats('fan').nextSeq;
    pub.send(
      encodePub('fan', Buffer.from('a'), 41),
      encodePub('fan', Buffer.from('b')),
      encodePub('fan', Buffer.from('c'), 42),
    );
    assert.deepEqual(await pub.take(2), [
      { op: 'PUBACK', confirmId: 41, seq: before },
      { op: 'PUBACK', confirmId: 42, seq: before + 2 },
    ]);
  });

  const nonFatal: [string, Uint8Array, { code: string; refOp: number; ref: number }][] = [
    [
      'unknown topic',
      encodePub('nope', Buffer.from('x'), 5),
      { code: 'TOPIC_NOT_FOUND', refOp: Op.PUB, ref: 5 },
    ],
    [
      'unknown topic, no confirm',
      encodePub('nope', Buffer.from('x')),
      { code: 'TOPIC_NOT_FOUND', refOp: Op.PUB, ref: 0 },
    ],
    [
      'payload over max_message_size',
      encodePub('small', Buffer.alloc(9), 6),
      { code: 'MESSAGE_TOO_LARGE', refOp: Op.PUB, ref: 6 },
    ],
    [
      'subscribe to an unknown topic',
      encodeSub(3, 'nope', StartKind.New, 0),
      { code: 'TOPIC_NOT_FOUND', refOp: Op.SUB, ref: 3 },
    ],
    ['ack on no subscription', encodeAck(99, 1), { code: 'SUBSCRIPTION_NOT_FOUND', refOp: Op.ACK, ref: 99 }],
  ];
  for (const [name, frame, expected] of nonFatal) {
    test(`${name}: ERR ${expected.code} and the connection stays open`, async () => {
      const c = await h.client(`err-${name}`);
      c.send(frame, encodePing());
      assert.deepEqual(errFields(await c.next()), expected);
      assert.deepEqual(await c.next(), { op: 'PONG' });
    });
  }

  test('a full reject-policy queue answers QUEUE_FULL and keeps the publisher connected', async () => {
    const c = await h.client('full');
    c.send(...[1, 2, 3].map((id) => encodePub('tiny', Buffer.from('x'), id)), encodePing());
    const [a, b, full, pong] = await c.take(4);
    assert.equal(a?.op, 'PUBACK');
    assert.equal(b?.op, 'PUBACK');
    assert.deepEqual(errFields(full!), { code: 'QUEUE_FULL', refOp: Op.PUB, ref: 3 });
    assert.deepEqual(pong, { op: 'PONG' });
  });

  test('a reused sid is SUBSCRIPTION_EXISTS; the first subscription keeps working', async () => {
    const c = await h.client('dup');
    await subscribe(c, 4, 'fan');
    c.send(encodeSub(4, 'fan', StartKind.New, 0));
    assert.deepEqual(errFields(await c.next()), { code: 'SUBSCRIPTION_EXISTS', refOp: Op.SUB, ref: 4 });
    const pub = await h.client('dup-pub');
    pub.send(encodePub('fan', Buffer.from('still here')));
    const msg = await c.next();
    assert.ok(msg.op === 'MSG' && msg.sid === 4 && msg.payload.toString() === 'still here');
  });

  test('a deleted topic ends its subscriptions with ERR TOPIC_DELETED (ref = sid), not the connection', async () => {
    const c = await h.client('deleted');
    await subscribe(c, 12, 'doomed');
    h.server.broker.deleteTopic('doomed');
    assert.deepEqual(errFields(await c.next()), { code: 'TOPIC_DELETED', refOp: Op.SUB, ref: 12 });
    c.send(encodePub('doomed', Buffer.from('x'), 1), encodePing());
    assert.deepEqual(errFields(await c.next()), { code: 'TOPIC_NOT_FOUND', refOp: Op.PUB, ref: 1 });
    assert.deepEqual(await c.next(), { op: 'PONG' });
  });
});
