/**
 * `mycelium stats`: reads a server's `/stats` (the metrics listener) and prints a table of its
 * topics. With `--watch` it redraws every interval until Ctrl-C, with per-topic rates computed
 * from the last two samples; `--json` prints the document itself (one line per sample).
 */
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { StatsDocument, TopicStatsJson } from '../../metrics/index.ts';

/** Where `serve` exposes metrics by default ([metrics] bind_address and port). */
export const DEFAULT_METRICS_URL = 'http://127.0.0.1:9464';
/** Seconds between samples when `--watch` is given without a value. */
export const DEFAULT_WATCH_SECONDS = 2;
/** How long one request may take before the sample counts as failed. */
const REQUEST_TIMEOUT_MS = 5000;
/** Clears a terminal and homes the cursor, so each sample redraws in place. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** The options of `stats`, as commander hands them over. */
export interface StatsOptions {
  readonly url: string;
  /** Seconds between samples; `true` for the default; absent for a single sample. */
  readonly watch?: number | true;
  readonly json?: boolean;
}

/** A `/stats` document and when it was read (ms on a monotonic clock). */
export interface Sample {
  readonly doc: StatsDocument;
  readonly at: number;
}

/**
 * Fetches `<url>/stats` with node:http (not fetch: fetch refuses some ports outright, and an
 * operator may put metrics on any). Rejects with a message that says what to check.
 */
export function fetchStats(url: string): Promise<StatsDocument> {
  const target = `${url.replace(/\/+$/, '')}/stats`;
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      reject(new Error(`cannot read ${target} (${why}); is the server running with [metrics] enabled?`));
    };
    let req: ReturnType<typeof get>;
    try {
      req = get(target, { timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => fail(err.message));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            fail(`HTTP ${res.statusCode}: ${body.trim()}`);
            return;
          }
          try {
            resolve(JSON.parse(body) as StatsDocument);
          } catch {
            fail('the answer is not JSON');
          }
        });
      });
    } catch (err) {
      fail((err as Error).message);
      return;
    }
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
  });
}

/** Everything dropped or refused on a topic, whatever the reason. */
export function droppedTotal(t: TopicStatsJson): number {
  return t.rejected + t.dropped_overflow + t.dropped_lagged + t.dropped_deleted + t.dropped_delivery_limit;
}

/**
 * Messages per second of `field` between two samples of a topic, or undefined when unknown: no
 * earlier sample, no time between them, or the counter fell (the topic was deleted and created
 * again between the samples, so its count restarted at an unknown moment).
 */
export function rate(
  field: 'published' | 'delivered',
  current: TopicStatsJson,
  previous: TopicStatsJson | undefined,
  seconds: number,
): number | undefined {
  if (previous === undefined || seconds <= 0) return undefined;
  const delta = current[field] - previous[field];
  return delta < 0 ? undefined : delta / seconds;
}

const COLUMNS = [
  'TOPIC',
  'ROUTING',
  'SUBS',
  'PUB/S',
  'DELIV/S',
  'DEPTH',
  'IN-FLIGHT',
  'MAX-LAG',
  'DROPPED',
  'PUBLISHED',
  'DELIVERED',
] as const;

function formatRate(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
}

/**
 * The table for one sample: a header line about the server, then one row per topic. Rates need
 * `previous` (the sample before); without it their columns show `-`.
 */
export function formatTable(current: Sample, previous?: Sample): string {
  const { server, topics } = current.doc;
  const seconds = previous === undefined ? 0 : (current.at - previous.at) / 1000;
  const before = new Map(previous?.doc.topics.map((t) => [t.name, t]));
  const rows: string[][] = [[...COLUMNS]];
  for (const t of topics) {
    const p = before.get(t.name);
    rows.push([
      t.name,
      t.routing,
      String(t.subscribers),
      formatRate(rate('published', t, p, seconds)),
      formatRate(rate('delivered', t, p, seconds)),
      String(t.depth),
      String(t.in_flight),
      String(t.max_lag),
      String(droppedTotal(t)),
      String(t.published),
      String(t.delivered),
    ]);
  }
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  // Names and routing read left to right; numbers line up on the right.
  const lines = rows.map((r) =>
    r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
  const state = server.draining ? ', draining' : '';
  const header =
    `${server.name} ${server.version}, up ${server.uptime_s}s, ` +
    `${server.connections} connection${server.connections === 1 ? '' : 's'}, ${topics.length} topic${topics.length === 1 ? '' : 's'}${state}`;
  const body = topics.length === 0 ? ['(no topics)'] : lines;
  return `${header}\n${body.join('\n')}\n`;
}

/** Where `runStats` writes, and what stops a watch. */
export interface StatsIo {
  readonly out: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly err: { write(text: string): unknown };
  /** Ends a watch (Ctrl-C in the command). */
  readonly signal?: AbortSignal;
}

/**
 * Prints one sample, or with `watch` one per interval until `io.signal` aborts.
 * @returns the exit code: 0, or 1 when a single sample could not be read
 */
export async function runStats(options: StatsOptions, io: StatsIo): Promise<number> {
  if (options.watch === undefined) {
    try {
      const doc = await fetchStats(options.url);
      io.out.write(options.json ? `${JSON.stringify(doc)}\n` : formatTable({ doc, at: performance.now() }));
      return 0;
    } catch (err) {
      io.err.write(`mycelium: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const intervalMs = (options.watch === true ? DEFAULT_WATCH_SECONDS : options.watch) * 1000;
  let previous: Sample | undefined;
  while (io.signal?.aborted !== true) {
    try {
      const current: Sample = { doc: await fetchStats(options.url), at: performance.now() };
      if (options.json) io.out.write(`${JSON.stringify(current.doc)}\n`);
      else
        io.out.write(
          `${io.out.isTTY ? CLEAR_SCREEN : previous === undefined ? '' : '\n'}${formatTable(current, previous)}`,
        );
      previous = current;
    } catch (err) {
      // A watch outlives a restart of the server: say so and keep sampling.
      io.err.write(`mycelium: ${(err as Error).message}; retrying\n`);
      previous = undefined;
    }
    try {
      await sleep(intervalMs, undefined, { signal: io.signal });
    } catch {
      break;
    }
  }
  return 0;
}

/** Parses the optional `--watch` value: seconds, more than 0. */
function watchSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0)) {
    throw new InvalidArgumentError('expected a number of seconds > 0');
  }
  return n;
}

/** Registers `mycelium stats`. */
export function register(program: Command): void {
  program
    .command('stats')
    .description('print per-topic rates, depth, in flight, subscribers and drops from the metrics endpoint')
    .addOption(
      new Option('-u, --url <url>', 'metrics endpoint ([metrics] bind_address and port)')
        .env('MYCELIUM_METRICS_URL')
        .default(DEFAULT_METRICS_URL),
    )
    .option(
      '-w, --watch [seconds]',
      `redraw every interval (default ${DEFAULT_WATCH_SECONDS}s) with msg/s rates, until Ctrl-C`,
      watchSeconds,
    )
    .option('--json', 'print the /stats JSON document (one line per sample)')
    .action(async (options: StatsOptions) => {
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        process.exitCode = await runStats(options, {
          out: process.stdout,
          err: process.stderr,
          signal: stop.signal,
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
