/**
 * The fault proxy itself (helpers/fault-proxy.ts), against a plain TCP echo server: bytes pass
 * unchanged and in order with and without toxics; each toxic does what it says (the slicer's
 * writes are 1-10 bytes, latency and bandwidth never deliver early, reset_peer resets both ends,
 * blackhole drops and keeps the connection); and the proxy holds a bounded backlog.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FaultProxy, HIGH_WATER } from './helpers/fault-proxy.ts';
import { rng } from './helpers/results.ts';
import { until } from './helpers/wire-client.ts';

let echo: Server;
let echoPort = 0;
const serverSockets: Socket[] = [];

before(async () => {
  echo = createServer((s) => {
    serverSockets.push(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as { port: number }).port;
});

after(async () => {
  for (const s of serverSockets) s.destroy();
  await new Promise<void>((r) => echo.close(() => r()));
});

interface Conn {
  readonly socket: Socket;
  readonly got: Buffer[];
  readonly errors: string[];
  received(): Buffer;
  readonly closed: Promise<void>;
}

async function open(proxy: FaultProxy): Promise<Conn> {
  const t = proxy.target as { host: string; port: number };
  const socket = tcpConnect({ host: t.host, port: t.port });
  const got: Buffer[] = [];
  const errors: string[] = [];
  socket.on('data', (b: Buffer) => got.push(b));
  socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, got, errors, received: () => Buffer.concat(got), closed };
}

async function withProxy(run: (proxy: FaultProxy) => Promise<void>): Promise<void> {
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
  proxy.random = rng(7);
  try {
    await run(proxy);
  } finally {
    await proxy.close();
  }
}

describe('fault proxy', () => {
  test('without toxics, 1 MiB of random bytes comes back unchanged and in order', () =>
    withProxy(async (proxy) => {
      const c = await open(proxy);
      const data = randomBytes(1024 * 1024);
      c.socket.write(data);
      await until(() => c.received().length >= data.length, 'echo of 1 MiB', 30_000);
      assert.ok(c.received().equals(data));
      assert.equal(proxy.stats.forwarded.up, data.length);
      assert.equal(proxy.stats.forwarded.down, data.length);
      c.socket.destroy();
    }));

  test('the slicer writes pieces of 1 to 10 bytes each way and the stream arrives intact', () =>
    withProxy(async (proxy) => {
      proxy.add('s-up', 'up', { kind: 'slicer' });
      proxy.add('s-down', 'down', { kind: 'slicer' });
      const c = await open(proxy);
      const data = randomBytes(4000);
      c.socket.write(data);
      await until(() => c.received().length >= data.length, 'sliced echo', 30_000);
      assert.ok(c.received().equals(data));
      assert.ok(proxy.stats.largestWrite <= 10, `largest write ${proxy.stats.largestWrite}`);
      // 2 x 4000 bytes in pieces of at most 10 bytes: at least 800 writes.
      assert.ok(proxy.stats.writes >= 800, `${proxy.stats.writes} writes`);
      c.socket.destroy();
    }));

  test('latency never delivers a chunk before its delay; order is kept', () =>
    withProxy(async (proxy) => {
      proxy.add('lat', 'down', { kind: 'latency', ms: 100 });
      const c = await open(proxy);
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) c.socket.write(Buffer.from([i]));
      await until(() => c.received().length >= 10, 'delayed echo', 10_000, 1);
      const elapsed = performance.now() - t0;
      assert.deepEqual([...c.received()], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // A timer may fire up to 1 ms early after rounding; earlier means the toxic did nothing.
      assert.ok(elapsed >= 99, `echo after ${elapsed} ms`);
      c.socket.destroy();
    }));

  test('bandwidth forwards no faster than its rate and holds a bounded backlog', () =>
    withProxy(async (proxy) => {
      const rate = 256 * 1024;
      proxy.add('bw', 'up', { kind: 'bandwidth', bytesPerSecond: rate });
      const c = await open(proxy);
      const data = randomBytes(4 * 1024 * 1024);
      const t0 = performance.now();
      c.socket.write(data);
      await until(() => c.received().length >= 128 * 1024, 'first 128 KiB through', 30_000, 5);
      const elapsed = performance.now() - t0;
      // 128 KiB at 256 KiB/s: half a second at the least (the first step goes at once).
      assert.ok(elapsed >= 480, `128 KiB after ${elapsed} ms`);
      // The rest waits in the sender's own socket and the kernel, not in the proxy.
      assert.ok(c.socket.writableLength > 0, 'the sender is backpressured');
      assert.ok(proxy.stats.maxBuffered <= HIGH_WATER + 65_536, `proxy held ${proxy.stats.maxBuffered}`);
      c.socket.destroy();
    }));

  test('reset_peer resets both ends: the client sees ECONNRESET, the connection is gone', () =>
    withProxy(async (proxy) => {
      const c = await open(proxy);
      c.socket.write('ping');
      await until(() => c.received().length >= 4, 'echo before the reset');
      proxy.add('rst', 'down', { kind: 'reset_peer' });
      await c.closed;
      assert.deepEqual(c.errors, ['ECONNRESET']);
      assert.equal(proxy.stats.resets, 1);
      await until(() => proxy.connections.size === 0, 'the proxy forgets the connection');
      // A connection opened while the toxic is active is reset too (after afterMs, here 0).
      const d = await open(proxy);
      await d.closed;
      assert.deepEqual(d.errors, ['ECONNRESET']);
    }));

  test('blackhole drops bytes and keeps the connection; removing it lets new bytes through', () =>
    withProxy(async (proxy) => {
      const c = await open(proxy);
      proxy.add('bh', 'up', { kind: 'blackhole' });
      c.socket.write(Buffer.alloc(1000, 1));
      await until(() => proxy.stats.dropped.up >= 1000, 'the blackhole drops 1000 bytes');
      proxy.remove('bh');
      c.socket.write(Buffer.from('after'));
      await until(() => c.received().length >= 5, 'bytes after the blackhole');
      assert.equal(c.received().toString(), 'after');
      assert.equal(proxy.stats.dropped.up, 1000);
      assert.equal(c.socket.destroyed, false);
      assert.deepEqual(c.errors, []);
      c.socket.destroy();
    }));

  test('a clean close by the client is passed on after pending bytes', () =>
    withProxy(async (proxy) => {
      proxy.add('lat', 'up', { kind: 'latency', ms: 30 });
      const c = await open(proxy);
      c.socket.end('last words');
      await c.closed;
      assert.equal(c.received().toString(), 'last words');
      assert.deepEqual(c.errors, []);
    }));
});
