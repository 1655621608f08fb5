/** One latency cell: a single process holding a publisher and a subscriber, the broker apart. */
import type { LatencyMeasurement } from '../plan.ts';
import { Worker } from '../proc.ts';
import { benchTopic, type Endpoint, type SystemId } from '../types.ts';
import type { CellResult } from './cell.ts';

/**
 * Runs `m` against `system` at `endpoint` for run number `run`; `brokerCpu` reads the broker's
 * CPU seconds so far (null when it cannot be read).
 */
export async function runLatency(
  m: LatencyMeasurement,
  system: SystemId,
  endpoint: Endpoint,
  run: number,
  brokerCpu: () => number | null,
): Promise<CellResult> {
  const cpuBefore = brokerCpu();
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
    const cpuAfter = brokerCpu();
    const [p50, p99, p999] = m.rows;
    const total = m.samples + m.warmup;
    const values: Record<string, number> =
      stats.samples > 0 ? { [p50.id]: stats.p50, [p99.id]: stats.p99, [p999.id]: stats.p999 } : {};
    // Microseconds of broker CPU per message (the counters tick every 10 ms: ~3 % at full size).
    if (m.cpuRow !== undefined && stats.samples > 0 && cpuBefore !== null && cpuAfter !== null)
      values[m.cpuRow.id] = Number((((cpuAfter - cpuBefore) * 1e6) / total).toFixed(1));
    const notes: string[] = [];
    if (m.mode === 'rate' && stats.achievedRate < m.rate * 0.9) {
      notes.push(`the load generator reached only ${stats.achievedRate} msg/s`);
    }
    return {
      measurement: m.id,
      system,
      run,
      values,
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
