/**
 * D5: a poison message. Every consumer (a child process) crashes on message X, and a supervisor
 * starts a new one for each that dies. X must stop after delivery_limit deliveries (20, the
 * default) and be dropped and counted (mycelium_messages_dropped_total{reason="delivery_limit"} on
 * /metrics); every other accepted message is still acked (0 lost), and the consumers keep
 * receiving once X is gone.
 *
 * prefetch is 1: a consumer that dies also returns every other delivery it held unacked, each with
 * its count raised like X's, so with a larger prefetch the messages delivered right behind X to
 * the same consumers would reach the limit with it (docs/config.md, delivery_limit).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { DEFAULT_DELIVERY_LIMIT } from '../../src/limits.ts';
import { startMetrics } from '../../src/metrics/index.ts';
import { spawnFixture } from './helpers/child.ts';
import { ConsumerLedger } from './helpers/consumers.ts';
import { type InProcess, startInProcess } from './helpers/in-process.ts';
import { ConfirmPublisher } from './helpers/publisher.ts';
import { record, recordEq, recordInfo, SOAK } from './helpers/results.ts';
import { until, WireClient } from './helpers/wire-client.ts';

const TOPIC = 'orders';
const CONSUMERS = 4;
/** Other messages published around X (X goes in the middle), then again once X is dropped. */
const OTHERS = SOAK ? 50_000 : 5_000;
const POISON = 'POISON';
const payload = Buffer.alloc(64, 1);
const poisonPayload = Buffer.from(POISON);

/** Consumer children under a supervisor that replaces each one that dies. */
class Pool {
  readonly ledger = new ConsumerLedger();
  /** Every delivery of X: [seq, flags, deliveryCount], in arrival order. */
  readonly poisoned: [number, number, number][] = [];
  readonly procs = new Set<ChildProcess>();
  ready = 0;
  crashes = 0;
  #spawned = 0;
  #stopping = false;

  constructor(readonly h: InProcess) {}

