/** Prints the results table of `mycelium bench` (and writes the JSON file when asked). */
import { writeFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import { newHistogram } from './clock.ts';
import type { BenchOptions, SubscriberReport } from './types.ts';

/** Messages per second, rounded; 0 when no time passed. */
export function rate(count: number, seconds: number): number {
  return seconds > 0 ? Math.round(count / seconds) : 0;
}

/** Prints the results table (and writes the JSON file when asked). */
export function report(
  topic: string,
  options: BenchOptions,
  reports: SubscriberReport[],
  started: number,
  publishedAt: number,
): void {
  const { messages, size, subscribers } = options;
  const latency = newHistogram();
  for (const r of reports) latency.add(hdr.decodeFromCompressedBase64(r.histogram));
  const delivered = reports.reduce((n, r) => n + r.received, 0);
  const pubSecs = (publishedAt - started) / 1000;
  const delSecs = (Math.max(publishedAt, ...reports.map((r) => r.lastAt)) - started) / 1000;
  const timed = size >= 8 && latency.totalCount > 0;
  const pct = (p: number): number | null => (timed ? latency.getValueAtPercentile(p) : null);
  const result = {
    url: options.url,
    topic,
    routing: options.queue ? 'Queue' : 'Fanout',
    messages,
    size,
    subscribers,
    subscriberProcesses: options.inProcess ? 'in-process' : 'child processes',
    window: options.window,
    published: { count: messages, seconds: pubSecs, msgPerSec: rate(messages, pubSecs) },
    delivered: { count: delivered, seconds: delSecs, msgPerSec: rate(delivered, delSecs) },
    lost: reports.reduce((n, r) => n + r.lost, 0),
    latencyUs: { p50: pct(50), p99: pct(99), p999: pct(99.9), max: timed ? latency.maxValue : null },
    node: process.version,
    date: new Date().toISOString(),
  };
  const row = (what: string, r: { count: number; seconds: number; msgPerSec: number }): string => {
    const mbs = r.seconds > 0 ? ((r.count * size) / r.seconds / 1e6).toFixed(1) : '-';
    const cells = [
      String(r.count).padStart(10),
      r.seconds.toFixed(3).padStart(7),
      String(r.msgPerSec).padStart(10),
    ];
    return `| ${what.padEnd(10)} | ${cells.join(' | ')} | ${mbs.padStart(6)} |`;
  };
  const lines = [
    '',
    `mycelium bench: ${options.url}, topic ${topic} (${result.routing}), ${messages} x ${size} B, ` +
      `1 publisher -> ${subscribers} subscriber(s) (${result.subscriberProcesses}), window ${options.window || 'none'}`,
    '',
    '| what       |      count | seconds |      msg/s |   MB/s |',
    '|------------|-----------:|--------:|-----------:|-------:|',
    row('published', result.published),
    row('delivered', result.delivered),
    `| lost (lag) | ${String(result.lost).padStart(10)} |         |            |        |`,
    '',
    timed
      ? `latency publish -> delivery (µs): p50 ${pct(50)}  p99 ${pct(99)}  p99.9 ${pct(99.9)}  max ${latency.maxValue}`
      : 'latency: not measured (payloads under 8 bytes carry no timestamp)',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`results written to ${options.json}\n`);
  }
}
