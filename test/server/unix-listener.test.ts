import assert from 'node:assert/strict';
import { link, lstat, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listenUnix, parseSocketMode, removeSocketFile } from '../../src/server/unix-listener.ts';
import { tempDir } from './helpers/socket-pair.ts';

/** Closes `server`; resolves too when it is not listening (closed already, or never bound). */
function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function rejectsListen(path: string, message: RegExp): Promise<void> {
  const server = createServer();
  try {
    await assert.rejects(listenUnix(server, path, 0o600), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LISTEN_FAILED');
      assert.match(err.message, message);
      return true;
    });
    assert.equal(server.listening, false);
  } finally {
    // A listen that wrongly succeeded must not keep the file running.
    await close(server);
  }
}

describe('Unix socket listener', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(() => cleanup());

  for (const [mode, expected] of [
    ['0600', 0o600],
    ['0660', 0o660],
  ] as const) {
    test(`the socket file gets socket_mode ${mode} even under umask 000, and the umask is restored`, async (t) => {
      const path = join(dir, `mode-${mode}.sock`);
      const original = process.umask(0o000);
      try {
        const server = createServer();
        t.after(() => close(server));
        const bound = await listenUnix(server, path, parseSocketMode(mode));
        assert.equal((await stat(path)).mode & 0o777, expected);
        assert.equal(process.umask(0o000), 0o000, 'the umask is back to what it was');
        await close(server);
        await removeSocketFile(bound);
        await assert.rejects(lstat(path), { code: 'ENOENT' });
      } finally {
        process.umask(original);
      }
    });
  }

  test('a stale socket (nobody listening) is replaced', async (t) => {
    const path = join(dir, 'stale.sock');
    // A socket file whose listener is gone: a hard link to a live socket outlives the listener
    // (closing it unlinks only its own name), like the file a killed process leaves behind.
    const old = createServer();
    t.after(() => close(old));
    await listenUnix(old, join(dir, 'old.sock'), 0o600);
    await link(join(dir, 'old.sock'), path);
    await close(old);
    assert.equal((await lstat(path)).isSocket(), true);
    const fresh = createServer();
    t.after(() => close(fresh));
    await listenUnix(fresh, path, 0o600);
    assert.equal(fresh.listening, true);
  });

  test('a live socket is refused', async (t) => {
    const path = join(dir, 'live.sock');
    const live = createServer();
    t.after(() => close(live));
    await listenUnix(live, path, 0o600);
    await rejectsListen(path, /another process is listening/);
  });

  const refusals: [string, (path: string) => Promise<void>, RegExp][] = [
    ['a regular file', (p) => writeFile(p, 'data'), /is a regular file/],
    ['a directory', (p) => mkdir(p), /is a directory/],
    ['a symbolic link', (p) => symlink(join(dir, 'target'), p), /symbolic link/],
  ];
  for (const [kind, make, message] of refusals) {
    test(`${kind} at socket_path is refused and left in place`, async () => {
      const path = join(dir, `refuse-${kind.replaceAll(' ', '-')}`);
      await make(path);
      await rejectsListen(path, message);
      await assert.doesNotReject(lstat(path));
    });
  }

  test('a socket_path longer than 107 bytes is refused with a clear message', async () => {
    await rejectsListen(join(dir, 'x'.repeat(120)), /at most 107 bytes/);
  });

  test('socket_mode strings are parsed as octal and bad ones refused', () => {
    assert.equal(parseSocketMode('0600'), 0o600);
    assert.equal(parseSocketMode('660'), 0o660);
    for (const bad of ['', '8', '06000', 'rw-------', '0x1ff']) {
      assert.throws(() => parseSocketMode(bad), { code: 'LISTEN_FAILED' });
    }
  });
});
