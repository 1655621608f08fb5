import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { next, OpenClients } from './helpers/clients.ts';
import { CuttableProxy } from './helpers/proxy.ts';
import { type RealServer, startRealServer } from './helpers/real-server.ts';

const FAST_RETRY = { reconnectDelayMs: 2, maxReconnectDelayMs: 20, maxReconnectAttempts: Infinity };

describe('reconnect against a real server', () => {
  let rs: RealServer;
  let proxy: CuttableProxy;
  const clients = new OpenClients();
  const open = clients.open;
  before(async () => {
    rs = await startRealServer();
    proxy = await CuttableProxy.start(rs.socketPath);
  });
  after(async () => {
    await clients.closeAll();
    await proxy.close();
    await rs.stop();
  });

  it('a fanout subscription cut off resumes at the seq after the last it saw: nothing lost, nothing twice', async () => {
    const subscriber = await open(proxy.url, FAST_RETRY);
    const sub = subscriber.subscribe('events');
    await sub.ready;
    const it = sub[Symbol.asyncIterator]();
    const publisher = await open(rs.unixUrl);
    const publish = async (label: string) => publisher.publish('events', label, { confirm: true });

    const before: number[] = [];
    for (let i = 0; i < 5; i++) before.push(await publish(`before-${i}`));
    assert.deepEqual(
      (await next(it, 5)).map((m) => m.seq),
      before,
    );

    proxy.refusing = true;
    const lost = once(subscriber, 'disconnect');
    proxy.cut();
    await lost;
    const whileDown: number[] = [];
    for (let i = 0; i < 5; i++) whileDown.push(await publish(`down-${i}`));
    const back = once(subscriber, 'reconnect');
    proxy.refusing = false;
    await back;
    const afterwards: number[] = [];
    for (let i = 0; i < 3; i++) afterwards.push(await publish(`after-${i}`));

    const got = await next(it, 8);
    assert.deepEqual(
      got.map((m) => m.seq),
      [...whileDown, ...afterwards],
    );
    assert.deepEqual(got.map((m) => Buffer.from(m.data).toString()).slice(0, 2), ['down-0', 'down-1']);
    assert.equal(subscriber.stats.reconnects, 1);
  });

  it('a queue subscription cut off subscribes again and takes what waited meanwhile', async () => {
    const consumer = await open(proxy.url, FAST_RETRY);
    const sub = consumer.subscribe('work');
    await sub.ready;
    const it = sub[Symbol.asyncIterator]();
    const producer = await open(rs.unixUrl);
    proxy.refusing = true;
    const serverSawClose = once(rs.server, 'connection_closed');
    const lost = once(consumer, 'disconnect');
    proxy.cut();
    await Promise.all([lost, serverSawClose]);
    for (let i = 0; i < 3; i++) await producer.publish('work', `job-${i}`, { confirm: true });
    proxy.refusing = false;
    const got = await next(it, 3);
    assert.deepEqual(
      got.map((m) => Buffer.from(m.data).toString()),
      ['job-0', 'job-1', 'job-2'],
    );
  });

  it('across a server restart, publishes made while it was down are sent after reconnecting', async () => {
    const client = await open(rs.unixUrl, FAST_RETRY);
    const sub = client.subscribe('events');
    await sub.ready;
    const it = sub[Symbol.asyncIterator]();
    await client.publish('events', 'first life', { confirm: true });
    await next(it, 1);

    const lost = once(client, 'disconnect');
    await rs.down();
    await lost;
    client.publish('events', 'fire-and-forget while down');
    const confirmed = client.publish('events', 'confirmed while down', { confirm: true });
    const back = once(client, 'reconnect');
    await rs.up();
    await back;
    // A fresh broker numbers from 1 again; the resumed subscription is clamped to it (§ broker).
    assert.equal(await confirmed, 2);
    const got = await next(it, 2);
    assert.deepEqual(
      got.map((m) => [m.seq, Buffer.from(m.data).toString()]),
      [
        [1, 'fire-and-forget while down'],
        [2, 'confirmed while down'],
      ],
    );
  });
});
