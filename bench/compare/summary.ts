/**
 * From cells to rows: the median of each system's runs, the best peer, Mycelium's ratio to it,
 * the messages lost, and the list of real failures (what makes the suite exit non-zero).
 */
import type { Measurement, RowDef, Section } from './plan.ts';
import { rowsOf } from './plan.ts';
import { ALL_SYSTEMS, PEER_SYSTEMS, type SystemId } from './types.ts';
import type { CellResult } from './workloads/cell.ts';

export type MyceliumSystem = 'mycelium-unix' | 'mycelium-tcp';
export const MYCELIUM_SYSTEMS: readonly MyceliumSystem[] = ['mycelium-unix', 'mycelium-tcp'];

/** One row of the table. */
export interface RowSummary {
  readonly row: RowDef;
  readonly measurement: string;
  readonly section: Section;
  /** Median over the runs that produced a value. */
  readonly medians: Partial<Record<SystemId, number>>;
  /** Why a system has no figure ('n/a', 'skipped: ...', 'failed: ...'). */
  readonly missing: Partial<Record<SystemId, string>>;
  readonly bestPeer: { readonly system: SystemId; readonly value: number } | null;
  /**
   * Mycelium / best peer (for lower-is-better rows a ratio below 1 means Mycelium is ahead): the
   * median of the ratios of cells run side by side (same run and round), see {@link pairedRatio}.
   */
  readonly ratios: Partial<Record<MyceliumSystem, number>>;
  /** Messages lost over all runs, and whether that was the broker's overflow policy. */
  readonly lost: Partial<Record<SystemId, number>>;
  readonly overflowed: Partial<Record<SystemId, boolean>>;
}

/** A real failure: a crash, or messages lost where no overflow policy explains it. */
export interface Failure {
  readonly measurement: string;
  readonly system: SystemId;
  readonly run: number;
  readonly reason: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Whether `a` is better than `b` for `row`. */
export function better(row: RowDef, a: number, b: number): boolean {
  return row.better === 'higher' ? a > b : a < b;
}

/**
 * The median, over the runs (and rounds) where both have a value, of `system`'s figure divided by
 * `peer`'s in the same run and round. Those two cells ran a few seconds apart, so a slow spell of
 * the machine (on a shared 2-core VM the same cell drifts by 20 % and more over a minute) falls on
 * both: the ratio of two medians would instead compare figures taken minutes apart.
 */
export function pairedRatio(
  row: RowDef,
  cells: readonly CellResult[],
  system: SystemId,
  peer: SystemId,
): number | undefined {
  const ratios: number[] = [];
  for (const c of cells) {
    const v = c.values[row.id];
    if (c.system !== system || v === undefined) continue;
    const twin = cells.find((o) => o.system === peer && o.run === c.run && o.round === c.round);
    const p = twin?.values[row.id];
    if (p !== undefined && p > 0) ratios.push(v / p);
  }
  return ratios.length > 0 ? median(ratios) : undefined;
}

/** Summarises every row of `plan` from `cells`; `notApplicable` marks (measurement, system) pairs as n/a. */
export function summarize(
  plan: readonly Measurement[],
  cells: readonly CellResult[],
  notApplicable: (m: Measurement, system: SystemId) => boolean,
): RowSummary[] {
  const out: RowSummary[] = [];
  for (const m of plan) {
    const mine = cells.filter((c) => c.measurement === m.id);
    for (const row of rowsOf(m)) {
      const medians: Partial<Record<SystemId, number>> = {};
      const missing: Partial<Record<SystemId, string>> = {};
      const lost: Partial<Record<SystemId, number>> = {};
      const overflowed: Partial<Record<SystemId, boolean>> = {};
      for (const system of ALL_SYSTEMS) {
        const own = mine.filter((c) => c.system === system);
        const values = own.map((c) => c.values[row.id]).filter((v): v is number => v !== undefined);
        if (values.length > 0) medians[system] = median(values);
        else if (notApplicable(m, system)) missing[system] = 'n/a';
        else if (own[0]?.skipped) missing[system] = `skipped: ${own[0].skipped}`;
        else if (own.some((c) => c.error)) missing[system] = `failed: ${own.find((c) => c.error)?.error}`;
        else if (own.length > 0) missing[system] = 'no value';
        const lostTotal = own.reduce((n, c) => n + (c.lost ?? 0), 0);
        if (own.some((c) => c.lost !== undefined)) lost[system] = lostTotal;
        if (own.some((c) => c.overflow)) overflowed[system] = true;
      }
      let bestPeer: RowSummary['bestPeer'] = null;
      for (const peer of PEER_SYSTEMS) {
        const v = medians[peer];
        if (v !== undefined && (bestPeer === null || better(row, v, bestPeer.value)))
          bestPeer = { system: peer, value: v };
      }
      const ratios: Partial<Record<MyceliumSystem, number>> = {};
      for (const sys of MYCELIUM_SYSTEMS) {
        const ratio = bestPeer ? pairedRatio(row, mine, sys, bestPeer.system) : undefined;
        if (ratio !== undefined) ratios[sys] = ratio;
      }
      out.push({
        row,
        measurement: m.id,
        section: m.section,
        medians,
        missing,
        bestPeer,
        ratios,
        lost,
        overflowed,
      });
    }
  }
  return out;
}

/**
 * The failures among `cells`: every error, every loss not explained by an overflow policy, and
 * in quick mode any raw 1→1 16 B cell whose delivered count differs from its published count.
 */
export function failures(cells: readonly CellResult[], quick: boolean): Failure[] {
  const out: Failure[] = [];
  for (const c of cells) {
    const at = { measurement: c.measurement, system: c.system, run: c.run };
    if (c.error) out.push({ ...at, reason: c.error });
    else if ((c.lost ?? 0) > 0 && !c.overflow) {
      out.push({ ...at, reason: `${c.lost} of ${c.expected} messages lost with no overflow signalled` });
    } else if (quick && c.measurement === 'raw-one-16' && c.delivered !== c.published) {
      out.push({
        ...at,
        reason: `delivered ${c.delivered} of ${c.published} published (${c.overflow ?? ''})`,
      });
    }
  }
  return out;
}