  spawn(): void {
    const n = this.#spawned++;
    const name = `d5-${n}`;
    const args = [JSON.stringify(this.h.target(n)), TOPIC, name, POISON];
    const proc = spawnFixture('queue-consumer.ts', args);
    this.procs.add(proc);
    proc.on('message', (m: unknown) => {
      if (m === 'ready') this.ready++;
      else if (Array.isArray(m)) this.ledger.add(name, m as number[]);
      else this.poisoned.push((m as { poison: [number, number, number] }).poison);
    });
    proc.once('exit', () => {
      this.procs.delete(proc);
      if (this.#stopping) return;
      this.crashes++;
      this.spawn();
    });
  }

  stop(): void {
    this.#stopping = true;
    for (const proc of this.procs) proc.kill('SIGKILL');
  }
}

/** The value of one series in a Prometheus text exposition, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.indexOf('}');
    const set = line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) {
      return Number(line.slice(close + 1).trim());
    }
  }
  return undefined;
}

test(`D5: a message every consumer crashes on stops after delivery_limit (${DEFAULT_DELIVERY_LIMIT}) deliveries and is dropped and counted; other messages 0 lost`, async () => {
  const h = await startInProcess({
    // delivery_limit left out: the default (RabbitMQ's 20) is what the row checks.
    topics: [{ name: TOPIC, routing: 'Queue', ack: 'manual', prefetch: 1, buffer_size: 200_000 }],
  });
  const metrics = await startMetrics(h.server, { enabled: true, bind_address: '127.0.0.1', port: 0 });
  const pool = new Pool(h);
  const clients: WireClient[] = [];
  try {
    for (let k = 0; k < CONSUMERS; k++) pool.spawn();
    await until(() => pool.ready >= CONSUMERS, 'every consumer subscribed', 60_000);

    // Phase 1: OTHERS messages with X in the middle, while the consumers crash on X one by one.
    const startedAt = performance.now();
    const first = await WireClient.ready(h.tcp, { name: 'd5-pub-1' });
    clients.push(first);
    const pub1 = new ConfirmPublisher(first, TOPIC);
    const poisonAt = OTHERS / 2;
    await pub1.run(OTHERS + 1, (i) => (i === poisonAt ? poisonPayload : payload), { window: 256 });
    assert.equal(pub1.confirmed.size, OTHERS + 1, 'every publish confirmed');
    const poisonSeq = pub1.confirmed.get(poisonAt + 1)!;
    const others1 = [...pub1.confirmed.values()].filter((seq) => seq !== poisonSeq);
    const stats = () => h.server.broker.topicStats(TOPIC);
    await until(() => stats().droppedDeliveryLimit >= 1, 'X dropped by the delivery limit', 300_000, 20);
    await until(() => pool.ledger.lost(others1) === 0, 'every other message acked', 120_000, 20).catch(
      () => {},
    );
    const phase1Ms = performance.now() - startedAt;
    const crashesAtDrop = pool.crashes;
    const deliveriesAtDrop = pool.poisoned.length;

    // Phase 2: the consumers keep receiving once X is gone.
    const afterAt = performance.now();
    const second = await WireClient.ready(h.unix, { name: 'd5-pub-2' });
    clients.push(second);
    const pub2 = new ConfirmPublisher(second, TOPIC);
    await pub2.run(OTHERS, () => payload, { window: 256 });
    assert.equal(pub2.confirmed.size, OTHERS, 'every publish after the drop confirmed');
    const others2 = [...pub2.confirmed.values()];
    await until(
      () => pool.ledger.lost(others2) === 0,
      'every message after the drop acked',
      120_000,
      20,
    ).catch(() => {});
    const phase2Ms = performance.now() - afterAt;
    await until(() => stats().inFlight === 0, 'every delivery acked', 60_000, 20).catch(() => {});

    const text = await (await fetch(`${metrics.url}/metrics`)).text();
    const counted = sample(text, 'mycelium_messages_dropped_total', {
      topic: TOPIC,
      reason: 'delivery_limit',
    });
    const lost = pool.ledger.lost(others1) + pool.ledger.lost(others2);
    const counts = pool.poisoned.map(([, , count]) => count);
    const expectedCounts = Array.from({ length: DEFAULT_DELIVERY_LIMIT }, (_, i) => i + 1);
    const countsOk = JSON.stringify(counts) === JSON.stringify(expectedCounts);
    const flagsOk = pool.poisoned.every(
      ([seq, flags, count]) => seq === poisonSeq && flags === (count > 1 ? 1 : 0),
    );

    const okDeliveries = recordEq(
      'D5',
      'deliveries of X (bar: delivery_limit, the default 20)',
      pool.poisoned.length,
      DEFAULT_DELIVERY_LIMIT,
    );
    record({
      id: 'D5',
      figure: 'delivery_count of each delivery of X, redeliveries flagged',
      value: counts.length === 0 ? 'none' : `${counts[0]}..${counts.at(-1)}`,
      unit: '',
      bar: `1..${DEFAULT_DELIVERY_LIMIT}`,
      pass: countsOk && flagsOk,
    });
    const okCounted = recordEq(
      'D5',
      'X dropped and counted: mycelium_messages_dropped_total{reason="delivery_limit"}',
      counted ?? -1,
      1,
    );
    const okLost = recordEq('D5', 'other accepted messages never acked (lost)', lost, 0);
    const okStopped = recordEq(
      'D5',
      'deliveries of X and consumer crashes after X was dropped',
      pool.poisoned.length - deliveriesAtDrop + pool.crashes - crashesAtDrop,
      0,
    );
    recordInfo(
      'D5',
      'other messages per second while X cycled',
      Math.round(others1.length / (phase1Ms / 1000)),
      'msg/s',
    );
    recordInfo(
      'D5',
      'other messages per second after X was dropped',
      Math.round(others2.length / (phase2Ms / 1000)),
      'msg/s',
    );
    recordInfo('D5', 'consumer crashes (each on X)', pool.crashes, 'count');

    assert.ok(okDeliveries, `X was delivered ${pool.poisoned.length} times`);
    assert.ok(countsOk && flagsOk, `delivery counts of X: ${JSON.stringify(pool.poisoned)}`);
    assert.equal(stats().droppedDeliveryLimit, 1, 'the broker counts X once');
    assert.ok(okCounted, `dropped{reason="delivery_limit"} is ${String(counted)}`);
    assert.ok(okLost, `${lost} other messages were never acked`);
    assert.ok(okStopped, 'X came back, or a consumer crashed, after X was dropped');
    assert.equal(pool.crashes, DEFAULT_DELIVERY_LIMIT, 'one crash per delivery of X, none otherwise');
    assert.deepEqual([stats().depth, stats().inFlight], [0, 0], 'nothing left waiting or in flight');
  } finally {
    pool.stop();
    for (const c of clients) c.destroy();
    await metrics.close();
    await h.stop();
  }
});
