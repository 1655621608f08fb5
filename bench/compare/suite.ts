/**
 * The run loop: every run goes through every measurement, and within a measurement through the
 * systems in an order rotated by run and row, so no system always goes first (or last, on a
 * machine warmed by the others).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrokerSet } from './brokers.ts';
import { ROOT } from './mycelium-broker.ts';
import type { Measurement } from './plan.ts';
import { rowsOf } from './plan.ts';
import { formatValue } from './report-md.ts';
import { brokerOf, type SystemId } from './types.ts';
import type { CellResult } from './workloads/cell.ts';
import { runLatency } from './workloads/latency.ts';
import { runMemory } from './workloads/memory.ts';
import { runThroughput } from './workloads/throughput.ts';

/**
 * Whether a system has no meaning for a measurement: Redis has no queue groups, and the Node
 * floor (floor-relay.ts) is a reference for one raw message in flight only. It writes each
 * message on its own, so under a steady rate it is no floor: batching is a broker's job.
 */
export function notApplicable(m: Measurement, system: SystemId): boolean {
  if (system === 'node-floor') return !(m.kind === 'latency' && m.api === 'raw' && m.mode === 'inflight');
  return m.kind === 'throughput' && m.pattern === 'queue' && system === 'redis';
}

const require = createRequire(import.meta.url);

/** Whether an npm package can be loaded from this tree. */
function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Why the cell cannot run in this tree, or null (client rows need each system's client). */
function unavailable(m: Measurement, system: SystemId): string | null {
  if (m.kind === 'memory' || m.api !== 'client') return null;
  if (system === 'nats')
    return installed('nats') ? null : 'the nats package is not installed (a devDependency)';
  if (system === 'redis')
    return installed('ioredis') ? null : 'the ioredis package is not installed (a devDependency)';
  return existsSync(join(ROOT, 'src/client/index.ts'))
    ? null
    : 'the Mycelium SDK (src/client/index.ts) is not in this tree';
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = items.length;
  return n === 0 ? [] : items.map((_, i) => items[(i + by) % n]!);
}

/** One cell, or why it was skipped or failed. */
async function runCell(
  m: Measurement,
  system: SystemId,
  run: number,
  brokers: BrokerSet,
  quick: boolean,
): Promise<CellResult> {
  const missing = unavailable(m, system);
  if (missing) return { measurement: m.id, system, run, values: {}, skipped: missing };
  const measure = async (): Promise<CellResult> => {
    if (m.kind === 'throughput') {
      const endpoint = await brokers.endpoint(system);
      const settleMs = quick ? 500 : 1000;
      return runThroughput(m, system, endpoint, run, settleMs, () => brokers.cpuSeconds(system));
    }
    if (m.kind === 'latency') {
      const endpoint = await brokers.endpoint(system);
      return runLatency(m, system, endpoint, run, () => brokers.cpuSeconds(system));
    }
    const broker = await brokers.start(brokerOf(system));
    try {
      return await runMemory(m, system, broker, run, quick ? 200 : undefined);
    } finally {
      await broker.stop();
    }
  };
  let cell: CellResult;
  try {
    cell = await measure();
  } catch (e) {
    cell = { measurement: m.id, system, run, values: {}, error: (e as Error).message };
  }
  const crash = brokers.crashed(system);
  return crash ? { ...cell, values: {}, error: `broker crashed: ${crash}` } : cell;
}

function describe(m: Measurement, cell: CellResult): string {
  if (cell.skipped) return `skipped: ${cell.skipped}`;
  if (cell.error) return `FAILED: ${cell.error}`;
  const figures = rowsOf(m)
    .filter((r) => cell.values[r.id] !== undefined)
    .map((r) => `${formatValue(r, cell.values[r.id]!)} ${r.unit}`);
  const parts = [figures.join(' / ') || 'no figure'];
  if (cell.lost !== undefined) parts.push(`lost ${cell.lost}`);
  if (cell.overflow) parts.push(`overflow: ${cell.overflow}`);
  if (cell.notes?.length) parts.push(`notes: ${cell.notes.join('; ')}`);
  return parts.join(' · ');
}

/** Runs every cell `runs` times (latency cells `rounds` times per run) and returns them all. */
export async function runSuite(
  plan: readonly Measurement[],
  brokers: BrokerSet,
  runs: number,
  quick: boolean,
  log: (line: string) => void,
): Promise<CellResult[]> {
  const cells: CellResult[] = [];
  const systems = brokers.systems();
  for (let run = 1; run <= runs; run++) {
    for (const [index, m] of plan.entries()) {
      const label =
        m.kind === 'throughput'
          ? m.row.label
          : m.kind === 'latency'
            ? m.rows[0].label.replace(/, p50$/, '')
            : 'memory';
      const rounds = m.kind === 'latency' ? m.rounds : 1;
      for (let round = 0; round < rounds; round++) {
        const tag = rounds > 1 ? `[run ${run}/${runs}, ${round + 1}/${rounds}]` : `[run ${run}/${runs}]`;
        for (const system of rotate(systems, run + index + round)) {
          if (notApplicable(m, system)) continue;
          const cell = await runCell(m, system, run, brokers, quick);
          cells.push(rounds > 1 ? { ...cell, round } : cell);
          log(`${tag} ${label} · ${system} · ${describe(m, cell)}`);
        }
      }
    }
  }
  return cells;
}
