import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { lstat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, type TestContext, test } from 'node:test';
import { encodePub, encodeSub, StartKind } from '../../src/protocol/index.ts';
import { killAfter } from './helpers/cleanup.ts';
import { RawClient } from './helpers/raw-client.ts';
import { tempDir } from './helpers/socket-pair.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

interface Serve {
  readonly child: ChildProcess;
  /** Resolves with the first JSON log line whose msg matches. */
  line(msg: RegExp): Promise<Record<string, unknown>>;
  readonly exit: Promise<number | null>;
  /** Everything written to stderr so far. */
  stderr(): string;
}

/** Spawns `mycelium serve`; killed after test `t` if it is still running then. */
function serve(t: TestContext, args: string[], env: Record<string, string> = {}): Serve {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], {
    // serve starts the metrics listener: an ephemeral port, never the fixed 9464.
    env: { ...process.env, MYCELIUM_METRICS__PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killAfter(t, child);
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push(JSON.parse(text) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exit,
    stderr: () => stderr,
    async line(msg) {
      for (;;) {
        const found = lines.find((l) => msg.test(String(l.msg)));
        if (found !== undefined) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

describe('mycelium serve', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(() => cleanup());

  test('flags win over env; SIGTERM drains, removes the socket file and exits 0', async (t) => {
    const path = join(dir, 'flag.sock');
    const s = serve(t, ['--socket', path, '--port', '0'], {
      MYCELIUM_SERVER__SOCKET_PATH: join(dir, 'env.sock'),
    });
    const listening = await s.line(/^mycelium listening$/);
    assert.equal(listening.unix, path);
    const [host, port] = String(listening.tcp).split(':');
    const c = await RawClient.ready({ host: host!, port: Number(port) }, 'cli-test');
    c.destroy();
    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 0);
    await assert.rejects(lstat(path), { code: 'ENOENT' });
  });

  test('a second signal during the drain exits at once with code 1', async (t) => {
    const file = join(dir, 'broker.toml');
    await writeFile(
      file,
      [
        '[server]',
        `socket_path = "${join(dir, 'second.sock')}"`,
        'port = 0',
        'shutdown_grace_ms = 600000',
        '[[topics]]',
        'name = "jobs"',
        'routing = "Queue"',
        'ack = "manual"',
      ].join('\n'),
    );
    const s = serve(t, ['-c', file]);
    const listening = await s.line(/^mycelium listening$/);
    const consumer = await RawClient.ready({ path: String(listening.unix) }, 'holder');
    t.after(() => consumer.destroy());
    consumer.send(encodeSub(1, 'jobs', StartKind.New, 0));
    await consumer.next();
    consumer.send(encodePub('jobs', Buffer.from('never acked'), 1));
    await consumer.take(2); // PUBACK and the MSG it now holds unacked
    s.child.kill('SIGTERM');
    await s.line(/^shutting down: draining$/);
    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 1);
  });

  test('an invalid flag value is reported and exits 1 without listening', async (t) => {
    const s = serve(t, ['--port', '70000', '--socket', join(dir, 'never.sock')]);
    assert.equal(await s.exit, 1);
    assert.match(s.stderr(), /CONFIG_INVALID[\s\S]*--port/);
    await assert.rejects(lstat(join(dir, 'never.sock')), { code: 'ENOENT' });
  });
});
