/**
 * A5: the Unix socket is never reachable by another user. Restarts with the process umask at
 * 000 while a prober running as `nobody` hammers connect (Redis CVE-2023-45145: a window between
 * listen and chmod); the socket's mode equals the configured one; an existing regular file or
 * symbolic link at the path is refused and left alone; a path over 107 bytes is a clear error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { validateConfig } from '../../src/config/index.ts';
import { MyceliumError } from '../../src/errors.ts';
import { createLogger, startServer } from '../../src/server/index.ts';
import { killAfter } from '../server/helpers/cleanup.ts';
import { fixture } from './helpers/child.ts';
import { tempDir } from './helpers/in-process.ts';
import { record, recordEq, SOAK } from './helpers/results.ts';
import { guard } from './helpers/wire-client.ts';

const RESTARTS = SOAK ? 200 : 20;
const NOBODY = 65534;
const logger = createLogger('silent', { pretty: false });

function config(path: string, mode: string) {
  return validateConfig({
    server: { socket_path: path, socket_mode: mode, port: 0, log_level: 'silent' },
    metrics: { enabled: false },
  });
}

/**
 * Starts the prober as nobody from a world-readable copy; resolves once it is connecting. It is
 * killed after test `t` if it still runs then.
 */
async function startProber(t: TestContext, dir: string, path: string) {
  const script = join(dir, 'prober.mjs');
  copyFileSync(fixture('prober.mjs'), script);
  chmodSync(script, 0o755);
  const proc = spawn(process.execPath, [script, path], {
    uid: NOBODY,
    gid: NOBODY,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  killAfter(t, proc);
  let out = '';
  proc.stdout.setEncoding('utf8');
  const ready = new Promise<void>((resolve) =>
    proc.stdout.on('data', (t: string) => {
      out += t;
      if (out.includes('ready')) resolve();
    }),
  );
  await guard(ready, 30_000, 'the prober starts');
  return {
    async stop(): Promise<{ connected: number; attempts: number }> {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      await guard(exited, 10_000, 'the prober exits');
      return JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as {
        connected: number;
        attempts: number;
      };
    },
  };
}

describe('A5: Unix socket permissions', () => {
  const asRoot = process.getuid?.() === 0;
  test(`${RESTARTS} restarts at umask 000 with a prober running as nobody: 0 connects; the mode is the configured one`, {
    skip: asRoot ? false : 'needs root to run the prober as nobody (CI runs as root)',
  }, async (t) => {
    const dir = await tempDir();
    chmodSync(dir, 0o755); // only the socket's own mode stands between nobody and the broker
    const path = join(dir, 'a5.sock');
    const oldMask = process.umask(0);
    try {
      const prober = await startProber(t, dir, path);
      let mismatches = 0;
      for (let i = 0; i < RESTARTS; i++) {
        const mode = i % 2 === 0 ? '0600' : '0700';
        const server = await startServer(config(path, mode), { logger });
        try {
          if ((statSync(path).mode & 0o777) !== Number.parseInt(mode, 8)) mismatches++;
          await new Promise((r) => setTimeout(r, 5));
        } finally {
          await server.close();
        }
      }
      const result = await prober.stop();
      // Control: with a world-writable mode the same prober does get in, so 0 above means something.
      const control = await startProber(t, dir, path);
      const open = await startServer(config(path, '0666'), { logger });
      t.after(() => open.close());
      await new Promise((r) => setTimeout(r, 200));
      const controlResult = await control.stop();
      await open.close();
      const okConnects = recordEq(
        'A5',
        `unauthorized connects (${RESTARTS} restarts, ${result.attempts} attempts)`,
        result.connected,
        0,
        'count',
        RESTARTS,
      );
      const okModes = recordEq('A5', 'socket mode mismatches', mismatches, 0, 'count', RESTARTS);
      record({
        id: 'A5',
        figure: 'control: nobody connects to a 0666 socket',
        value: controlResult.connected,
        unit: 'count',
        bar: '> 0',
        pass: controlResult.connected > 0,
      });
      assert.ok(okConnects, `${result.connected} connects by nobody succeeded`);
      assert.ok(okModes);
      assert.ok(controlResult.connected > 0, 'the prober can connect when the mode allows it');
    } finally {
      process.umask(oldMask);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a regular file or a symbolic link at socket_path is refused with LISTEN_FAILED and left untouched', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir, 'regular');
      writeFileSync(file, 'precious');
      const link = join(dir, 'link');
      symlinkSync(file, link);
      let refused = 0;
      for (const path of [file, link]) {
        // A server that starts anyway is closed, so the test fails instead of hanging.
        const started = startServer(config(path, '0600'), { logger }).then((server) => server.close());
        await assert.rejects(started, (err: unknown) => {
          assert.ok(err instanceof MyceliumError && err.code === 'LISTEN_FAILED', String(err));
          refused++;
          return true;
        });
      }
      assert.equal(readFileSync(file, 'utf8'), 'precious');
      assert.ok(lstatSync(link).isSymbolicLink());
      assert.equal(readlinkSync(link), file);
      const ok = recordEq('A5', 'regular file and symlink refused, left untouched', refused, 2);
      assert.ok(ok);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a socket path over 107 bytes is a configuration error that says so', () => {
    const long = `/tmp/${'p'.repeat(103)}`;
    assert.equal(Buffer.byteLength(long), 108);
    let message = '';
    assert.throws(
      () => config(long, '0600'),
      (err: unknown) => {
        message =
          String((err as Error).message) + JSON.stringify((err as { problems?: unknown }).problems ?? '');
        return true;
      },
    );
    const clear = message.includes('107');
    record({
      id: 'A5',
      figure: 'a 108-byte path is refused with an error naming the 107-byte limit',
      value: clear ? 'yes' : message.slice(0, 80),
      unit: '',
      bar: 'yes',
      pass: clear,
    });
    assert.ok(clear, message);
    assert.doesNotThrow(() => config(`/tmp/${'p'.repeat(102)}`, '0600'), '107 bytes is accepted');
  });
});
