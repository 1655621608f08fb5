/** The Markdown report: one table of medians and ratios, then losses, failures and notes. */
import type { RowDef } from './plan.ts';
import { better, type Failure, MYCELIUM_SYSTEMS, type RowSummary } from './summary.ts';
import { ALL_SYSTEMS, type SystemId } from './types.ts';

/** Everything the report header states about the run. */
export interface RunInfo {
  readonly date: string;
  readonly command: string;
  readonly runs: number;
  readonly quick: boolean;
  readonly elapsedSeconds: number;
  readonly environment: Record<string, string>;
  readonly notes: readonly string[];
}

const TITLES: Record<SystemId, string> = {
  'mycelium-unix': 'Mycelium (unix)',
  'mycelium-tcp': 'Mycelium (tcp)',
  nats: 'nats-server',
  redis: 'redis-server',
  'node-floor': 'Node floor (tcp)',
};

/** A figure in its row's unit, short enough for a table cell. */
export function formatValue(row: RowDef, v: number): string {
  if (row.unit.endsWith('/s')) {
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(0)} k`;
    return v.toFixed(0);
  }
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** "1.23×", bolded when Mycelium is ahead of the best peer. */
export function formatRatio(row: RowDef, ratio: number | undefined): string {
  if (ratio === undefined) return '–';
  const text = `${ratio.toFixed(2)}×`;
  return better(row, ratio, 1) ? `**${text}**` : text;
}

function cell(s: RowSummary, system: SystemId): string {
  const v = s.medians[system];
  if (v === undefined) {
    const why = s.missing[system];
    return why === undefined ? '–' : why === 'n/a' ? 'n/a' : why.startsWith('skipped') ? 'skipped' : 'failed';
  }
  let text = formatValue(s.row, v);
  if (s.bestPeer?.system === system) text = `_${text}_`;
  const lost = s.lost[system] ?? 0;
  if (lost > 0) text += s.overflowed[system] ? ` (−${lost} †)` : ` (−${lost} ‼)`;
  return text;
}

/** Renders the whole report. */
export function renderMarkdown(
  rows: readonly RowSummary[],
  failures: readonly Failure[],
  info: RunInfo,
): string {
  const lines: string[] = [];
  lines.push(`# Mycelium vs nats-server vs redis-server — ${info.date}`, '');
  lines.push(
    `Command: \`${info.command}\` · ${info.runs} run(s), medians · ${info.elapsedSeconds.toFixed(0)} s`,
  );
  lines.push('');
  for (const [k, v] of Object.entries(info.environment)) lines.push(`- ${k}: ${v}`);
  if (info.quick)
    lines.push('', '**Quick mode**: tiny counts; the figures are not meaningful, only the checks are.');
  lines.push('');
  const head = ['row', 'unit', ...ALL_SYSTEMS.map((s) => TITLES[s]), 'unix / best peer', 'tcp / best peer'];
  lines.push(`| ${head.join(' | ')} |`);
  lines.push(`|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const s of rows) {
    const arrow = s.row.better === 'higher' ? '↑' : '↓';
    const ratios = MYCELIUM_SYSTEMS.map((m) => formatRatio(s.row, s.ratios[m]));
    lines.push(
      `| ${s.row.label} | ${s.row.unit} ${arrow} | ${ALL_SYSTEMS.map((sys) => cell(s, sys)).join(' | ')} | ${ratios.join(' | ')} |`,
    );
  }
  lines.push('');
  lines.push(
    '↑ higher is better, ↓ lower is better. _Italic_: the best peer (by median). Ratio = Mycelium / best peer, the median of the ratios of cells run side by side (same run and round), so it can differ from the ratio of the two medians; **bold** where Mycelium is ahead.',
    '(−N †): N messages lost over all runs through the broker’s own overflow policy (LAGGED, slow consumer disconnected);',
    '(−N ‼): lost with no policy to explain it — a bug.',
    'Node floor: not a broker and not a peer, a Node process that only turns each PUB into a MSG and writes it (bench/compare/floor-relay.ts); what any broker written in Node pays for one message in flight (those rows only).',
  );
  if (failures.length > 0) {
    lines.push('', '## Failures', '');
    for (const f of failures)
      lines.push(`- ${f.measurement} / ${TITLES[f.system]} / run ${f.run}: ${f.reason}`);
  }
  // One line per measurement and system (a latency measurement fills three rows).
  const missingBy = new Map<string, string>();
  for (const s of rows) {
    for (const sys of ALL_SYSTEMS) {
      const why = s.missing[sys];
      const key = `${s.measurement}/${sys}`;
      if (why && why !== 'n/a' && !missingBy.has(key))
        missingBy.set(key, `- ${s.measurement} / ${TITLES[sys]}: ${why}`);
    }
  }
  const missing = [...missingBy.values()];
  if (info.notes.length > 0 || missing.length > 0) {
    lines.push('', '## Notes', '');
    for (const n of info.notes) lines.push(`- ${n}`);
    lines.push(...missing);
  }
  return `${lines.join('\n')}\n`;
}
