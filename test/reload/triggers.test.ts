/**
 * The three ways to ask for a reload, each end to end once: a save of the watched file (by
 * rename, as editors do), SIGHUP to `mycelium serve`, and the `mycelium reload` command over the
 * admin op. Each one's effect is checked on the running broker, not only in its log.
 */
import assert from 'node:assert/strict';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { stringify } from 'smol-toml';
import { encodeSub } from '../../src/protocol/index.ts';
import { type ReloadReport, watchConfigFile } from '../../src/server/index.ts';
import { RawClient } from '../server/helpers/raw-client.ts';
import { tempDir } from '../server/helpers/socket-pair.ts';
import { type FileServer, startFromFile } from './helpers/file-server.ts';
import { mycelium, type Serve, serve } from './helpers/spawn.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The next `reload` event of the server. */
function nextReload(h: FileServer): Promise<ReloadReport> {
  return new Promise((resolve) => h.server.once('reload', resolve));
}

/** Subscribes to `topic` and returns the answer's op: SUB_ACK when the topic exists. */
async function subscribeOp(path: string, topic: string): Promise<string> {
  const c = await RawClient.ready({ path }, 'probe');
  try {
    c.send(encodeSub(1, topic));
    return (await c.next()).op;
  } finally {
    c.destroy();
  }
}

describe('file watch', () => {
  test('a file saved by rename is reloaded, and the watch survives the rename for the next save', async () => {
    const h = await startFromFile({ topics: [{ name: 'a' }] });
    cleanups.push(() => h.stop());
    const watcher = watchConfigFile(h.file, () => void h.server.reload(undefined, { trigger: 'file watch' }));
    cleanups.push(async () => watcher.close());

    const first = nextReload(h);
    await h.write({ topics: [{ name: 'a' }, { name: 'b' }] });
    const r1 = await first;
    assert.equal(r1.trigger, 'file watch');
    assert.deepEqual(r1.changes, ['topic "b": added (Fanout)']);

    const second = nextReload(h);
    await h.write({ topics: [{ name: 'b' }] });
    const r2 = await second;
    assert.deepEqual(r2.changes, ['topic "a": removed']);
    assert.deepEqual(h.server.broker.topicNames(), ['b']);
  });

  test('a symbolic link swapped in the directory (as a Kubernetes ConfigMap does) is seen', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const v1 = join(dir, 'v1');
    const v2 = join(dir, 'v2');
    await mkdir(v1);
    await mkdir(v2);
    const h = await startFromFile({ topics: [{ name: 'a' }] });
    cleanups.push(() => h.stop());
    // broker.toml -> data/broker.toml, data -> v1; the update points data at v2 with one rename.
    await writeFile(join(v1, 'broker.toml'), h.toml({ topics: [{ name: 'a' }] }));
    await writeFile(join(v2, 'broker.toml'), h.toml({ topics: [{ name: 'a' }, { name: 'k8s' }] }));
    await symlink(v1, join(dir, 'data'));
    const file = join(dir, 'broker.toml');
    await symlink(join(dir, 'data', 'broker.toml'), file);
    const watcher = watchConfigFile(file, () => void h.server.reload({ file }, { trigger: 'file watch' }));
    cleanups.push(async () => watcher.close());

    const reloaded = nextReload(h);
    await symlink(v2, join(dir, 'data.next'));
    await rename(join(dir, 'data.next'), join(dir, 'data'));
    assert.deepEqual((await reloaded).changes, ['topic "k8s": added (Fanout)']);
  });
});

describe('mycelium serve', () => {
  /** A temp dir with `broker.toml` for a serve whose socket is in that dir. */
  async function serveDir(): Promise<{ dir: string; toml: (topics: string[]) => string }> {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const toml = (topics: string[]): string =>
      stringify({
        server: { socket_path: join(dir, 'serve.sock'), port: 0 },
        metrics: { enabled: false },
        topics: topics.map((name) => ({ name })),
      });
    return { dir, toml };
  }

  function started(s: Serve): Promise<Record<string, unknown>> {
    cleanups.push(() => s.stop());
    return s.line((l) => l.msg === 'mycelium listening');
  }

  test('reloads the file when it is saved by rename (the watch), end to end', async () => {
    const { dir, toml } = await serveDir();
    const file = join(dir, 'broker.toml');
    await writeFile(file, toml(['a']));
    const s = serve(['-c', file]);
    const listening = await started(s);
    await s.line((l) => l.msg === 'watching the configuration file; a change reloads it');

    await writeFile(join(dir, 'broker.toml.tmp'), toml(['a', 'watched']));
    await rename(join(dir, 'broker.toml.tmp'), file);
    const line = await s.line((l) => l.msg === 'config reload applied');
    assert.equal(line.trigger, 'file watch');
    assert.deepEqual(line.changes, ['topic "watched": added (Fanout)']);
    assert.equal(await subscribeOp(String(listening.unix), 'watched'), 'SUB_ACK');
  });

  test('reloads the file on SIGHUP, end to end', async () => {
    // The config is a link to a file in another directory: editing the target there is invisible
    // to the watch (it watches the link's directory), so only the signal can cause this reload.
    const { dir, toml } = await serveDir();
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const target = join(elsewhere, 'real.toml');
    await writeFile(target, toml(['a']));
    const file = join(dir, 'broker.toml');
    await symlink(target, file);
    const s = serve(['-c', file]);
    const listening = await started(s);

    await writeFile(target, toml(['a', 'hupped']));
    assert.equal(await subscribeOp(String(listening.unix), 'hupped'), 'ERR');
    s.child.kill('SIGHUP');
    const line = await s.line((l) => l.msg === 'config reload applied');
    assert.equal(line.trigger, 'SIGHUP');
    assert.deepEqual(line.changes, ['topic "hupped": added (Fanout)']);
    assert.equal(await subscribeOp(String(listening.unix), 'hupped'), 'SUB_ACK');
    // SIGHUP did not end the process: it still drains and exits 0 on SIGTERM.
    assert.equal(await s.stop(), 0);
  });
});

describe('mycelium reload', () => {
  test('prints the report and exits 0; a rejected reload exits 1 with the problems and changes nothing', async () => {
    const h = await startFromFile({ topics: [{ name: 'a' }] });
    cleanups.push(() => h.stop());
    const url = `unix://${h.server.addresses.unix}`;

    await h.write({ topics: [{ name: 'a' }, { name: 'by-cli' }], server: { max_connections: 64 } });
    const ok = await mycelium(['reload', '--url', url]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^reload applied \(admin op, connection \d+\): 2 changes from /);
    assert.match(ok.stdout, /\n {2}server\.max_connections: 1000 -> 64\n/);
    assert.match(ok.stdout, /\n {2}topic "by-cli": added \(Fanout\)\n/);
    assert.ok(h.server.broker.hasTopic('by-cli'));

    await h.write({ topics: [{ name: 'a' }], server: { max_connections: 64, port: 7421 } });
    const bad = await mycelium(['reload', '--url', url]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^reload rejected \(admin op, connection \d+, CONFIG_NOT_RELOADABLE\)/);
    assert.match(bad.stderr, /server\.port: cannot change without a restart \(0 -> 7421\)/);
    assert.ok(h.server.broker.hasTopic('by-cli'), 'a rejected reload removed a topic');

    const refused = await mycelium(['reload', '--url', `tcp://127.0.0.1:${h.server.addresses.tcp.port}`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^mycelium reload: NOT_PERMITTED: /);
  });
});
