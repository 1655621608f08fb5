/**
 * B1 and B1b: a frozen subscriber (it stops reading at the socket level) at full publish rate is
 * disconnected as SLOW_CONSUMER while healthy subscribers lose nothing and the broker's memory
 * stays bounded (B1, measured on a child broker through /proc); and each of the two limits,
 * max_pending_bytes and write_deadline_ms, is the one named in the close when it is the one hit
 * (B1b; nats-server TestNoRaceClosedSlowConsumer{PendingBytes,WriteDeadline}).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { memoryOf, resetPeak, RssSampler, startChildBroker } from './helpers/child.ts';
import { startInProcess } from './helpers/in-process.ts';
import { ConfirmPublisher } from './helpers/publisher.ts';
import { record, recordEq, recordInfo, recordMax, SOAK } from './helpers/results.ts';
import { guard, until, WireClient } from './helpers/wire-client.ts';

const MiB = 1024 * 1024;

interface LoadRun {
  /** RSS peak minus RSS before the load. */
  readonly growth: number;
  readonly lost: number;
  readonly published: number;
  readonly close: { reason: string; detail: string | undefined } | undefined;
  readonly freezeToClose: number;
}

const MAX_PENDING = 8 * MiB;
const WRITE_DEADLINE = 500;

/**
 * One load run on a fresh child broker: 3 healthy subscribers (and a frozen one when `withFrozen`),
 * 1 KiB messages as fast as the healthy subscribers take them, `count` of them, and (with a frozen
 * reader) on until it has been closed.
 */
async function loadRun(withFrozen: boolean, count: number): Promise<LoadRun> {
  const broker = await startChildBroker({
    toml: `[server]\nwrite_deadline_ms = ${WRITE_DEADLINE}\nmax_pending_bytes = ${MAX_PENDING}\n\n[[topics]]\nname = "ticks"\nbuffer_size = 10000\n`,
  });
  const clients: WireClient[] = [];
  let sampler: RssSampler | undefined;
  try {
    const healthy: { got: number; lost: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const state = { got: 0, lost: 0 };
      let expected = 0;
      const c = await WireClient.ready(i % 2 === 0 ? broker.unix : broker.tcp, { name: `healthy-${i}` });
      c.handlers = {
        onMsg(_sid, seq) {
          if (expected !== 0 && seq !== expected) state.lost += Math.abs(seq - expected);
          expected = seq + 1;
          state.got++;
        },
        onLagged(_sid, _from, n) {
          state.lost += n;
        },
      };
      await c.subscribe(1, 'ticks');
      healthy.push(state);
      clients.push(c);
    }
    let frozenConn = -1;
    let frozen: WireClient | undefined;
    if (withFrozen) {
      frozen = await WireClient.ready(broker.tcp, { name: 'frozen' });
      clients.push(frozen);
      await frozen.subscribe(1, 'ticks');
      const line = await broker.waitFor(
        (l) => l.msg === 'connection established' && l.client === 'frozen',
        'the frozen connection is logged',
      );
      frozenConn = line.conn as number;
    }
    const pubClient = await WireClient.ready(broker.unix, { name: 'pub' });
    clients.push(pubClient);
    const pub = new ConfirmPublisher(pubClient, 'ticks');
    const baseline = memoryOf(broker.pid).rss;
    resetPeak(broker.pid);
    sampler = new RssSampler(broker.pid);
    frozen?.freeze();
    const frozenAt = performance.now();
    let closedAt = 0;
    const payload = Buffer.alloc(1024, 0x42);
    const slowest = (): number => Math.min(...healthy.map((s) => s.got));
    await pub.run(count * 100, () => payload, {
      window: 500,
      guardMs: 180_000,
      gate: () => {
        if (closedAt === 0 && broker.closes().some((c) => c.conn === frozenConn))
          closedAt = performance.now();
        if (pub.sent >= count && (!withFrozen || closedAt !== 0)) {
          pub.stop();
          return false;
        }
        return pub.sent - slowest() < 5000;
      },
    });
    const confirmed = pub.confirmed.size;
    await until(() => slowest() >= confirmed, 'healthy subscribers catch up', 60_000);
    const peak = Math.max(sampler.stop(), memoryOf(broker.pid).hwm);
    return {
      growth: peak - baseline,
      lost: healthy.reduce((a, s) => a + s.lost + (confirmed - s.got), 0),
      published: confirmed,
      close: broker.closes().find((c) => c.conn === frozenConn),
      freezeToClose: closedAt - frozenAt,
    };
  } finally {
    sampler?.stop(); // its timer would keep the file running after a failure
    for (const c of clients) c.destroy();
    await broker.stop();
  }
}

