/**
 * D3 and D3b: queue consumers are child processes; one is killed with SIGKILL mid-stream, or
 * frozen with SIGSTOP past the heartbeat timeout. Every accepted message must still be acked by
 * some consumer; what the dead one held comes back flagged `redelivered`, at most prefetch of it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConsumerChild, ConsumerLedger, spawnConsumer } from './helpers/consumers.ts';
import { startInProcess } from './helpers/in-process.ts';
import { ConfirmPublisher } from './helpers/publisher.ts';
import { percentile, record, recordEq, recordInfo, recordMax, rng, SOAK } from './helpers/results.ts';
import { until, WireClient } from './helpers/wire-client.ts';

const RUNS = SOAK ? 20 : 5;
const MESSAGES = SOAK ? 100_000 : 20_000;
const PREFETCH = 64;
const random = rng();

test(`D3: kill -9 of a queue consumer child mid-stream loses no accepted message (${RUNS} runs)`, async () => {
  const h = await startInProcess({
    topics: Array.from({ length: RUNS }, (_, r) => ({
      name: `jobs-${r}`,
      routing: 'Queue' as const,
      ack: 'manual' as const,
      prefetch: PREFETCH,
      buffer_size: 50_000,
      // A publisher that outruns the consumers (100,000 messages in the soak tier) waits for room
      // instead of being refused, so every publish is accepted and each one is accounted for.
      overflow: 'block' as const,
    })),
  });
  /** Every consumer spawned, killed in the `finally` even when a run fails part way. */
  const children: ConsumerChild[] = [];
  const spawn = async (...args: Parameters<typeof spawnConsumer>): Promise<ConsumerChild> => {
    const child = await spawnConsumer(...args);
    children.push(child);
    return child;
  };
  let lost = 0;
  let maxRedelivered = 0;
  let unflagged = 0;
  let redeliveredTotal = 0;
  const killToRedelivery: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const topic = `jobs-${run}`;
      const ledger = new ConsumerLedger();
      const consumers: ConsumerChild[] = [];
      for (let k = 0; k < 4; k++) consumers.push(await spawn(h.target(k), topic, `c${run}-${k}`, ledger));
      const client = await WireClient.ready(h.target(run), { name: `pub-${run}` });
      const pub = new ConfirmPublisher(client, topic);
      const killAt = Math.floor(MESSAGES * (0.2 + 0.5 * random()));
      const victim = consumers[Math.floor(random() * consumers.length)]!;
      let killedAt = 0;
      let replacement: Promise<ConsumerChild> | undefined;
      const payload = Buffer.alloc(64, run);
      const publishing = pub.run(MESSAGES, () => payload, {
        window: 500,
        gate: () => {
          if (killedAt === 0 && pub.confirmed.size >= killAt) {
            killedAt = performance.now();
            victim.proc.kill('SIGKILL');
            replacement = spawn(h.target(run + 1), topic, `c${run}-r`, ledger);
          }
          return true;
        },
      });
      await publishing;
      assert.equal(pub.confirmed.size, MESSAGES, 'every publish confirmed');
      await victim.exited;
      if (replacement !== undefined) consumers.push(await replacement);
      const accepted = [...pub.confirmed.values()];
      await until(
        () => ledger.lost(accepted) === 0,
        `run ${run}: every accepted message acked`,
        120_000,
        50,
      ).catch(() => {});
      lost += ledger.lost(accepted);
      const r = ledger.redeliveries();
      redeliveredTotal += r.total;
      maxRedelivered = Math.max(maxRedelivered, r.total);
      unflagged += r.total - r.flagged + r.unflaggedRepeats;
      const first = ledger.deliveries.find((d) => (d.flags & 1) === 1);
      if (first !== undefined) killToRedelivery.push(first.at - killedAt);
      client.destroy();
      for (const c of consumers) c.proc.kill('SIGKILL');
    }
    const okLost = recordEq(
      'D3',
      'accepted messages never acked by a consumer (lost)',
      lost,
      0,
      'count',
      RUNS,
    );
    const okMax = recordMax(
      'D3',
      'redeliveries per kill (max over runs)',
      maxRedelivered,
      PREFETCH,
      'count',
      RUNS,
    );
    const flaggedPct =
      redeliveredTotal === 0 ? 100 : (100 * (redeliveredTotal - unflagged)) / redeliveredTotal;
    record({
      id: 'D3',
      figure: 'redeliveries flagged redelivered (delivery_count >= 2)',
      value: Number(flaggedPct.toFixed(2)),
      unit: '%',
      bar: '= 100',
      pass: unflagged === 0,
      runs: RUNS,
    });
    recordInfo('D3', 'redeliveries (total over runs)', redeliveredTotal, 'count', RUNS);
    recordInfo(
      'D3',
      'p99 kill to first redelivery (bar < 100 ms)',
      Number(percentile(killToRedelivery, 99).toFixed(1)),
      'ms',
      RUNS,
    );
    assert.ok(okLost, `${lost} accepted messages were never acked`);
    assert.ok(okMax, `a kill caused ${maxRedelivered} redeliveries, over prefetch ${PREFETCH}`);
    assert.equal(unflagged, 0, 'every redelivery is flagged with delivery_count >= 2');
  } finally {
    for (const c of children) c.proc.kill('SIGKILL');
    await h.stop();
  }
});

