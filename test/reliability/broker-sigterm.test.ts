/**
 * D6: SIGTERM (or SIGINT) of the broker child process under confirmed publish load, with fanout
 * subscribers and queue consumers attached. Every confirmed message reaches every fanout
 * subscriber (they all stay connected until the broker closes them) and is acked by a queue
 * consumer; every refused publish is refused with SHUTTING_DOWN; the process exits 0. A second
 * signal during the drain exits at once with code 1 (docs/operations.md, Signals).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeAck } from '../../src/protocol/index.ts';
import { startChildBroker } from './helpers/child.ts';
import { ConfirmPublisher } from './helpers/publisher.ts';
import { recordEq, recordInfo, rng, SOAK } from './helpers/results.ts';
import { guard, type Target, until, WireClient } from './helpers/wire-client.ts';

const RUNS = SOAK ? 20 : 5;
const random = rng();

const TOML = `
[server]
shutdown_grace_ms = 5000

[[topics]]
name = "fan"
routing = "Fanout"
buffer_size = 1000000

[[topics]]
name = "q"
routing = "Queue"
ack = "manual"
prefetch = 64
buffer_size = 100000
`;

interface Outcome {
  exit: number | string;
  fanLost: number;
  queueLost: number;
  wrongRefusals: number;
  confirmed: number;
  unanswered: number;
}

/** A fanout subscriber that keeps every seq it received (and counts LAGGED as loss). */
async function fanoutSubscriber(
  target: Target,
  name: string,
): Promise<{ got: Set<number>; client: WireClient }> {
  const got = new Set<number>();
  const client = await WireClient.ready(target, { name });
  client.handlers = {
    onMsg: (_sid, seq) => {
      got.add(seq);
    },
  };
  await client.subscribe(1, 'fan');
  return { got, client };
}

async function queueConsumer(
  target: Target,
  name: string,
  acked: Set<number>,
  ack = true,
): Promise<WireClient> {
  const client = await WireClient.ready(target, { name });
  client.handlers = {
    onMsg: (sid, seq) => {
      if (!ack) return;
      acked.add(seq);
      client.queue(encodeAck(sid, seq));
    },
  };
  await client.subscribe(1, 'q');
  return client;
}

/** One run: load, signal(s), then the ledger. `double` sends a second SIGTERM during the drain. */
async function run(signal: 'SIGTERM' | 'SIGINT', double: boolean): Promise<Outcome> {
  const broker = await startChildBroker({ toml: TOML });
  const clients: WireClient[] = [];
  try {
    const t = (i: number): Target => (i % 2 === 0 ? broker.unix : broker.tcp);
    const subs = await Promise.all([0, 1, 2].map((i) => fanoutSubscriber(t(i), `fan-${i}`)));
    const acked = new Set<number>();
    for (let i = 0; i < 3; i++) clients.push(await queueConsumer(t(i + 1), `q-${i}`, acked));
    // A consumer that never acks keeps the drain waiting, so a second signal lands inside it.
    if (double) clients.push(await queueConsumer(t(0), 'q-stuck', acked, false));
    const fanPub = new ConfirmPublisher(await WireClient.ready(t(0), { name: 'fan-pub' }), 'fan');
    const qPub = new ConfirmPublisher(await WireClient.ready(t(1), { name: 'q-pub' }), 'q');
    const payload = Buffer.alloc(128, 0x6d);
    const forever = 1e9;
    const publishing = Promise.all([
      fanPub.run(forever, () => payload, { window: 500, stopOn: 'SHUTTING_DOWN' }),
      qPub.run(forever, () => payload, { window: 500, stopOn: 'SHUTTING_DOWN' }),
    ]);
    const signalAfter = (SOAK ? 50_000 : 10_000) + Math.floor(random() * 10_000);
    await until(
      () => fanPub.confirmed.size >= signalAfter && qPub.confirmed.size >= signalAfter / 2,
      'load under way',
    );
    broker.proc.kill(signal);
    if (double) {
      await broker.waitLog('shutting down: draining');
      broker.proc.kill('SIGTERM');
    }
    const exit = await guard(broker.exited, 60_000, 'the broker exits');
    await guard(publishing, 30_000, 'publishers see the close');
    for (const s of subs) await guard(s.client.closed, 30_000, 'subscriber closed by the broker');

    let fanLost = 0;
    for (const seq of fanPub.confirmed.values()) for (const s of subs) if (!s.got.has(seq)) fanLost++;
    let queueLost = 0;
    for (const seq of qPub.confirmed.values()) if (!acked.has(seq)) queueLost++;
    let wrongRefusals = 0;
    for (const p of [fanPub, qPub])
      for (const code of p.refused.values()) if (code !== 'SHUTTING_DOWN') wrongRefusals++;
    return {
      exit,
      fanLost,
      queueLost,
      wrongRefusals,
      confirmed: fanPub.confirmed.size + qPub.confirmed.size,
      unanswered: fanPub.unanswered + qPub.unanswered,
    };
  } finally {
    for (const c of clients) c.destroy();
    await broker.stop();
  }
}

describe('D6: broker shutdown under confirmed load', () => {
  test(`SIGTERM (${RUNS} runs) and SIGINT: 0 confirmed messages lost, refusals are SHUTTING_DOWN, exit 0`, async () => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < RUNS; i++) outcomes.push(await run('SIGTERM', false));
    outcomes.push(await run('SIGINT', false));
    const runs = outcomes.length;
    const sum = (f: (o: Outcome) => number): number => outcomes.reduce((a, o) => a + f(o), 0);
    const okFan = recordEq(
      'D6',
      'confirmed fanout messages missed by a connected subscriber',
      sum((o) => o.fanLost),
      0,
      'count',
      runs,
    );
    const okQueue = recordEq(
      'D6',
      'confirmed queue messages never consumer-acked',
      sum((o) => o.queueLost),
      0,
      'count',
      runs,
    );
    const okRefused = recordEq(
      'D6',
      'refusals with a code other than SHUTTING_DOWN',
      sum((o) => o.wrongRefusals),
      0,
      'count',
      runs,
    );
    const badExits = outcomes.filter((o) => o.exit !== 0).length;
    const okExit = recordEq('D6', 'runs not exiting 0', badExits, 0, 'count', runs);
    recordInfo(
      'D6',
      'confirmed messages (all runs)',
      sum((o) => o.confirmed),
      'count',
      runs,
    );
    recordInfo(
      'D6',
      'publishes unanswered at close (no claim)',
      sum((o) => o.unanswered),
      'count',
      runs,
    );
    assert.ok(okFan && okQueue && okRefused && okExit, JSON.stringify(outcomes));
  });

  test('a second SIGTERM during the drain exits at once with code 1', async () => {
    const o = await run('SIGTERM', true);
    const ok = recordEq('D6', 'exit code after a second SIGTERM during the drain', Number(o.exit), 1, 'code');
    recordInfo(
      'D6',
      'confirmed queue messages cut off by the second signal (no claim)',
      o.queueLost,
      'count',
    );
    assert.ok(ok, `exit ${o.exit}`);
  });
});
