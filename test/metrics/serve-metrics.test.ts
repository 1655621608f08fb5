/** `mycelium serve` starts the metrics listener with the server and stops it with the server. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { jsonLines } from '../reload/helpers/spawn.ts';
import { killAfter } from '../server/helpers/cleanup.ts';
import { tempDir } from '../server/helpers/socket-pair.ts';
import { httpRequest } from './helpers/observed-server.ts';
import { parseMetrics } from './helpers/prom-text.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/**
 * Spawns `mycelium serve` with `env`; JSON log lines are collected. It is killed after test `t` if
 * it still runs then.
 */
function serve(t: TestContext, socket: string, env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--socket', socket, '--port', '0'],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  killAfter(t, child);
  const log = jsonLines(child.stdout);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exit,
    lines: log.lines,
    /** The first log line whose msg matches (or that `msg` accepts). */
    line(msg: RegExp | ((l: Record<string, unknown>) => boolean)): Promise<Record<string, unknown>> {
      return log.first(typeof msg === 'function' ? msg : (l) => msg.test(String(l.msg)));
    },
  };
}

describe('mycelium serve with [metrics]', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(() => cleanup());

  test('the metrics listener serves while the broker runs and closes when it exits', async (t) => {
    const s = serve(t, join(dir, 'up.sock'), { MYCELIUM_METRICS__PORT: '0' });
    const listening = await s.line(/^metrics listening on /);
    const url = String(listening.url);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await httpRequest(`${url}/readyz`)).status, 200);
    const m = parseMetrics((await httpRequest(`${url}/metrics`)).body);
    assert.equal(m.value('mycelium_draining'), 0);
    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 0);
    await assert.rejects(httpRequest(`${url}/healthz`), { code: 'ECONNREFUSED' });
  });

  test('[metrics] enabled = false: no listener is started', async (t) => {
    const s = serve(t, join(dir, 'off.sock'), {
      MYCELIUM_METRICS__ENABLED: 'false',
      MYCELIUM_METRICS__PORT: '0',
    });
    await s.line(/^listening on /);
    assert.equal(
      s.lines.some((l) => /^metrics listening/.test(String(l.msg))),
      false,
    );
    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 0);
  });

  test('a metrics port in use: serve logs LISTEN_FAILED, removes its socket file and exits 1', async (t) => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const port = (blocker.address() as { port: number }).port;
      const socket = join(dir, 'blocked.sock');
      const s = serve(t, socket, { MYCELIUM_METRICS__PORT: String(port) });
      assert.equal(await s.exit, 1);
      const fatal = await s.line((l) => l.code !== undefined);
      assert.equal(fatal.code, 'LISTEN_FAILED');
      assert.match(String(fatal.msg), new RegExp(`:${port}`));
      await assert.rejects(lstat(socket), { code: 'ENOENT' });
    } finally {
      blocker.close();
    }
  });
});
