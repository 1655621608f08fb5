/**
 * One memory cell: a fresh broker, then 1, 1,000 and 10,000 idle connections (each with one
 * subscription) opened by one process; the broker's VmRSS is read after each step settles.
 * Per-connection memory is the slope between the first and the last step.
 */
import type { MemoryMeasurement } from '../plan.ts';
import { nofileOf, rssOf, startWorker } from '../proc.ts';
import type { Broker } from '../peers.ts';
import { benchTopic, PAYLOAD_SIZES, type SystemId } from '../types.ts';
import type { CellResult } from './cell.ts';

/** File descriptors kept free for everything that is not an idle connection. */
const FD_MARGIN = 64;
/** Time for a broker to finish allocating for the new connections before RSS is read. */
const SETTLE_MS = 1000;

/**
 * Runs `m` against `system` on the freshly started `broker` (which the caller stops). Levels are
 * scaled down, and a note says so, when the open-file limits do not allow them.
 */
export async function runMemory(
  m: MemoryMeasurement,
  system: SystemId,
  broker: Broker,
  run: number,
  settleMs = SETTLE_MS,
): Promise<CellResult> {
  const endpoint = broker.endpoints[system];
  const pid = broker.process.pid;
  if (!endpoint || pid === undefined) throw new Error(`${system} has no endpoint on this broker`);
  const worker = await startWorker(
    {
      role: 'idle',
      api: 'raw',
      system,
      endpoint,
      topic: benchTopic('fanout', PAYLOAD_SIZES[0]),
      payloadSize: 0,
    },
    20_000,
    true,
  );
  const notes: string[] = [];
  try {
    const limit =
      Math.min(nofileOf(pid) ?? Infinity, nofileOf(worker.child.pid ?? 0) ?? Infinity) - FD_MARGIN;
    const values: Record<string, number> = {};
    const reached: { level: number; rss: number }[] = [];
    for (const [i, wanted] of m.levels.entries()) {
      const level = Math.min(wanted, limit);
      if (level < wanted)
        notes.push(`open-file limit ${limit + FD_MARGIN}: ${wanted} connections scaled down to ${level}`);
      worker.send({ type: 'open', total: level });
      await worker.expect('opened', 300_000);
      await new Promise((r) => setTimeout(r, settleMs));
      const rss = rssOf(pid);
      if (rss === null) throw new Error(`${system} broker is gone (pid ${pid})`);
      values[m.rows[i]!.id] = Math.round((rss / 2 ** 20) * 10) / 10;
      reached.push({ level, rss });
    }
    const first = reached[0];
    const last = reached.at(-1);
    if (first && last && last.level > first.level) {
      values[m.rows.at(-1)!.id] =
        Math.round(((last.rss - first.rss) / (last.level - first.level) / 1024) * 10) / 10;
    }
    return { measurement: m.id, system, run, values, ...(notes.length > 0 ? { notes } : {}) };
  } finally {
    await worker.kill();
  }
}
