/**
 * B1 and S1 against nats-server and redis-server (RELIABILITY.md §4.9; context, not pass/fail).
 * B1: one frozen raw subscriber (it stops reading at the socket level) and 3 healthy ones, 1 KiB
 * messages as fast as the healthy ones take them: was the frozen one kicked, after how long, how
 * much the server's RSS grew, and what the healthy ones lost. S1: 2 000 idle raw subscribers (10 000
 * in the soak tier): RSS per connection and one broadcast's delivered count and fan-out p99.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { memoryOf, RssSampler } from '../helpers/child.ts';
import { percentile, recordInfo, SOAK } from '../helpers/results.ts';
import { until } from '../helpers/wire-client.ts';
import { type PeerBroker, type PeerName, rawConnect, skipPeer, startPeer } from './brokers.ts';

const MiB = 1024 * 1024;
const PEER_NAMES: PeerName[] = ['nats', 'redis'];

/**
 * What a test opened, closed after it in reverse order (clients, then the peer), also when it
 * failed part way: a client or timer left open would keep the file running.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function b1(peer: PeerBroker): Promise<void> {
  const id = `B1@${peer.name}`;
  const count = SOAK ? 1_000_000 : 100_000;
  const healthy: { got: number; lost: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const state = { got: 0, lost: 0 };
    let expected = 0;
    const c = await peer.client(`healthy-${i}`);
    cleanups.push(() => c.close());
    await c.subscribe('ticks', (payload) => {
      const seq = Buffer.from(payload.buffer, payload.byteOffset, payload.length).readUInt32BE(0);
      if (seq !== expected) state.lost += Math.abs(seq - expected);
      expected = seq + 1;
      state.got++;
    });
    healthy.push(state);
  }
  const frozen = await rawConnect(peer);
  cleanups.push(() => frozen.destroy());
  let subscribed = '';
  frozen.on('data', (b: Buffer) => {
    subscribed += b.toString('latin1');
  });
  frozen.write(peer.rawSubscribe('ticks', 'frozen'));
  await until(() => subscribed.includes(peer.subscribedText), 'the frozen subscriber is subscribed');
  const pub = await peer.client('pub');
  cleanups.push(() => pub.close());
  const baseline = memoryOf(peer.pid).rss;
  const sampler = new RssSampler(peer.pid);
  cleanups.push(() => sampler.stop());
  frozen.pause();
  (frozen as unknown as { _handle?: { readStop?: () => void } })._handle?.readStop?.();
  const frozenAt = performance.now();
  let kickedAt = 0;
  let reason = '';
  const poll = setInterval(() => {
    void peer.kicked('frozen').then((k) => {
      if (k.kicked && kickedAt === 0) {
        kickedAt = performance.now();
        reason = k.reason;
      }
    });
  }, 50);
  cleanups.push(() => clearInterval(poll));
  let sent = 0;
  const slowest = (): number => Math.min(...healthy.map((s) => s.got));
  const endBy = performance.now() + 30_000;
  // As fast as the healthy subscribers take it; past `count`, on until the frozen one is kicked
  // (30 s at most: a peer may never kick it).
  while ((sent < count || kickedAt === 0) && performance.now() < endBy) {
    while (sent - slowest() < 5000 && (sent < count || kickedAt === 0)) {
      // A fresh buffer each time: a peer's client may keep a reference until it writes.
      const payload = Buffer.alloc(1024, 0x42);
      payload.writeUInt32BE(sent, 0);
      pub.publish('ticks', payload);
      sent++;
      if (sent % 500 === 0) break;
    }
    await new Promise((r) => setImmediate(r));
  }
  await pub.flush();
  clearInterval(poll);
  await until(() => slowest() >= sent, 'healthy subscribers catch up', 30_000).catch(() => {});
  const peak = Math.max(sampler.stop(), memoryOf(peer.pid).hwm);
  const lost = healthy.reduce((a, s) => a + s.lost + (sent - s.got), 0);
  let healthyKicked = 0;
  for (let i = 0; i < 3; i++) if ((await peer.kicked(`healthy-${i}`)).kicked) healthyKicked++;
  recordInfo(id, 'frozen subscriber kicked / reason', kickedAt === 0 ? 'no (30 s)' : `yes: ${reason}`, '');
  recordInfo(
    id,
    'time from freeze to kick',
    kickedAt === 0 ? 'never' : Math.round(kickedAt - frozenAt),
    'ms',
  );
  recordInfo(id, 'messages lost by healthy subscribers', lost, 'count');
  recordInfo(id, 'healthy subscribers kicked', healthyKicked, 'count');
  recordInfo(id, 'healthy subscribers received (each)', healthy.map((s) => s.got).join(' / '), 'count');
  recordInfo(
    id,
    'server RSS growth under load with the frozen subscriber',
    Number(((peak - baseline) / MiB).toFixed(1)),
    'MiB',
  );
  recordInfo(id, 'messages published (1 KiB each)', sent, 'count');
}

async function s1(peer: PeerBroker): Promise<void> {
  const id = `S1@${peer.name}`;
  const n = Number(process.env.MYCELIUM_S1_CONNECTIONS ?? (SOAK ? 10_000 : 2_000));
  const before = memoryOf(peer.pid).rss;
  const sockets: Socket[] = [];
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
  });
  const received = new Uint32Array(n);
  const latency: number[] = [];
  let sentAt = 0;
  let marker = 'none';
  for (let i = 0; i < n; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, async (_, j) => {
        const k = i + j;
        const s = await rawConnect(peer);
        sockets.push(s);
        let text = '';
        s.on('data', (b: Buffer) => {
          const chunk = b.toString('latin1');
          text += chunk;
          peer.rawKeepAlive(s, chunk);
          if (text.includes(marker)) {
            received[k] = 1;
            latency.push(performance.now() - sentAt);
            text = '';
          } else if (text.length > 4096) text = text.slice(-64);
        });
        s.write(peer.rawSubscribe('bcast', `s${k}`));
        await until(() => text.includes(peer.subscribedText), `subscriber ${k} is subscribed`, 30_000);
        text = '';
      }),
    );
  }
  const after = memoryOf(peer.pid).rss;
  const pub = await peer.client('bcast-pub');
  cleanups.push(() => pub.close());
  marker = 'BCAST-ROUND-1';
  sentAt = performance.now();
  pub.publish('bcast', Buffer.from(marker));
  await pub.flush();
  await until(() => received.every((r) => r === 1), 'the broadcast reaches everyone', 60_000).catch(() => {});
  recordInfo(
    id,
    `broadcast deliveries (of ${n})`,
    received.reduce((a, r) => a + r, 0),
    'count',
  );
  recordInfo(
    id,
    'server RSS per idle subscriber connection',
    Number(((after - before) / n / 1024).toFixed(1)),
    'KiB',
  );
  recordInfo(id, 'broadcast fan-out p99', Number(percentile(latency, 99).toFixed(1)), 'ms');
}

for (const name of PEER_NAMES) {
  describe(`peer ${name}: B1 and S1 (context)`, { skip: skipPeer(name) }, () => {
    test(`B1@${name}: a frozen subscriber at full publish rate`, async () => {
      const peer = await startPeer(name);
      cleanups.push(() => peer.stop());
      await b1(peer);
    });
    test(`S1@${name}: idle subscriber connections and one broadcast`, async () => {
      const peer = await startPeer(name);
      cleanups.push(() => peer.stop());
      await s1(peer);
    });
  });
}
