/**
 * One throughput cell: a subscriber process and a publisher process against one system. The
 * figure is deliveries per second from the publisher's first write to the last delivery, so a
 * broker that only buffers does not look fast.
 */
import type { ThroughputMeasurement } from '../plan.ts';
import { startWorker } from '../proc.ts';
import { benchTopic, type Endpoint, type PubStats, type SystemId } from '../types.ts';
import type { CellResult } from './cell.ts';

/** How often the parent asks the subscribers how far they got. */
const POLL_MS = 100;

/** Runs `m` against `system` at `endpoint` for run number `run`. */
export async function runThroughput(
  m: ThroughputMeasurement,
  system: SystemId,
  endpoint: Endpoint,
  run: number,
  settleMs: number,
  brokerCpu: () => number | null,
): Promise<CellResult> {
  const common = { api: m.api, system, endpoint, payloadSize: m.payloadSize };
  const topic = benchTopic(m.pattern === 'queue' ? 'queue' : 'fanout', m.payloadSize);
  const sub = await startWorker(
    { ...common, role: 'sub', topic, connections: m.subscribers, queue: m.pattern === 'queue' },
    20_000,
  );
  try {
    const pub = await startWorker(
      { ...common, role: 'pub', topic, count: m.count, maxSeconds: m.maxSeconds },
      20_000,
    );
    let pubStats: PubStats;
    const cpuBefore = brokerCpu();
    try {
      pub.send({ type: 'go' });
      pubStats = (await pub.expect('pub-done', (m.maxSeconds + 150) * 1000)).stats;
    } finally {
      await pub.kill();
    }
    const expected = m.pattern === 'fanout' ? pubStats.published * m.subscribers : pubStats.published;
    // Wait until everything arrived, or until nothing has arrived for settleMs.
    let seen = -1;
    let still = 0;
    for (;;) {
      sub.send({ type: 'poll' });
      const { messages } = await sub.expect('progress', 10_000);
      if (messages >= expected) break;
      still = messages === seen ? still + POLL_MS : 0;
      if (still >= settleMs) break;
      seen = messages;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const cpuAfter = brokerCpu();
    sub.send({ type: 'stop' });
    const { conns } = await sub.expect('sub-done', 10_000);

    const delivered = conns.reduce((n, c) => n + c.messages, 0);
    const lastNs = Math.max(...conns.map((c) => c.lastNs));
    const seconds = (lastNs - pubStats.startNs) / 1e9;
    const lagged = conns.reduce((n, c) => n + c.lagged, 0);
    const dropped = conns.filter((c) => c.closedByBroker).length;
    const reasons: string[] = [];
    if (lagged > 0) reasons.push(`${lagged} messages skipped (LAGGED)`);
    if (dropped > 0) reasons.push(`${dropped} subscriber(s) disconnected by the broker`);
    if (pubStats.rejected > 0) reasons.push(`${pubStats.rejected} publishes refused`);
    const notes = [...pubStats.errors, ...conns.flatMap((c) => c.errors)];
    if (delivered > expected) notes.push(`${delivered - expected} more deliveries than expected`);
    return {
      measurement: m.id,
      system,
      run,
      values: delivered > 0 && seconds > 0 ? valuesOf(m, delivered, seconds, cpuBefore, cpuAfter) : {},
      published: pubStats.published,
      delivered,
      expected,
      lost: Math.max(0, expected - delivered),
      ...(reasons.length > 0 ? { overflow: reasons.join('; ') } : {}),
      ...(notes.length > 0 ? { notes } : {}),
    };
  } finally {
    await sub.kill();
  }
}

/** The cell's figures: deliveries per second and, for raw rows, broker CPU ms per million. */
function valuesOf(
  m: ThroughputMeasurement,
  delivered: number,
  seconds: number,
  cpuBefore: number | null,
  cpuAfter: number | null,
): Record<string, number> {
  const values: Record<string, number> = { [m.row.id]: Math.round(delivered / seconds) };
  if (m.cpuRow !== undefined && cpuBefore !== null && cpuAfter !== null) {
    values[m.cpuRow.id] = Number((((cpuAfter - cpuBefore) * 1000) / (delivered / 1e6)).toFixed(1));
  }
  return values;
}
