/**
 * A parser for the Prometheus text exposition format (version 0.0.4), strict enough that a
 * malformed line fails the test rather than being skipped.
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed scrape. */
export interface Scrape {
  readonly samples: readonly Sample[];
  /** Metric family name to its `# TYPE`. */
  readonly types: ReadonlyMap<string, string>;
  /**
   * The value of the one sample named `name` whose labels are exactly `labels`; throws when there
   * is none (a missing series is a failure, not a 0).
   */
  value(name: string, labels?: Record<string, string>): number;
  /** Whether a sample with exactly these labels exists. */
  has(name: string, labels?: Record<string, string>): boolean;
  /** Every sample named `name`. */
  series(name: string): Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (m === null) throw new Error(`bad labels in line: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
    rest = rest.slice(m[0].length);
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  // Prometheus parses these case-insensitively (prom-client writes NaN as "Nan").
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`bad value in line: ${line}`);
  return n;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Parses a whole `/metrics` body. */
export function parseMetrics(body: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of body.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type !== null) types.set(type[1]!, type[2]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`bad sample line: ${line}`);
    samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? '', line), value: parseValue(m[3]!, line) });
  }
  const find = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && sameLabels(s.labels, labels));
  return {
    samples,
    types,
    value(name, labels = {}) {
      const found = find(name, labels);
      if (found.length !== 1) {
        throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)} (expected exactly 1)`);
      }
      return found[0]!.value;
    },
    has(name, labels = {}) {
      return find(name, labels).length > 0;
    },
    series(name) {
      return samples.filter((s) => s.name === name);
    },
  };
}
