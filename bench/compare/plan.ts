/**
 * What the suite measures: the measurements, the result rows each one fills, and their sizes in
 * full and quick mode. Full sizes aim at about a second of publishing per cell on 2 cores.
 */
import { type Api, PAYLOAD_SIZES, type Pattern } from './types.ts';

/** Groups of rows, selectable with --sections. */
export type Section = 'raw' | 'client' | 'latency' | 'memory';
export const ALL_SECTIONS: readonly Section[] = ['raw', 'client', 'latency', 'memory'];

/** One line of the results table. */
export interface RowDef {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
}

export interface ThroughputMeasurement {
  readonly kind: 'throughput';
  readonly id: string;
  readonly section: 'raw' | 'client';
  readonly api: Api;
  readonly pattern: Pattern;
  readonly payloadSize: number;
  readonly subscribers: number;
  /** Messages published (each subscriber of a fanout gets all of them). */
  readonly count: number;
  /** Publishing stops here even if `count` is not reached (a slow system still finishes). */
  readonly maxSeconds: number;
  readonly row: RowDef;
  /**
   * Raw rows: the broker's CPU time (user + system) per million deliveries in the cell. On two
   * cores shared by the broker and its load generators, throughput partly measures how much CPU a
   * broker leaves the generators; this row measures the broker's own cost directly.
   */
  readonly cpuRow?: RowDef;
}

export interface LatencyMeasurement {
  readonly kind: 'latency';
  readonly id: string;
  readonly section: 'latency';
  readonly api: Api;
  readonly mode: 'inflight' | 'rate';
  readonly payloadSize: number;
  readonly samples: number;
  readonly warmup: number;
  readonly rate: number;
  /**
   * Cells per system in each run, the systems alternated between them. One message in flight
   * takes under a second per cell, and its latency moves between two modes on a small VM (~62
   * and ~75 µs over TCP here, whichever system runs): a median of 3-5 cells lands on either, one
   * of 15 or more does not. A 50k msg/s cell takes ~2 s, and its p99 rests on its slowest ~1 %
   * (about twenty 1 ms ticks): 3 rounds.
   */
  readonly rounds: number;
  /** p50, p99, p99.9 rows, in that order. */
  readonly rows: readonly [RowDef, RowDef, RowDef];
  /**
   * One in flight: the broker's CPU time (user + system) per message. With nothing else to do, a
   * broker's answer to one message is mostly waking up, and how it waits (sleeping in epoll, or
   * spinning a while first, as the Go runtime does) trades CPU for latency: this row shows the
   * CPU side of that trade.
   */
  readonly cpuRow?: RowDef;
}

export interface MemoryMeasurement {
  readonly kind: 'memory';
  readonly id: string;
  readonly section: 'memory';
  /** Idle subscriber connections at each step (ascending). */
  readonly levels: readonly number[];
  /** One RSS row per level, then the per-connection row. */
  readonly rows: readonly RowDef[];
}

export type Measurement = ThroughputMeasurement | LatencyMeasurement | MemoryMeasurement;

const PATTERN_LABEL: Record<Pattern, string> = { one: '1→1', fanout: '1→4 fanout', queue: 'queue 1→4' };

function sizeLabel(bytes: number): string {
  return bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

function throughputRows(api: Api, quick: boolean): ThroughputMeasurement[] {
  const out: ThroughputMeasurement[] = [];
  for (const payloadSize of PAYLOAD_SIZES) {
    for (const pattern of ['one', 'fanout', 'queue'] as const) {
      const small = payloadSize === 16;
      // Full counts: ~1 s at the peers' speed; fanout publishes fewer (each is delivered 4 times).
      let count = api === 'raw' ? (small ? 2_000_000 : 400_000) : small ? 500_000 : 200_000;
      if (pattern === 'fanout') count /= 2;
      if (quick) count = api === 'raw' ? 20_000 : 5_000;
      const id = `${api}-${pattern}-${payloadSize}`;
      const unit = pattern === 'fanout' ? 'deliveries/s' : 'msg/s';
      const label = `${api} ${PATTERN_LABEL[pattern]}, ${sizeLabel(payloadSize)}`;
      out.push({
        kind: 'throughput',
        id,
        section: api,
        api,
        pattern,
        payloadSize,
        subscribers: pattern === 'one' ? 1 : 4,
        count,
        maxSeconds: quick ? 10 : 4,
        row: { id, label, unit, better: 'higher' },
        ...(api === 'raw'
          ? {
              cpuRow: {
                id: `${id}-cpu`,
                label: `${label}: broker CPU per million deliveries`,
                unit: 'CPU ms',
                better: 'lower',
              },
            }
          : {}),
      });
    }
  }
  return out;
}

function latencyRows(api: Api, mode: 'inflight' | 'rate', quick: boolean): LatencyMeasurement {
  const rate = quick ? 10_000 : 50_000;
  const id = `${api}-latency-${mode}`;
  const what = mode === 'inflight' ? 'one in flight' : `${rate / 1000}k msg/s`;
  const row = (p: string, key: string): RowDef => ({
    id: `${id}-${key}`,
    label: `${api} latency ${what}, 16 B, ${p}`,
    unit: 'µs',
    better: 'lower',
  });
  return {
    kind: 'latency',
    id,
    section: 'latency',
    api,
    mode,
    payloadSize: PAYLOAD_SIZES[0],
    samples: mode === 'inflight' ? (quick ? 200 : 10_000) : quick ? 2_000 : 100_000,
    warmup: mode === 'inflight' ? (quick ? 50 : 1_000) : quick ? 500 : 5_000,
    rate,
    rounds: quick ? 1 : mode === 'inflight' ? 5 : 3,
    rows: [row('p50', 'p50'), row('p99', 'p99'), row('p99.9', 'p999')],
    ...(mode === 'inflight'
      ? {
          cpuRow: {
            id: `${id}-cpu`,
            label: `${api} latency ${what}: broker CPU per message`,
            unit: 'CPU µs',
            better: 'lower',
          },
        }
      : {}),
  };
}

function memoryRows(quick: boolean): MemoryMeasurement {
  const levels = quick ? [1, 10, 100] : [1, 1_000, 10_000];
  const rows: RowDef[] = levels.map((n) => ({
    id: `memory-rss-${n}`,
    label: `broker RSS, ${n.toLocaleString('en-US')} idle subscriber${n === 1 ? '' : 's'}`,
    unit: 'MiB',
    better: 'lower',
  }));
  rows.push({
    id: 'memory-per-conn',
    label: 'RSS per idle subscriber connection',
    unit: 'KiB',
    better: 'lower',
  });
  return { kind: 'memory', id: 'memory', section: 'memory', levels, rows };
}

/** Every measurement of a run, in table order, limited to `sections`. */
export function buildPlan(quick: boolean, sections: readonly Section[]): Measurement[] {
  const all: Measurement[] = [
    ...throughputRows('raw', quick),
    ...throughputRows('client', quick),
    latencyRows('raw', 'inflight', quick),
    latencyRows('raw', 'rate', quick),
    latencyRows('client', 'inflight', quick),
    latencyRows('client', 'rate', quick),
    memoryRows(quick),
  ];
  return all.filter((m) => sections.includes(m.section));
}

/** The rows a measurement fills. */
export function rowsOf(m: Measurement): readonly RowDef[] {
  if (m.kind === 'memory') return m.rows;
  const rows = m.kind === 'throughput' ? [m.row] : m.rows;
  return m.cpuRow === undefined ? rows : [...rows, m.cpuRow];
}