describe('B1: a frozen subscriber at full publish rate', () => {
  test('is disconnected with SLOW_CONSUMER; healthy subscribers lose 0; broker RSS stays within max_pending + 32 MiB of the no-frozen run', async () => {
    const count = SOAK ? 1_000_000 : 100_000;
    const base = await loadRun(false, count);
    const run = await loadRun(true, count);
    const close = run.close;
    const reason =
      close === undefined
        ? 'not closed'
        : `${close.reason}${close.detail === undefined ? '' : ` (${close.detail})`}`;
    record({
      id: 'B1',
      figure: 'close reason of the frozen subscriber',
      value: reason,
      unit: '',
      bar: 'SLOW_CONSUMER',
      pass: close?.reason === 'SLOW_CONSUMER',
    });
    const okLost = recordEq('B1', 'messages lost by healthy subscribers', run.lost + base.lost, 0);
    const extra = Math.max(0, run.growth - base.growth);
    const okRss = recordMax(
      'B1',
      'broker RSS peak over the no-frozen run',
      Number((extra / MiB).toFixed(1)),
      (MAX_PENDING + 32 * MiB) / MiB,
      'MiB',
    );
    recordInfo(
      'B1',
      'broker RSS growth under load: no-frozen / frozen run',
      `${(base.growth / MiB).toFixed(1)} / ${(run.growth / MiB).toFixed(1)}`,
      'MiB',
    );
    recordInfo(
      'B1',
      `time from freeze to disconnect (bar <= write_deadline ${WRITE_DEADLINE} ms + 1 s)`,
      Math.round(run.freezeToClose),
      'ms',
    );
    recordInfo('B1', 'messages published per run (1 KiB each)', run.published, 'count');
    assert.equal(close?.reason, 'SLOW_CONSUMER', reason);
    assert.ok(okLost, `healthy subscribers lost ${run.lost + base.lost}`);
    assert.ok(okRss, `the frozen reader cost ${extra / MiB} MiB of RSS`);
  });
});

describe('B1b: the two slow-consumer limits, separated', () => {
  const cases = [
    {
      limit: 'max_pending_bytes',
      server: { max_pending_bytes: MiB, write_deadline_ms: 30_000 },
      detail: 'pending_bytes',
    },
    {
      limit: 'write_deadline_ms',
      server: { max_pending_bytes: 500 * MiB, write_deadline_ms: 10 },
      detail: 'write_deadline',
    },
  ] as const;
  for (const c of cases) {
    test(`${c.limit} alone: 100 x 1 MiB to a frozen reader closes it as SLOW_CONSUMER (${c.detail})`, async () => {
      const h = await startInProcess({
        server: { ...c.server, max_frame_size: 4 * MiB },
        topics: [{ name: 'bulk', max_message_size: 2 * MiB, buffer_size: 200 }],
      });
      try {
        const frozen = await WireClient.ready(h.tcp, { name: 'frozen' });
        await frozen.subscribe(1, 'bulk');
        frozen.freeze();
        const pub = new ConfirmPublisher(await WireClient.ready(h.unix, { name: 'pub' }), 'bulk');
        const payload = Buffer.alloc(MiB, 0x11);
        await pub.run(100, () => payload, { window: 4 });
        await guard(
          (async () => {
            while (!h.closes.some((x) => x.clientName === 'frozen'))
              await new Promise((r) => setTimeout(r, 10));
          })(),
          60_000,
          'the frozen reader is closed',
        );
        const info = h.closes.find((x) => x.clientName === 'frozen')!;
        const value = `${info.reason} (${info.detail})`;
        record({
          id: 'B1b',
          figure: `close reason with only ${c.limit} in reach`,
          value,
          unit: '',
          bar: `SLOW_CONSUMER (${c.detail})`,
          pass: value === `SLOW_CONSUMER (${c.detail})`,
        });
        assert.equal(info.reason, 'SLOW_CONSUMER');
        assert.equal(info.detail, c.detail);
        frozen.destroy();
      } finally {
        await h.stop();
      }
    });
  }
});
