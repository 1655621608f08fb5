/** Command-line options of `npm run bench:compare`. */
import { parseArgs } from 'node:util';
import { ALL_SECTIONS, type Section } from './plan.ts';
import type { BrokerId } from './types.ts';

export interface Options {
  /** Tiny counts, one run, timing not judged: the CI smoke run. */
  readonly quick: boolean;
  /** Repetitions; the table reports medians. */
  readonly runs: number;
  readonly only: readonly BrokerId[];
  readonly sections: readonly Section[];
  /** Only measurements whose id contains this text (e.g. `raw-one-16`); null: all. */
  readonly match: string | null;
  /** Where results go (default bench/results/, or a temp dir in quick mode). */
  readonly out: string | null;
}

export const USAGE = `usage: npm run bench:compare [-- options]
  --quick            tiny counts, 1 run, no timing judged (fails only on crashes and lost messages)
  --runs N           repetitions, medians reported (default 3; 1 with --quick)
  --only LIST        brokers to run: mycelium,nats,redis,floor (default all; floor is the Node
                     floor, a reference in the raw latency rows: bench/compare/floor-relay.ts)
  --sections LIST    raw,client,latency,memory (default all)
  --match TEXT       only measurements whose id contains TEXT, e.g. raw-one-16 (ids: <api>-<one|fanout|queue>-<16|1024>,
                     <api>-latency-<inflight|rate>, memory)
  --out DIR          where the .json/.md/.svg go (default bench/results/; a temp dir with --quick)`;

const BROKERS: readonly BrokerId[] = ['mycelium', 'nats', 'redis', 'floor'];

function list<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): readonly T[] {
  if (value === undefined) return allowed;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!allowed.includes(item as T))
      throw new Error(`${flag}: unknown '${item}' (one of ${allowed.join(', ')})`);
  }
  if (items.length === 0) throw new Error(`${flag}: give at least one of ${allowed.join(', ')}`);
  return items as T[];
}

/** Parses argv (without node and the script); throws with a readable message on bad input. */
export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
      sections: { type: 'string' },
      match: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const runs = values.runs === undefined ? (values.quick ? 1 : 3) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50)
    throw new Error(`--runs: expected 1..50, got '${values.runs}'`);
  return {
    quick: values.quick,
    runs,
    only: list('--only', values.only, BROKERS),
    sections: list('--sections', values.sections, ALL_SECTIONS),
    match: values.match ?? null,
    out: values.out ?? null,
  };
}
