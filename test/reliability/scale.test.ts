/**
 * S1: many concurrent connections (2 000 in CI, 10 000 in the soak tier), half TCP and half Unix,
 * one subscription each, on a child broker with max_connections at exactly that number. One
 * broadcast reaches all of them; the next connection is refused with MAX_CONNECTIONS and the
 * others are unaffected (a second broadcast reaches all of them again).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePub } from '../../src/protocol/index.ts';
import { memoryOf, startChildBroker } from './helpers/child.ts';
import { percentile, recordEq, recordInfo, SOAK } from './helpers/results.ts';
import { until, WireClient } from './helpers/wire-client.ts';

const N = Number(process.env.MYCELIUM_S1_CONNECTIONS ?? (SOAK ? 10_000 : 2_000));

test(`S1: ${N} connections each receive a broadcast; connection ${N + 1} gets MAX_CONNECTIONS`, async () => {
  const broker = await startChildBroker({
    toml: `[server]\nmax_connections = ${N}\n\n[[topics]]\nname = "bcast"\n`,
    shell: 'ulimit -n 65536 2>/dev/null || true',
  });
  const clients: WireClient[] = [];
  try {
    const rssBefore = memoryOf(broker.pid).rss;
    const received = new Uint32Array(N);
    const latency: number[] = [];
    let sentAt = 0;
    const connectMs: number[] = [];
    for (let i = 0; i < N; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, N - i) }, async (_, j) => {
          const k = i + j;
          const t0 = performance.now();
          const c = await WireClient.ready(k % 2 === 0 ? broker.unix : broker.tcp, { name: `s${k}` });
          connectMs.push(performance.now() - t0);
          c.handlers = {
            onMsg() {
              received[k]!++;
              latency.push(performance.now() - sentAt);
            },
          };
          await c.subscribe(1, 'bcast');
          return c;
        }),
      );
      clients.push(...batch);
    }
    const rssAfter = memoryOf(broker.pid).rss;
    const broadcast = async (round: number): Promise<number> => {
      latency.length = 0;
      sentAt = performance.now();
      clients[0]!.send(encodePub('bcast', Buffer.from(`round ${round}`)));
      await until(
        () => received.every((r) => r >= round),
        `broadcast ${round} reaches everyone`,
        120_000,
      ).catch(() => {});
      return received.filter((r) => r >= round).length;
    };
    const first = await broadcast(1);
    const fanoutP99 = percentile(latency, 99);
    const extra = await WireClient.open(broker.tcp);
    const refused = !(await extra.hello('one-too-many'));
    const code = extra.errors[0]?.code;
    extra.destroy();
    const second = await broadcast(2);
    const alive = clients.filter((c) => !c.isClosed).length;
    const okFirst = recordEq('S1', `broadcast deliveries (of ${N})`, first, N);
    const okCode = recordEq(
      'S1',
      `connection ${N + 1} refused with MAX_CONNECTIONS`,
      refused && code === 'MAX_CONNECTIONS' ? 1 : 0,
      1,
      'bool',
    );
    const okSecond = recordEq('S1', 'deliveries of a second broadcast after the refusal', second, N);
    const okAlive = recordEq('S1', 'connections still open after the refusal', alive, N);
    recordInfo(
      'S1',
      'broker RSS per connection',
      Number(((rssAfter - rssBefore) / N / 1024).toFixed(1)),
      'KiB',
    );
    recordInfo('S1', 'connect + handshake p99', Number(percentile(connectMs, 99).toFixed(1)), 'ms');
    recordInfo('S1', 'broadcast fan-out p99 (bar < 1 s)', Number(fanoutP99.toFixed(1)), 'ms');
    assert.ok(okFirst && okSecond, `broadcasts reached ${first} and ${second} of ${N}`);
    assert.ok(okCode, `connection ${N + 1}: ${String(code)}`);
    assert.ok(okAlive);
  } finally {
    for (const c of clients) c.destroy();
    await broker.stop();
  }
});
