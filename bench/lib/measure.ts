/**
 * Measuring helpers for in-process benchmarks: a forced GC without `--expose-gc` on the command
 * line, memory snapshots, the cost of reading the clock, HDR histograms and a plain-text table.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as hdr from 'hdr-histogram-js';

setFlagsFromString('--expose-gc');
// Bytecode of functions idle for a few GCs is dropped and recompiled later, which moves heapUsed
// by tens of KiB between snapshots: noise in a memory delta.
setFlagsFromString('--no-flush-bytecode');
const gcFunction = runInNewContext('gc') as () => void;

/**
 * Runs full GCs until heapUsed and arrayBuffers stop shrinking. Waits between them because V8
 * frees ArrayBuffer backing stores on a background thread: `arrayBuffers` lags a bare `gc()`.
 */
export async function settle(): Promise<void> {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20; i++) {
    gcFunction();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const m = process.memoryUsage();
    const now = m.heapUsed + m.arrayBuffers;
    if (now >= last) break;
    last = now;
  }
}

/**
 * heapUsed + arrayBuffers after settling, less the code spaces: what JS objects and typed-array
 * bytes take. Compiled code comes and goes with the JIT (hundreds of KiB) and is not data.
 */
export async function memoryNow(): Promise<number> {
  await settle();
  let code = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name.startsWith('code_')) code += space.space_used_size;
  }
  const m = process.memoryUsage();
  return m.heapUsed - code + m.arrayBuffers;
}

/** Median cost in ns of one `process.hrtime.bigint()` pair, the floor of every timed sample. */
export function clockOverheadNs(samples = 20_000): number {
  const costs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    costs.push(Number(t1 - t0));
  }
  costs.sort((a, b) => a - b);
  return costs[costs.length >> 1]!;
}

/** A histogram of nanosecond values, 3 significant digits. */
export function nsHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** Formats rows as a left-aligned text table with a header rule. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** 12345678 -> "12.35 M". */
export function millions(n: number): string {
  return `${(n / 1e6).toFixed(2)} M`;
}

/** Bytes as KiB or MiB. */
export function bytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}
