/**
 * P4 against nats-server and redis-server (RELIABILITY.md §4.9; context, not pass/fail): 50
 * connections send mutated protocol lines and random bytes to the port for 10 s (60 s in the soak
 * tier) while a heartbeat publisher and subscriber run on the side through the peer's own client.
 * Figures: crashed or not, heartbeat gaps, RSS growth.
 */
import { afterEach, describe, test } from 'node:test';
import { memoryOf, RssSampler } from '../helpers/child.ts';
import { recordInfo, rng, SOAK } from '../helpers/results.ts';
import { until } from '../helpers/wire-client.ts';
import { type PeerBroker, type PeerName, rawConnect, skipPeer, startPeer } from './brokers.ts';

const MiB = 1024 * 1024;
const random = rng();

/**
 * What a test opened, closed after it in reverse order (clients, then the peer), also when it
 * failed part way: a client or timer left open would keep the file running.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const int = (n: number): number => Math.floor(random() * n);

function fuzzChunk(seeds: Buffer[]): Buffer {
  if (random() < 0.2) return Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256)));
  const seed = Buffer.from(seeds[int(seeds.length)]!);
  const flips = int(4);
  for (let i = 0; i < flips; i++) seed[int(seed.length)] = int(256);
  if (random() < 0.2) return seed.subarray(0, int(seed.length + 1));
  if (random() < 0.2) return Buffer.concat([seed, seeds[int(seeds.length)]!]);
  return seed;
}

async function fuzzConnection(
  peer: PeerBroker,
  stats: { connections: number; bytes: number },
): Promise<void> {
  const s = await rawConnect(peer).catch(() => undefined);
  if (s === undefined) return;
  stats.connections++;
  const end = Date.now() + 50 + int(200);
  while (!s.destroyed && Date.now() < end) {
    const chunk = fuzzChunk(peer.seeds);
    stats.bytes += chunk.length;
    s.write(chunk);
    await new Promise((r) => setTimeout(r, int(3)));
  }
  s.destroy();
}

async function p4(peer: PeerBroker): Promise<void> {
  const id = `P4@${peer.name}`;
  const seconds = Number(process.env.MYCELIUM_P4_SECONDS ?? (SOAK ? 60 : 10));
  const connections = 50;
  const sub = await peer.client('heartbeat-sub');
  cleanups.push(() => sub.close().catch(() => {}));
  let expected = 0;
  let gaps = 0;
  let received = 0;
  await sub.subscribe('heartbeat', (payload) => {
    const seq = Buffer.from(payload.buffer, payload.byteOffset, payload.length).readUInt32BE(0);
    if (seq !== expected) gaps++;
    expected = seq + 1;
    received++;
  });
  const pub = await peer.client('heartbeat-pub');
  cleanups.push(() => pub.close().catch(() => {}));
  let sent = 0;
  const beat = setInterval(() => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(sent++, 0);
    pub.publish('heartbeat', b);
  }, 5);
  cleanups.push(() => clearInterval(beat));
  const idle = memoryOf(peer.pid).rss;
  const sampler = new RssSampler(peer.pid, 100);
  cleanups.push(() => sampler.stop());
  const stats = { connections: 0, bytes: 0 };
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end && peer.proc.exitCode === null) await fuzzConnection(peer, stats);
    }),
  );
  clearInterval(beat);
  const alive = peer.proc.exitCode === null && peer.proc.signalCode === null;
  if (alive) await pub.flush().catch(() => {});
  await until(() => received >= sent, 'the heartbeat subscriber catches up', 5000).catch(() => {});
  const peak = alive ? Math.max(sampler.stop(), memoryOf(peer.pid).hwm) : sampler.stop();
  recordInfo(id, 'server crashed', alive ? 'no' : `yes (${peer.proc.exitCode ?? peer.proc.signalCode})`, '');
  recordInfo(
    id,
    'heartbeat gaps (order breaks + never received)',
    gaps + Math.max(0, sent - received),
    'count',
  );
  recordInfo(id, 'heartbeat messages sent / received', `${sent} / ${received}`, '');
  recordInfo(id, 'server RSS growth over idle', Number(((peak - idle) / MiB).toFixed(1)), 'MiB');
  recordInfo(
    id,
    `fuzz connections / bytes sent in ${seconds} s`,
    `${stats.connections} / ${stats.bytes}`,
    '',
  );
}

for (const name of ['nats', 'redis'] as PeerName[]) {
  describe(`peer ${name}: P4 (context)`, { skip: skipPeer(name) }, () => {
    test(`P4@${name}: garbage to the port with a heartbeat on the side`, async () => {
      const peer = await startPeer(name);
      cleanups.push(() => peer.stop());
      await p4(peer);
    });
  });
}
