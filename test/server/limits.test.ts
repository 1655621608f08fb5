import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  encodeAck,
  encodePing,
  encodePong,
  encodePub,
  encodeSub,
  MsgFlags,
  Op,
  StartKind,
} from '../../src/protocol/index.ts';
import { errFields, RawClient } from './helpers/raw-client.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const MAX_CONNECTIONS = 3;
const MAX_SUBS = 2;
const MAX_FRAME = 4096;

describe('connection limits', () => {
  let h: TestServer;
  before(async () => {
    h = await startTestServer({
      server: {
        max_connections: MAX_CONNECTIONS,
        max_subscriptions_per_connection: MAX_SUBS,
        max_frame_size: MAX_FRAME,
      },
      topics: [
        { name: 'a', routing: 'Fanout', max_message_size: MAX_FRAME - 1024 },
        { name: 'b', routing: 'Fanout', max_message_size: 1024 },
        { name: 'c', routing: 'Fanout', max_message_size: 1024 },
      ],
    });
  });
  after(() => h.stop());

  test('max_connections: N clients are served, client N+1 gets MAX_CONNECTIONS, the others keep working', async () => {
    const clients = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++)
      clients.push(await h.client(`limit-${i}`, { tcp: i % 2 === 1 }));
    const extra = await RawClient.connect(h.unix);
    const frames = await extra.untilClosed();
    assert.deepEqual(frames.map(errFields), [{ code: 'MAX_CONNECTIONS', refOp: 0, ref: 0 }]);
    await h.closesWhere((i) => i.reason === 'MAX_CONNECTIONS');
    for (const c of clients) {
      c.send(encodePing());
      assert.deepEqual(await c.next(), { op: 'PONG' });
    }
    assert.equal(h.server.connections.count, MAX_CONNECTIONS);
    // A slot freed by a leaving client can be taken again.
    clients[0]!.destroy();
    await h.closeOf('limit-0');
    const again = await h.client('limit-again');
    again.send(encodePing());
    assert.deepEqual(await again.next(), { op: 'PONG' });
    for (const c of [...clients.slice(1), again]) c.destroy();
    await h.closesWhere((i) => i.clientName.startsWith('limit-'), MAX_CONNECTIONS + 1);
  });

  test('max_subscriptions_per_connection: N subscriptions are accepted, N+1 is TOO_MANY_SUBSCRIPTIONS', async () => {
    const c = await h.client('subs');
    c.send(
      encodeSub(1, 'a', StartKind.New, 0),
      encodeSub(2, 'b', StartKind.New, 0),
      encodeSub(3, 'c', StartKind.New, 0),
    );
    const [one, two, three] = await c.take(3);
    assert.equal(one?.op, 'SUB_ACK');
    assert.equal(two?.op, 'SUB_ACK');
    assert.deepEqual(errFields(three!), { code: 'TOO_MANY_SUBSCRIPTIONS', refOp: Op.SUB, ref: 3 });
    c.send(encodePing());
    assert.deepEqual(await c.next(), { op: 'PONG' }, 'not fatal');
    c.destroy();
    await h.closeOf('subs');
  });

  test('max_frame_size: a frame of length N is decoded, N+1 is FRAME_TOO_LARGE and closes', async () => {
    const c = await h.client('frames');
    // length = op(1) + confirm(4) + topic_len(1) + topic(1) + payload
    const atLimit = encodePub('a', Buffer.alloc(MAX_FRAME - 7), 1);
    assert.equal(atLimit.readUInt32BE(0), MAX_FRAME);
    c.send(atLimit, encodePing());
    assert.deepEqual(errFields(await c.next()), { code: 'MESSAGE_TOO_LARGE', refOp: Op.PUB, ref: 1 });
    assert.deepEqual(await c.next(), { op: 'PONG' });
    c.send(encodePub('a', Buffer.alloc(MAX_FRAME - 6), 2));
    const frames = await c.untilClosed();
    assert.equal(errFields(frames[0]!).code, 'FRAME_TOO_LARGE');
    assert.equal((await h.closeOf('frames')).reason, 'FRAME_TOO_LARGE');
  });
});

describe('heartbeats', () => {
  let h: TestServer;
  before(async () => {
    h = await startTestServer({
      server: { heartbeat_interval_ms: 100, heartbeat_max_missed: 2 },
      topics: [{ name: 'hb', routing: 'Queue', ack: 'manual', prefetch: 10 }],
    });
  });
  after(() => h.stop());

  test('a peer that never answers PING is closed with HEARTBEAT_TIMEOUT and its unacked messages are redelivered', async () => {
    const silent = await h.client('silent');
    silent.send(encodeSub(1, 'hb', StartKind.New, 0));
    assert.equal((await silent.next()).op, 'SUB_ACK');
    const pub = await h.client('hb-pub');
    pub.send(encodePub('hb', Buffer.from('x1'), 1), encodePub('hb', Buffer.from('x2'), 2));
    assert.equal((await silent.next()).op, 'MSG');
    assert.equal((await silent.next()).op, 'MSG');
    const rest = await silent.untilClosed();
    assert.deepEqual(
      rest.map((f) => (f.op === 'ERR' ? errFields(f).code : f.op)),
      ['PING', 'PING', 'HEARTBEAT_TIMEOUT'],
    );
    assert.equal((await h.closeOf('silent')).reason, 'HEARTBEAT_TIMEOUT');
    const heir = await h.client('heir');
    heir.send(encodeSub(2, 'hb', StartKind.New, 0));
    assert.equal((await heir.next()).op, 'SUB_ACK');
    for (const payload of ['x1', 'x2']) {
      const m = await heir.next();
      assert.ok(m.op === 'MSG' && m.payload.toString() === payload && m.flags === MsgFlags.Redelivered);
      if (m.op === 'MSG') heir.send(encodeAck(2, m.seq));
    }
  });

  test('a peer that answers PINGs stays connected past several intervals', async () => {
    const c = await h.client('lively');
    for (let i = 0; i < 4; i++) {
      const ping = await c.next();
      assert.deepEqual(ping, { op: 'PING' });
      c.send(encodePong());
    }
    assert.equal(
      h.server.connections.list().some((i) => i.clientName === 'lively'),
      true,
    );
    c.destroy();
  });
});
