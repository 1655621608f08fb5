/** `mycelium stats` against a running server, spawned and through its exported functions. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatTable, rate, runStats, type Sample } from '../../src/cli/commands/stats.ts';
import type { StatsDocument, TopicStatsJson } from '../../src/metrics/index.ts';
import { encodePub } from '../../src/protocol/index.ts';
import { type ObservedServer, startObserved } from './helpers/observed-server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx src/cli/main.ts ...args` from the repository root. */
async function mycelium(args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.MYCELIUM_METRICS_URL;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('mycelium stats against a running server', () => {
  let s: ObservedServer;
  before(async () => {
    s = await startObserved({ topics: [{ name: 'orders' }, { name: 'jobs', routing: 'Queue' }] });
    const pub = await s.client('pub');
    pub.send(encodePub('jobs', new Uint8Array(2), 1), encodePub('jobs', new Uint8Array(2), 2));
    await pub.take(2);
  });
  after(() => s.stop());

  test('--json prints the /stats document', async () => {
    const run = await mycelium(['stats', '--json', '--url', s.metrics.url]);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as StatsDocument;
    assert.deepEqual(
      doc.topics.map((t) => [t.name, t.published, t.depth]),
      [
        ['orders', 0, 0],
        ['jobs', 2, 2],
      ],
    );
    assert.equal(doc.server.addresses.http.port, s.metrics.addresses.http.port);
  });

  test('without --json it prints one table row per topic, rates unknown from a single sample', async () => {
    const run = await mycelium(['stats', '--url', `${s.metrics.url}/`]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^mycelium \S+, up \d+s, 1 connection, 2 topics$/);
    assert.deepEqual(lines[1]!.split(/\s+/), [
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
    ]);
    assert.deepEqual(lines[3]!.split(/\s+/), ['jobs', 'Queue', '0', '-', '-', '2', '0', '0', '0', '2', '0']);
  });

  test('an unreachable endpoint exits 1 and says what to check', async () => {
    const run = await mycelium(['stats', '--url', `http://127.0.0.1:${await freePort()}`]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /cannot read http:\/\/127\.0\.0\.1:\d+\/stats \(ECONNREFUSED\); is the server running/,
    );
  });

  test('--watch values that are not seconds > 0 are refused', async () => {
    for (const value of ['0', '-1', 'abc', '1e3']) {
      const run = await mycelium(['stats', '--url', s.metrics.url, '--watch', value]);
      assert.notEqual(run.code, 0, value);
      assert.match(run.stderr, /expected a number of seconds > 0|unknown option/, value);
    }
  });

  test('--watch redraws each interval until stopped, with rates from the second sample on', async () => {
    const stop = new AbortController();
    const tables: string[] = [];
    const code = await runStats(
      { url: s.metrics.url, watch: 0.01 },
      {
        out: {
          write(text: string) {
            tables.push(text);
            if (tables.length === 2) stop.abort();
          },
        },
        err: { write: () => {} },
        signal: stop.signal,
      },
    );
    assert.equal(code, 0);
    assert.equal(tables.length, 2);
    const jobsRow = (table: string) =>
      table
        .split('\n')
        .find((l) => l.startsWith('jobs'))!
        .split(/\s+/);
    // No traffic between the samples: a known rate of 0, where the first sample had none.
    assert.deepEqual(jobsRow(tables[0]!).slice(3, 5), ['-', '-']);
    assert.deepEqual(jobsRow(tables[1]!).slice(3, 5), ['0.0', '0.0']);
  });
});

describe('rates and the table', () => {
  function topic(name: string, published: number, delivered: number): TopicStatsJson {
    return {
      name,
      routing: 'Fanout',
      next_seq: published + 1,
      subscribers: 1,
      depth: 0,
      in_flight: 0,
      max_lag: 0,
      published,
      published_bytes: 0,
      delivered,
      redelivered: 0,
      acked: 0,
      rejected: 1,
      dropped_overflow: 2,
      dropped_lagged: 3,
      dropped_deleted: 4,
      dropped_delivery_limit: 5,
      slow_consumer_evictions: 0,
    };
  }

  test('msg/s is the counter difference over the seconds between samples, unknown when it cannot be told', () => {
    // [current, previous, seconds, expected]
    const cases: [number, number | undefined, number, number | undefined][] = [
      [110, 100, 2, 5],
      [100, 100, 2, 0],
      [100, undefined, 2, undefined], // no earlier sample
      [100, 90, 0, undefined], // no time between them
      [3, 50, 2, undefined], // the counter fell: the topic was re-created
    ];
    for (const [cur, prev, seconds, expected] of cases) {
      const previous = prev === undefined ? undefined : topic('t', prev, 0);
      assert.equal(rate('published', topic('t', cur, 0), previous, seconds), expected, `${cur} ${prev}`);
    }
  });

  test('the table shows rates from two samples, drops summed over every reason, and big rates rounded', () => {
    const doc = (topics: TopicStatsJson[]): StatsDocument =>
      ({
        server: { name: 'mycelium', version: '9.9.9', uptime_s: 7, connections: 2, draining: true },
        topics,
        connections: [],
      }) as unknown as StatsDocument;
    const previous: Sample = { doc: doc([topic('a', 100, 0), topic('b', 0, 0)]), at: 1000 };
    const current: Sample = { doc: doc([topic('a', 105, 1000), topic('b', 0, 0)]), at: 3000 };
    const lines = formatTable(current, previous).trimEnd().split('\n');
    assert.equal(lines[0], 'mycelium 9.9.9, up 7s, 2 connections, 2 topics, draining');
    assert.deepEqual(lines[2]!.split(/\s+/), [
      'a',
      'Fanout',
      '1',
      '2.5',
      '500',
      '0',
      '0',
      '0',
      '15',
      '105',
      '1000',
    ]);
    assert.deepEqual(lines[3]!.split(/\s+/), [
      'b',
      'Fanout',
      '1',
      '0.0',
      '0.0',
      '0',
      '0',
      '0',
      '15',
      '0',
      '0',
    ]);
  });

  test('a server without topics says so', () => {
    const doc = {
      server: { name: 'mycelium', version: '1', uptime_s: 0, connections: 0, draining: false },
      topics: [],
      connections: [],
    } as unknown as StatsDocument;
    assert.equal(formatTable({ doc, at: 0 }), 'mycelium 1, up 0s, 0 connections, 0 topics\n(no topics)\n');
  });
});
