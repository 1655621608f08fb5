import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it, type TestContext } from 'node:test';
import { type Client, connect, type Message, type MyceliumError } from '../../src/client/index.ts';
import {
  encodeErr,
  encodeMsg,
  encodePubAck,
  encodeSubAck,
  encodeUnsubAck,
  Op,
  StartKind,
} from '../../src/protocol/index.ts';
import { type Peer, ScriptedServer } from './helpers/scripted-server.ts';

let server: ScriptedServer;

/**
 * A client connected to the scripted server, and its peer there. The client is closed after test
 * `t` (it reconnects: left open by a failed assertion, it would keep the file running).
 */
async function connected(
  t: TestContext,
  options: Parameters<typeof connect>[1] = {},
): Promise<{ client: Client; peer: Peer }> {
  const connecting = connect(server.url, { reconnectDelayMs: 1, ...options });
  const peer = await server.accept();
  await peer.welcome();
  const client = await connecting;
  t.after(() => client.close());
  return { client, peer };
}

describe('client session over reconnects (scripted server)', () => {
  before(async () => {
    server = await ScriptedServer.start();
  });
  after(() => server.close());

  it('after a reconnect a fanout subscription resumes at last seq + 1, ahead of the publishes held meanwhile', async (t) => {
    const { client, peer } = await connected(t);
    const sub = client.subscribe('t');
    const subFrame = await peer.expect('SUB');
    assert.deepEqual([subFrame.sid, subFrame.startKind, subFrame.topic], [sub.sid, StartKind.New, 't']);
    peer.send(
      encodeSubAck(sub.sid, 5),
      encodeMsg(sub.sid, 5, Buffer.from('a')),
      encodeMsg(sub.sid, 6, Buffer.from('b')),
    );
    await sub.ready;
    const it = sub[Symbol.asyncIterator]();
    assert.equal(((await it.next()).value as Message).seq, 5);
    assert.equal(((await it.next()).value as Message).seq, 6);
    const inFlight = client.publish('t', 'sent', { confirm: true });
    await peer.expect('PUB');

    const lost = once(client, 'disconnect');
    peer.socket.destroy();
    await lost;
    await assert.rejects(inFlight, { code: 'CONNECTION_CLOSED' });
    assert.equal(client.connected, false);
    client.publish('t', 'held');
    const held = client.publish('t', 'held-confirmed', { confirm: true });

    const peer2 = await server.accept();
    await peer2.welcome();
    const resub = await peer2.next();
    assert.deepEqual(resub, {
      op: 'SUB',
      sid: sub.sid,
      startKind: StartKind.FromSeq,
      startValue: 7,
      topic: 't',
    });
    const pub1 = await peer2.next();
    const pub2 = await peer2.next();
    assert.equal(pub1.op === 'PUB' && pub1.payload.toString(), 'held');
    assert.ok(pub2.op === 'PUB' && pub2.confirmId > 0 && pub2.payload.toString() === 'held-confirmed');
    if (pub2.op !== 'PUB') return;
    peer2.send(
      encodePubAck(pub2.confirmId, 9),
      encodeSubAck(sub.sid, 7),
      encodeMsg(sub.sid, 7, Buffer.from('c')),
    );
    assert.equal(await held, 9);
    assert.equal(((await it.next()).value as Message).seq, 7);
  });

  it('while disconnected publishes beyond reconnectBufferBytes are dropped, counted and reported once', async (t) => {
    const { client, peer } = await connected(t, { reconnectBufferBytes: 100 });
    const errors: MyceliumError[] = [];
    client.on('error', (e) => errors.push(e as MyceliumError));
    const lost = once(client, 'disconnect');
    peer.socket.destroy();
    await lost;
    // Each frame: 10 header + 1 topic + 34 payload = 45 bytes; two fit in 100.
    const payload = 'x'.repeat(34);
    client.publish('t', payload);
    client.publish('t', payload);
    client.publish('t', payload);
    client.publish('t', payload);
    await assert.rejects(client.publish('t', payload, { confirm: true }), { code: 'RECONNECT_BUFFER_FULL' });
    assert.equal(client.stats.droppedPublishes, 2);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'RECONNECT_BUFFER_FULL');
    const peer2 = await server.accept();
    await peer2.welcome();
    await peer2.expect('PUB');
    await peer2.expect('PUB');
    await client.flush();
    assert.equal(peer2.frames.filter((f) => f.op === 'PUB').length, 2);
  });

  it('an AUTH_FAILED answer on reconnect stops reconnecting and closes with that cause', async (t) => {
    const { client, peer } = await connected(t);
    const sub = client.subscribe('t');
    const closed = once(client, 'close');
    peer.socket.destroy();
    const peer2 = await server.accept();
    await peer2.expect('HELLO');
    peer2.send(encodeErr('AUTH_FAILED', Op.HELLO, 0, 'token rotated'));
    peer2.socket.end();
    const [reason] = (await closed) as [MyceliumError];
    assert.equal(reason.code, 'CONNECTION_CLOSED');
    assert.equal((reason.cause as MyceliumError).code, 'AUTH_FAILED');
    await assert.rejects(sub[Symbol.asyncIterator]().next(), { code: 'CONNECTION_CLOSED' });
    assert.throws(() => client.publish('t', 'x'), { code: 'CONNECTION_CLOSED' });
  });

  it('when reconnecting gives up, held confirmed publishes are rejected with CONNECTION_CLOSED', async (t) => {
    const own = await ScriptedServer.start();
    t.after(() => own.close());
    const connecting = connect(own.url, { reconnectDelayMs: 1, maxReconnectAttempts: 2 });
    const peer = await own.accept();
    await peer.welcome();
    const client = await connecting;
    t.after(() => client.close());
    await own.close();
    await once(client, 'disconnect');
    const held = client.publish('t', 'x', { confirm: true });
    const [reason] = (await once(client, 'close')) as [MyceliumError];
    assert.match(reason.message, /gave up reconnecting/);
    await assert.rejects(held, { code: 'CONNECTION_CLOSED' });
  });

  it('unsubscribe sends UNSUB; messages before UNSUB_ACK are delivered, then the iterator ends', async (t) => {
    const { client, peer } = await connected(t);
    const sub = client.subscribe('t');
    await peer.expect('SUB');
    peer.send(encodeSubAck(sub.sid, 1));
    await sub.ready;
    const done = sub.unsubscribe();
    const unsub = await peer.expect('UNSUB');
    assert.equal(unsub.sid, sub.sid);
    peer.send(encodeMsg(sub.sid, 1, Buffer.from('late')), encodeUnsubAck(sub.sid));
    await done;
    const seen: string[] = [];
    for await (const msg of sub) seen.push(Buffer.from(msg.data).toString());
    assert.deepEqual(seen, ['late']);
  });

  it('an ERR naming a subscription ends it; one answering a fire-and-forget publish goes to the error event', async (t) => {
    const { client, peer } = await connected(t);
    const sub = client.subscribe('gone');
    await peer.expect('SUB');
    peer.send(encodeSubAck(sub.sid, 1));
    await sub.ready;
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    peer.send(encodeErr('TOPIC_DELETED', Op.SUB, sub.sid, 'topic gone was deleted'));
    await assert.rejects(sub[Symbol.asyncIterator]().next(), { code: 'TOPIC_DELETED' });
    client.publish('nope', 'x');
    await peer.expect('PUB');
    peer.send(encodeErr('TOPIC_NOT_FOUND', Op.PUB, 0, 'no topic nope'));
    await once(client, 'error');
    assert.equal((errors[0] as MyceliumError).code, 'TOPIC_NOT_FOUND');
  });

  it('close() still writes what was batched, then ends the connection', async (t) => {
    const { client, peer } = await connected(t);
    client.publish('t', 'last words');
    await client.close();
    const pub = await peer.expect('PUB');
    assert.equal(pub.payload.toString(), 'last words');
    await peer.closed;
    assert.equal(client.closed, true);
  });

  it('close() rejects confirms the server has not answered with CONNECTION_CLOSED', async (t) => {
    const { client, peer } = await connected(t);
    const pending = client.publish('t', 'x', { confirm: true });
    await peer.expect('PUB');
    await client.close();
    await assert.rejects(pending, { code: 'CONNECTION_CLOSED' });
  });

  it('drain() unsubscribes everything and waits for confirms in flight before closing', async (t) => {
    const { client, peer } = await connected(t);
    const sub = client.subscribe('t');
    await peer.expect('SUB');
    peer.send(encodeSubAck(sub.sid, 1));
    const confirmed = client.publish('t', 'x', { confirm: true });
    const pub = await peer.expect('PUB');
    let drained = false;
    const draining = client.drain().then(() => {
      drained = true;
    });
    const unsub = await peer.expect('UNSUB');
    peer.send(encodeUnsubAck(unsub.sid));
    await new Promise((r) => setImmediate(r));
    assert.equal(drained, false, 'a confirm is still in flight');
    peer.send(encodePubAck(pub.confirmId, 3));
    await draining;
    assert.equal(await confirmed, 3);
    assert.equal(sub.ended, true);
    await peer.closed;
  });
});
