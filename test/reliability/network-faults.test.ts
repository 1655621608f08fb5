/**
 * C2, network faults through the fault proxy (CI-scaled): the P2 equivalence over a live stream
 * (a valid pub/sub stream cut into 1-10 byte pieces both ways delivers everything, in order,
 * intact); 100 ms of latency each way loses no confirmed message; reset_peer on a queue consumer
 * and a blackholed queue consumer (half-open, found by the heartbeat as in D3b) both end in
 * redelivery to the other consumer with 0 accepted messages lost.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeAck } from '../../src/protocol/index.ts';
import { FaultProxy } from './helpers/fault-proxy.ts';
import { type InProcess, type Overrides, startInProcess } from './helpers/in-process.ts';
import { ConfirmPublisher } from './helpers/publisher.ts';
import { record, recordEq, recordInfo, rng, SOAK } from './helpers/results.ts';
import { type Target, until, WireClient } from './helpers/wire-client.ts';

const random = rng();

async function withBroker(overrides: Overrides, run: (h: InProcess) => Promise<void>): Promise<void> {
  const h = await startInProcess(overrides);
  try {
    await run(h);
  } finally {
    await h.stop();
  }
}

/** Payload i: a length and bytes derived from i, so corruption anywhere shows. */
function payloadFor(i: number): Buffer {
  const b = Buffer.alloc(4 + ((i * 37) % 200));
  b.writeUInt32BE(i, 0);
  for (let k = 4; k < b.length; k++) b[k] = (i + k) & 0xff;
  return b;
}

/** A fanout subscriber checking that message i is the i-th, intact. */
async function orderedSubscriber(target: Target, topic: string) {
  const state = { got: 0, wrong: 0, lagged: 0 };
  const c = await WireClient.ready(target, { name: 'c2-sub' });
  c.handlers = {
    onMsg(_sid, _seq, _flags, _dc, payload) {
      if (!payload.equals(payloadFor(state.got))) state.wrong++;
      state.got++;
    },
    onLagged(_sid, _from, n) {
      state.lagged += n;
    },
  };
  await c.subscribe(1, topic);
  return { client: c, state };
}

/** Publishes `count` confirmed messages from `pubTarget` to a subscriber on `subTarget`. */
async function stream(h: InProcess, pubTarget: Target, subTarget: Target, count: number, window: number) {
  const sub = await orderedSubscriber(subTarget, 'c2');
  const pubClient = await WireClient.ready(pubTarget, { name: 'c2-pub' });
  const pub = new ConfirmPublisher(pubClient, 'c2');
  await pub.run(count, payloadFor, { window, guardMs: 120_000 });
  await until(() => sub.state.got >= pub.confirmed.size || sub.client.isClosed, 'the stream arrives', 60_000);
  const result = {
    confirmed: pub.confirmed.size,
    lost: pub.confirmed.size - sub.state.got + sub.state.lagged,
    wrong: sub.state.wrong,
    closed: (sub.client.isClosed ? 1 : 0) + (pubClient.isClosed ? 1 : 0) + h.closes.length,
  };
  sub.client.destroy();
  pubClient.destroy();
  return result;
}

const tcp = (h: InProcess): { host: string; port: number } => h.tcp as { host: string; port: number };

