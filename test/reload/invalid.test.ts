/**
 * RELIABILITY.md H2: a new configuration that is invalid, unreadable or not reloadable is
 * rejected as a whole. The running configuration stays exactly as it was (same object, same
 * hash), no live setting changes (topics and their settings), the rejection is logged at warn
 * with its reasons, and the broker keeps serving (a publish/subscribe round trip after each).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodePub, encodeSub } from '../../src/protocol/index.ts';
import type { RawClient } from '../server/helpers/raw-client.ts';
import { recordEq } from '../reliability/helpers/results.ts';
import { startTestServer } from '../server/helpers/test-server.ts';
import { configHash, type FileServer, startFromFile } from './helpers/file-server.ts';
import { BASE, ROWS } from './invalid-cases.ts';

describe('invalid or unreloadable configurations are rejected as a whole (RELIABILITY.md H2)', () => {
  let h: FileServer;
  let sub: RawClient;
  let pub: RawClient;
  let round = 0;
  /** Rows whose reload was rejected with the config object and its hash unchanged (H2's figure). */
  let held = 0;

  before(async () => {
    h = await startFromFile(BASE);
    sub = await h.client('probe-sub');
    sub.send(encodeSub(1, 'probe'));
    await sub.next();
    pub = await h.client('probe-pub');
  });
  after(() => h.stop());
  after(() => {
    // Counted against every row that should run, so a row that failed before its reload also fails the figure.
    const rows = ROWS.filter((r) => !r.skip).length;
    recordEq('H2', 'table variants rejected with the running config hash unchanged', held, rows, 'variants');
  });

  test('the table holds at least 25 variants, each named once', () => {
    assert.ok(ROWS.filter((r) => !r.skip).length >= 25, `${ROWS.length} rows`);
    assert.equal(new Set(ROWS.map((r) => r.rule)).size, ROWS.length);
  });

  for (const row of ROWS) {
    test(`rejected and nothing changes: ${row.rule}`, { skip: row.skip }, async () => {
      await h.write(BASE);
      const config = h.server.config;
      const hash = configHash(h.server);
      const topicState = JSON.stringify(
        h.server.broker.topicNames().map((n) => h.server.broker.getTopic(n)?.settings),
      );
      const warnings = h.logs.where(/^config reload rejected/).length;
      if (row.content !== undefined) await h.write(row.content);
      const request = await row.setup?.(h);
      let report: Awaited<ReturnType<typeof h.server.reload>>;
      try {
        report = await h.server.reload(request);
      } finally {
        await row.teardown?.(h);
      }
      if (report.outcome === 'rejected' && h.server.config === config && configHash(h.server) === hash)
        held++;

      assert.equal(report.outcome, 'rejected');
      assert.equal(report.code, row.code);
      assert.equal(report.error?.code, row.code);
      assert.ok(report.problems.length > 0);
      assert.ok(
        report.problems.some((p) => row.problem.test(p)),
        `no problem matches ${row.problem}: ${report.problems.join(' | ')}`,
      );
      assert.deepEqual(report.changes, []);
      assert.equal(h.server.config, config, 'the config object was replaced');
      assert.equal(configHash(h.server), hash, 'the running config changed');
      const after = JSON.stringify(
        h.server.broker.topicNames().map((n) => h.server.broker.getTopic(n)?.settings),
      );
      assert.equal(after, topicState, 'a live topic changed');
      assert.equal(h.logs.where(/^config reload rejected/).length, warnings + 1, 'one warning per rejection');
      assert.equal(h.reloads.at(-1), report);

      // Still serving: a confirmed publish reaches the subscriber made before the first reload.
      round++;
      pub.send(encodePub('probe', Buffer.from(`round ${round}`), round));
      const frames = [await pub.next(), await sub.next()];
      assert.equal(frames[0]!.op, 'PUBACK');
      assert.ok(frames[1]!.op === 'MSG' && frames[1].payload.toString() === `round ${round}`);
    });
  }

  test('a server started without a file rejects a reload without a source, and keeps running', async () => {
    const t = await startTestServer();
    try {
      const config = t.server.config;
      const report = await t.server.reload();
      assert.equal(report.outcome, 'rejected');
      assert.equal(report.code, 'CONFIG_READ');
      assert.match(report.problems[0]!, /started without a configuration file/);
      assert.equal(t.server.config, config);
    } finally {
      await t.stop();
    }
  });

  test('a reload during a shutdown is rejected with SHUTTING_DOWN and changes nothing', async (t) => {
    const other = await startFromFile(BASE);
    t.after(() => other.stop());
    await other.write({ ...BASE, server: { max_connections: 5 } });
    const shutdown = other.server.shutdown();
    const report = await other.server.reload();
    await shutdown;
    assert.equal(report.code, 'SHUTTING_DOWN');
    assert.equal(other.server.config.server.max_connections, 1000);
  });
});
