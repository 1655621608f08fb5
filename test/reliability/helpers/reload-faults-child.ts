/**
 * A `mycelium serve` child for the H2 fault variants (reload-faults.test.ts): the same broker as
 * child.ts's `startChildBroker`, with the config file's path at hand, and optionally run as
 * another user. A test running as root reads any file whatever its mode, and so does a broker it
 * spawns as root; to make a config file unreadable *to the broker*, the broker must run as a user
 * the file's mode applies to. The temp dir is then handed to that user, so the broker can create
 * its socket there and watch the directory; the config file stays the test's own, readable by
 * others until the test takes that away.
 */
import { spawn } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildBroker, LogLine } from './child.ts';
import { startChildBroker } from './child.ts';
import { tempDir } from './in-process.ts';
import { guard } from './wire-client.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

/** A child broker started from a config file, with that file's path. */
export interface FileBroker extends ChildBroker {
  /** The config file the broker was started from (what SIGHUP and the file watch read again). */
  readonly file: string;
}

/** The account a child broker runs as. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** The config file of a broker started by child.ts (it writes `broker.toml` in its temp dir). */
export async function startFileBroker(toml: string, shell?: string): Promise<FileBroker> {
  const b = await startChildBroker(shell === undefined ? { toml } : { toml, shell });
  return Object.assign(b, { file: join(b.dir, 'broker.toml') });
}

/**
 * Starts `mycelium serve -c <temp dir>/broker.toml` as `user` (or as this process's user when
 * undefined), on a temp-dir socket and port 0, log level debug, metrics off: the file child.ts
 * would write. Spawning as another user needs root.
 */
export async function startBrokerAs(toml: string, user: RunAs | undefined): Promise<FileBroker> {
  const dir = await tempDir();
  const socket = join(dir, 'b.sock');
  const file = join(dir, 'broker.toml');
  const server = `[server]\nsocket_path = ${JSON.stringify(socket)}\nport = 0\nlog_level = "debug"\n`;
  const body = toml.includes('[server]') ? toml.replace('[server]\n', server) : `${server}\n${toml}`;
  writeFileSync(file, `${body}\n[metrics]\nenabled = false\n`, { mode: 0o644 });
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '-c', file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  let rest = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: 0, msg: line });
      }
    }
    wake();
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (text: string) => stderr.push(text));
  let exitedYet = false;
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => {
      exitedYet = true;
      wake();
      resolve(code ?? signal ?? -1);
    }),
  );
  const waitFor = (match: (line: LogLine) => boolean, what: string, ms = 30_000): Promise<LogLine> =>
    guard(
      (async () => {
        for (;;) {
          const found = logs.find(match);
          if (found !== undefined) return found;
          if (exitedYet) throw new Error(`broker exited before ${what}: ${stderr.join('')}`);
          await new Promise<void>((r) => waiters.push(r));
        }
      })(),
      ms,
      what,
    );
  const waitLog = (prefix: string, ms = 30_000): Promise<LogLine> =>
    waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith(prefix), `broker log "${prefix}"`, ms);
  const stop = async (): Promise<void> => {
    if (!exitedYet) proc.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  let listening: LogLine;
  try {
    listening = await waitLog('listening on', 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const port = Number(/tcp:\/\/[^:]+:(\d+)/.exec(listening.msg)?.[1]);
  return {
    proc,
    pid: proc.pid!,
    dir,
    file,
    unix: { path: socket },
    tcp: { host: '127.0.0.1', port },
    logs,
    stderr,
    exited,
    waitLog,
    waitFor,
    closes: () =>
      logs
        .filter((l) => l.msg === 'connection closed')
        .map((l) => ({
          conn: l.conn as number,
          reason: l.reason as string,
          detail: l.detail as string | undefined,
        })),
    stop,
  };
}
