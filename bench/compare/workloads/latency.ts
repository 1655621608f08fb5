/** One latency cell: a single process holding a publisher and a subscriber, the broker apart. */
import type { LatencyMeasurement } from '../plan.ts';
import { Worker } from '../proc.ts';
import { benchTopic, type Endpoint, type SystemId } from '../types.ts';
import type { CellResult } from './cell.ts';

/** Runs `m` against `system` at `endpoint` for run number `run`. */
export async function runLatency(
  m: LatencyMeasurement,
  system: SystemId,
  endpoint: Endpoint,
  run: number,
): Promise<CellResult> {
  // The worker starts timing as soon as it is connected, and reports only when done.
  const worker = new Worker({
    role: 'latency',
    api: m.api,
    system,
    endpoint,
    topic: benchTopic('fanout', m.payloadSize),
    payloadSize: m.payloadSize,
    mode: m.mode,
    samples: m.samples,
    warmup: m.warmup,
    rate: m.rate,
  });
  try {
    const budgetMs = m.mode === 'rate' ? ((m.samples + m.warmup) / m.rate) * 1000 + 40_000 : 150_000;
    const { stats } = await worker.expect('latency-done', budgetMs);
    const [p50, p99, p999] = m.rows;
    const total = m.samples + m.warmup;
    const notes: string[] = [];
    if (m.mode === 'rate' && stats.achievedRate < m.rate * 0.9) {
      notes.push(`the load generator reached only ${stats.achievedRate} msg/s`);
    }
    return {
      measurement: m.id,
      system,
      run,
      values: stats.samples > 0 ? { [p50.id]: stats.p50, [p99.id]: stats.p99, [p999.id]: stats.p999 } : {},
      published: total,
      delivered: total - stats.lost,
      expected: total,
      lost: stats.lost,
      ...(notes.length > 0 ? { notes } : {}),
    };
  } finally {
    await worker.kill();
  }
}