describe('C2: network faults through the fault proxy', () => {
  test('slicer: a pub/sub stream cut into 1-10 byte pieces both ways arrives complete, in order, intact', () =>
    withBroker({ topics: [{ name: 'c2' }] }, async (h) => {
      const count = SOAK ? 20_000 : 1500;
      const pubProxy = await FaultProxy.start(tcp(h));
      const subProxy = await FaultProxy.start(tcp(h));
      try {
        for (const p of [pubProxy, subProxy]) {
          p.random = random;
          p.add('up', 'up', { kind: 'slicer' });
          p.add('down', 'down', { kind: 'slicer' });
        }
        const r = await stream(h, pubProxy.target, subProxy.target, count, 64);
        const largest = Math.max(pubProxy.stats.largestWrite, subProxy.stats.largestWrite);
        const okAll = recordEq('C2', `slicer: messages confirmed (of ${count})`, r.confirmed, count);
        const okLost = recordEq('C2', 'slicer: confirmed messages lost or out of order', r.lost, 0);
        const okWrong = recordEq('C2', 'slicer: payloads corrupted or out of order', r.wrong, 0);
        const okClosed = recordEq('C2', 'slicer: connections closed', r.closed, 0);
        record({
          id: 'C2',
          figure: 'slicer: largest piece written',
          value: largest,
          unit: 'bytes',
          bar: '<= 10',
          pass: largest <= 10,
        });
        recordInfo('C2', 'slicer: pieces written', pubProxy.stats.writes + subProxy.stats.writes, 'count');
        assert.ok(okAll && okLost && okWrong && okClosed, JSON.stringify(r));
        assert.ok(largest <= 10);
      } finally {
        await pubProxy.close();
        await subProxy.close();
      }
    }));

  test('latency 100 ms each way: a confirmed stream loses nothing and keeps its order', () =>
    withBroker({ topics: [{ name: 'c2' }] }, async (h) => {
      const count = SOAK ? 100_000 : 5000;
      const pubProxy = await FaultProxy.start(tcp(h));
      const subProxy = await FaultProxy.start(tcp(h));
      try {
        for (const p of [pubProxy, subProxy]) {
          p.add('up', 'up', { kind: 'latency', ms: 100 });
          p.add('down', 'down', { kind: 'latency', ms: 100 });
        }
        const r = await stream(h, pubProxy.target, subProxy.target, count, 1000);
        const okAll = recordEq('C2', `latency: messages confirmed (of ${count})`, r.confirmed, count);
        const okLost = recordEq(
          'C2',
          'latency: confirmed messages lost, corrupted or reordered',
          r.lost + r.wrong,
          0,
        );
        const okClosed = recordEq('C2', 'latency: connections closed', r.closed, 0);
        assert.ok(okAll && okLost && okClosed, JSON.stringify(r));
      } finally {
        await pubProxy.close();
        await subProxy.close();
      }
    }));

  for (const fault of ['reset_peer', 'blackhole'] as const) {
    const server = fault === 'blackhole' ? { heartbeat_interval_ms: 200, heartbeat_max_missed: 2 } : {};
    // block: a publisher that outruns the consumers (100,000 messages in the soak tier, on a loaded
    // machine) waits for room; refused publishes would leave the fault's trigger point unreached.
    const topics = [
      {
        name: 'jobs',
        routing: 'Queue' as const,
        ack: 'manual' as const,
        prefetch: 64,
        overflow: 'block' as const,
      },
    ];
    test(`${fault} on a queue consumer mid-stream: its unacked messages go to the other consumer, 0 lost`, () =>
      withBroker({ server, topics }, async (h) => {
        const count = SOAK ? 100_000 : 10_000;
        const proxy = await FaultProxy.start(tcp(h));
        const clients: WireClient[] = [];
        try {
          const got = new Map<number, number>();
          let redelivered = 0;
          let unflagged = 0;
          for (const [name, target] of [
            ['direct', h.unix],
            ['proxied', proxy.target],
          ] as const) {
            const c = await WireClient.ready(target, { name });
            c.handlers = {
              onMsg(sid, seq, flags, dc) {
                if (got.has(seq)) {
                  redelivered++;
                  if ((flags & 1) !== 1 || dc < 2) unflagged++;
                }
                got.set(seq, (got.get(seq) ?? 0) + 1);
                c.queue(encodeAck(sid, seq));
              },
            };
            await c.subscribe(1, 'jobs');
            clients.push(c);
          }
          const pubClient = await WireClient.ready(h.tcp, { name: 'pub' });
          clients.push(pubClient);
          const pub = new ConfirmPublisher(pubClient, 'jobs');
          const faultAt = Math.floor(count * (0.3 + 0.4 * random()));
          let faultedAt = 0;
          const payload = Buffer.alloc(64, 7);
          await pub.run(count, () => payload, {
            window: 256,
            gate: () => {
              if (faultedAt === 0 && pub.confirmed.size >= faultAt) {
                faultedAt = performance.now();
                if (fault === 'reset_peer') proxy.add('rst', 'down', { kind: 'reset_peer' });
                else {
                  proxy.add('bh-up', 'up', { kind: 'blackhole' });
                  proxy.add('bh-down', 'down', { kind: 'blackhole' });
                }
              }
              return true;
            },
          });
          assert.ok(
            faultedAt > 0,
            `the fault never fired: ${pub.confirmed.size} of ${count} confirmed, ${pub.refused.size} refused`,
          );
          const accepted = [...pub.confirmed.values()];
          const closed = (): boolean => h.closes.some((c) => c.clientName === 'proxied');
          await until(
            () => closed() && accepted.every((s) => got.has(s)),
            'the proxied consumer is closed and every accepted message delivered',
            60_000,
          ).catch(() => {});
          const lost = accepted.filter((s) => !got.has(s)).length;
          const close = h.closes.find((c) => c.clientName === 'proxied');
          const reason = close === undefined ? 'not closed' : close.reason;
          // A reset is the client going away (CLIENT_CLOSED); a blackhole is found by the heartbeat.
          const want = fault === 'reset_peer' ? 'CLIENT_CLOSED' : 'HEARTBEAT_TIMEOUT';
          const okLost = recordEq('C2', `${fault}: accepted queue messages lost`, lost, 0);
          const okFlag = recordEq('C2', `${fault}: redeliveries without the redelivered flag`, unflagged, 0);
          record({
            id: 'C2',
            figure: `${fault}: close reason of the proxied consumer`,
            value: reason,
            unit: '',
            bar: want,
            pass: reason === want,
          });
          recordInfo('C2', `${fault}: redeliveries`, redelivered, 'count');
          if (close !== undefined) {
            recordInfo(
              'C2',
              `${fault}: fault to close`,
              Math.round(h.closedAt.get(close.id)! - faultedAt),
              'ms',
            );
          }
          assert.ok(close !== undefined, `the proxied consumer is closed after ${fault}`);
          assert.equal(reason, want);
          assert.ok(okLost, `${lost} of ${accepted.length} accepted messages never delivered`);
          assert.ok(okFlag);
        } finally {
          for (const c of clients) c.destroy();
          await proxy.close();
        }
      }));
  }
});