test('D3b: a consumer frozen with SIGSTOP past the heartbeat timeout is closed (HEARTBEAT_TIMEOUT) and its messages redelivered', async () => {
  const interval = 250;
  const missed = 2;
  const h = await startInProcess({
    server: { heartbeat_interval_ms: interval, heartbeat_max_missed: missed },
    topics: [{ name: 'tasks', routing: 'Queue', ack: 'manual', prefetch: PREFETCH, buffer_size: 50_000 }],
  });
  const ledger = new ConsumerLedger();
  const consumers: ConsumerChild[] = [];
  try {
    for (let k = 0; k < 3; k++) consumers.push(await spawnConsumer(h.target(k), 'tasks', `hb-${k}`, ledger));
    const victim = consumers[0]!;
    const client = await WireClient.ready(h.tcp, { name: 'hb-pub' });
    const pub = new ConfirmPublisher(client, 'tasks');
    const total = SOAK ? 50_000 : 10_000;
    let stoppedAt = 0;
    const payload = Buffer.alloc(64, 1);
    await pub.run(total, () => payload, {
      window: 300,
      gate: () => {
        if (stoppedAt === 0 && pub.confirmed.size >= total / 4) {
          stoppedAt = performance.now();
          victim.proc.kill('SIGSTOP');
        }
        return true;
      },
    });
    await until(
      () => h.closes.some((c) => c.clientName === victim.name),
      'the frozen consumer is closed',
      60_000,
    );
    const info = h.closes.find((c) => c.clientName === victim.name)!;
    const accepted = [...pub.confirmed.values()];
    await until(() => ledger.lost(accepted) === 0, 'every accepted message acked', 60_000, 50).catch(
      () => {},
    );
    const lost = ledger.lost(accepted);
    const r = ledger.redeliveries();
    const okReason = info.reason === 'HEARTBEAT_TIMEOUT';
    record({
      id: 'D3b',
      figure: 'close reason of the frozen consumer',
      value: info.reason,
      unit: '',
      bar: 'HEARTBEAT_TIMEOUT',
      pass: okReason,
    });
    const okLost = recordEq('D3b', 'accepted messages lost', lost, 0);
    // The close event itself comes CLOSE_LINGER_MS later (a frozen peer never acknowledges the
    // close); the redelivery is what the matrix times.
    const redelivered = ledger.deliveries.find((d) => (d.flags & 1) === 1 && d.at > stoppedAt);
    recordInfo(
      'D3b',
      `time from SIGSTOP to first redelivery (bar <= ${interval} x ${missed + 1} ms + 1 s)`,
      redelivered === undefined ? 'none' : Math.round(redelivered.at - stoppedAt),
      'ms',
    );
    recordInfo('D3b', 'redeliveries after the freeze', r.total, 'count');
    assert.equal(info.reason, 'HEARTBEAT_TIMEOUT');
    assert.ok(okLost, `${lost} accepted messages lost`);
    assert.equal(r.total - r.flagged + r.unflaggedRepeats, 0, 'every redelivery is flagged');
    client.destroy();
  } finally {
    for (const c of consumers) c.proc.kill('SIGKILL');
    await h.stop();
  }
});
