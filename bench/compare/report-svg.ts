/**
 * A hand-built SVG bar chart of Mycelium / best peer per row (unix and TCP bars), with lines at
 * 1× (parity) and 1.5× (the throughput goal). Green bars: Mycelium ahead; red: behind.
 */
import type { Section } from './plan.ts';
import { better, MYCELIUM_SYSTEMS, type RowSummary } from './summary.ts';

const WIDTH = 960;
const LABEL_W = 380;
const PLOT_X = LABEL_W + 10;
const PLOT_W = WIDTH - PLOT_X - 70;
const ROW_H = 26;
const BAR_H = 9;
const TOP = 70;
/** Ratios past this are drawn clipped (with their value written). */
const MAX_SCALE = 4;
const COLORS = {
  'mycelium-unix': { ahead: '#2e7d32', behind: '#c62828' },
  'mycelium-tcp': { ahead: '#81c784', behind: '#ef9a9a' },
} as const;
const SECTION_TITLE: Record<Section, string> = {
  raw: 'Throughput, raw protocol',
  client: 'Throughput, each system’s own Node client',
  latency: 'Latency (publish → delivery)',
  memory: 'Memory (broker RSS)',
};

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Renders the chart for `rows` (rows without any ratio are left out). */
export function renderSvg(rows: readonly RowSummary[], title: string): string {
  const shown = rows.filter((r) => MYCELIUM_SYSTEMS.some((s) => r.ratios[s] !== undefined));
  const maxRatio = Math.max(2, ...shown.flatMap((r) => MYCELIUM_SYSTEMS.map((s) => r.ratios[s] ?? 0)));
  const scale = Math.min(MAX_SCALE, Math.ceil(maxRatio * 2) / 2);
  const x = (ratio: number): number => PLOT_X + (Math.min(ratio, scale) / scale) * PLOT_W;
  const parts: string[] = [];
  let y = TOP;
  let section: Section | null = null;
  for (const r of shown) {
    if (r.section !== section) {
      section = r.section;
      y += 8;
      parts.push(`<text x="10" y="${y + 12}" class="section">${esc(SECTION_TITLE[section])}</text>`);
      y += 22;
    }
    const arrow = r.row.better === 'higher' ? '↑' : '↓';
    parts.push(
      `<text x="${LABEL_W}" y="${y + ROW_H / 2 + 4}" class="label">${esc(`${r.row.label} ${arrow}`)}</text>`,
    );
    MYCELIUM_SYSTEMS.forEach((sys, i) => {
      const ratio = r.ratios[sys];
      if (ratio === undefined) return;
      const by = y + 3 + i * (BAR_H + 2);
      const color = better(r.row, ratio, 1) ? COLORS[sys].ahead : COLORS[sys].behind;
      const w = Math.max(1, x(ratio) - PLOT_X);
      parts.push(`<rect x="${PLOT_X}" y="${by}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${color}"/>`);
      const clipped = ratio > scale ? ' ›' : '';
      const lost = (r.lost[sys] ?? 0) > 0 ? ' †' : '';
      parts.push(
        `<text x="${(PLOT_X + w + 4).toFixed(1)}" y="${by + BAR_H - 1}" class="value">${ratio.toFixed(2)}×${clipped}${lost}</text>`,
      );
    });
    y += ROW_H;
  }
  const bottom = y + 8;
  const grid: string[] = [];
  for (let t = 0; t <= scale + 1e-9; t += 0.5) {
    const gx = x(t).toFixed(1);
    const cls = t === 1 ? 'parity' : t === 1.5 ? 'goal' : 'grid';
    grid.push(`<line x1="${gx}" y1="${TOP}" x2="${gx}" y2="${bottom}" class="${cls}"/>`);
    grid.push(`<text x="${gx}" y="${bottom + 14}" class="tick">${t}×</text>`);
  }
  const height = bottom + 60;
  const legendY = bottom + 36;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<style>
.title{font-size:16px;font-weight:bold}.sub{font-size:11px;fill:#555}.section{font-size:13px;font-weight:bold;fill:#333}
.label{font-size:11px;text-anchor:end;fill:#222}.value{font-size:10px;fill:#222}.tick{font-size:10px;text-anchor:middle;fill:#555}
.grid{stroke:#e0e0e0}.parity{stroke:#333;stroke-width:1.5}.goal{stroke:#1565c0;stroke-dasharray:4 3}
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="24" class="title">${esc(title)}</text>
<text x="10" y="42" class="sub">Mycelium / best peer (nats-server, redis-server) per row, medians. ↑ rows: above 1× is ahead; ↓ rows (latency, memory): below 1× is ahead.</text>
<text x="10" y="56" class="sub">Dashed line: the 1.5× throughput goal. †: Mycelium lost messages in that row (its overflow policy), so the figure counts only what was delivered.</text>
${grid.join('\n')}
${parts.join('\n')}
<rect x="${PLOT_X}" y="${legendY - 9}" width="12" height="9" fill="${COLORS['mycelium-unix'].ahead}"/>
<text x="${PLOT_X + 16}" y="${legendY}" class="value">Mycelium over its Unix socket</text>
<rect x="${PLOT_X + 200}" y="${legendY - 9}" width="12" height="9" fill="${COLORS['mycelium-tcp'].ahead}"/>
<text x="${PLOT_X + 216}" y="${legendY}" class="value">Mycelium over TCP (green: ahead, red: behind)</text>
</svg>
`;
}
