/**
 * The shared results collector (RELIABILITY.md §4.10). node:test runs test files in parallel
 * processes, so each figure is appended as one JSON line to a file outside the tree;
 * scripts/reliability-report.ts merges the lines into results.json and results.md. One small
 * appendFileSync per figure is atomic on Linux (O_APPEND), so processes never interleave lines.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** True for the soak tier (`npm run soak`): the full figures of RELIABILITY.md. */
export const SOAK = process.env.MYCELIUM_SOAK === '1';

/** Where figures are appended; the report script reads and clears the same file. */
export const RECORDS_FILE =
  process.env.MYCELIUM_RESULTS_FILE ?? join(tmpdir(), 'mycelium-reliability', 'records.jsonl');

/** The seed of this process's random choices (MYCELIUM_SEED pins it to replay a run). */
export const SEED = Number(process.env.MYCELIUM_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** One measured figure of a matrix row. */
export interface Figure {
  /** Row id: P1, D3, ... (peers: `B1@nats`). */
  readonly id: string;
  /** What was measured, in the matrix's words. */
  readonly figure: string;
  readonly value: number | string;
  readonly unit: string;
  /** The pass bar, as text (e.g. "= 0", "<= 64"). */
  readonly bar: string;
  readonly pass: boolean;
  /** How many runs the value covers (default 1). */
  readonly runs?: number;
  /** True for context figures that pass or fail nothing (peer baselines). */
  readonly context?: boolean;
}

/** A figure as stored: with the environment it was measured in. */
export interface RecordLine extends Figure {
  readonly runs: number;
  readonly seed: number;
  readonly node_version: string;
  readonly host: string;
  readonly tier: 'ci' | 'soak';
  readonly at: string;
}

/** Appends one figure to the records file. */
export function record(figure: Figure): void {
  const line: RecordLine = {
    ...figure,
    runs: figure.runs ?? 1,
    seed: SEED,
    node_version: process.version,
    host: hostname(),
    tier: SOAK ? 'soak' : 'ci',
    at: new Date().toISOString(),
  };
  mkdirSync(dirname(RECORDS_FILE), { recursive: true });
  appendFileSync(RECORDS_FILE, `${JSON.stringify(line)}\n`);
}

/** Records a figure that must equal `want`, and returns whether it does (assert on the result). */
export function recordEq(
  id: string,
  figure: string,
  value: number,
  want: number,
  unit = 'count',
  runs = 1,
): boolean {
  const pass = value === want;
  record({ id, figure, value, unit, bar: `= ${want}`, pass, runs });
  return pass;
}

/** Records a figure that must be at most `max`. */
export function recordMax(
  id: string,
  figure: string,
  value: number,
  max: number,
  unit: string,
  runs = 1,
): boolean {
  const pass = value <= max;
  record({ id, figure, value, unit, bar: `<= ${max}`, pass, runs });
  return pass;
}

/** Records a figure with no bar (reported beside the pass/fail rows). */
export function recordInfo(id: string, figure: string, value: number | string, unit: string, runs = 1): void {
  record({ id, figure, value, unit, bar: '(figure)', pass: true, runs, context: true });
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with MYCELIUM_SEED. */
export function rng(seed: number = SEED): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The p-th percentile (0..100) of `values` (nearest rank); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Runs a fuzz property of `runs` iterations as one part of matrix row `id` (P3, P6): records the
 * iterations against the tier's bar (`minRuns`), the failures (bar 0), the rate and the heap
 * growth across the run, then rethrows a failure so the test fails with fast-check's report.
 */
export function recordFuzz(id: string, name: string, runs: number, minRuns: number, run: () => void): void {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  let failure: unknown;
  try {
    run();
  } catch (err) {
    failure = err;
  }
  const seconds = (performance.now() - started) / 1000;
  record({
    id,
    figure: `${name}: iterations`,
    value: runs,
    unit: 'iterations',
    bar: `>= ${minRuns}`,
    pass: runs >= minRuns,
  });
  recordEq(
    id,
    `${name}: failures (uncaught exceptions or broken properties)`,
    failure === undefined ? 0 : 1,
    0,
  );
  recordInfo(id, `${name}: iterations per second`, Math.round(runs / seconds), 'it/s');
  recordInfo(
    id,
    `${name}: heap growth over the run`,
    Number(((process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024).toFixed(1)),
    'MiB',
  );
  if (failure !== undefined) throw failure;
}
