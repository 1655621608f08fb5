/**
 * Child processes: a broker run by `mycelium serve` (so signals, exit codes and memory are the
 * real process's), and fixtures run through tsx. A broker's log lines are parsed as they come, so
 * tests can wait for a line and read close reasons from the debug log.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './in-process.ts';
import { guard, type Target, until } from './wire-client.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

/** A fixture script in test/reliability/fixtures. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** One pino log line of the broker. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface ChildBroker {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly dir: string;
  /** The config file it was started from (what SIGHUP and the file watch read again). */
  readonly file: string;
  readonly unix: Target;
  readonly tcp: Target;
  readonly logs: LogLine[];
  readonly stderr: string[];
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Waits for a log line whose msg starts with `prefix` (a hang guard of `ms`). */
  waitLog(prefix: string, ms?: number): Promise<LogLine>;
  /** Waits for a log line matching `match` (log lines arrive asynchronously over stdout). */
  waitFor(match: (line: LogLine) => boolean, what: string, ms?: number): Promise<LogLine>;
  /** 'connection closed' lines so far (debug level), with reason and detail. */
  closes(): { conn: number; reason: string; detail: string | undefined }[];
  /** Kills the process if it still runs and removes its temp dir. */
  stop(): Promise<void>;
}

export interface ChildBrokerOptions {
  /** The TOML of the config file, without socket_path and port (they are added). */
  readonly toml: string;
  /** Shell commands run before exec'ing node (e.g. `ulimit -n 65536`). */
  readonly shell?: string;
  /** How long start-up may take (a hang guard). */
  readonly startMs?: number;
  /** A command the broker runs under, its argv before node's (e.g. `setpriv` dropping capabilities). */
  readonly prefix?: readonly string[];
}

/** Starts `mycelium serve` on a temp-dir socket and an ephemeral TCP port, log level debug. */
export async function startChildBroker(options: ChildBrokerOptions): Promise<ChildBroker> {
  const dir = await tempDir();
  const socket = join(dir, 'b.sock');
  const file = join(dir, 'broker.toml');
  const server = `[server]\nsocket_path = ${JSON.stringify(socket)}\nport = 0\nlog_level = "debug"\n`;
  const toml = options.toml.includes('[server]')
    ? options.toml.replace('[server]\n', server)
    : `${server}\n${options.toml}`;
  writeFileSync(file, `${toml}\n[metrics]\nenabled = false\n`);
  const argv = [...(options.prefix ?? []), process.execPath, '--import', 'tsx', MAIN, 'serve', '-c', file];
  const proc =
    options.shell === undefined
      ? spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('/bin/sh', ['-c', `${options.shell}; exec "$@"`, 'sh', ...argv], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const waiters: (() => void)[] = [];
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
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (text: string) => stderr.push(text));
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve(code ?? signal ?? -1);
    }),
  );
  let exitedYet = false;
  void exited.then(() => {
    exitedYet = true;
  });
  function waitLog(prefix: string, ms = 30_000): Promise<LogLine> {
    return waitFor(
      (l) => typeof l.msg === 'string' && l.msg.startsWith(prefix),
      `broker log "${prefix}"`,
      ms,
    );
  }
  async function waitFor(match: (line: LogLine) => boolean, what: string, ms = 30_000): Promise<LogLine> {
    const find = (): LogLine | undefined => logs.find(match);
    return guard(
      (async () => {
        for (;;) {
          const found = find();
          if (found !== undefined) return found;
          if (exitedYet) throw new Error(`broker exited before ${what}: ${stderr.join('')}`);
          await new Promise<void>((r) => waiters.push(r));
        }
      })(),
      ms,
      what,
    );
  }
  const stop = async (): Promise<void> => {
    if (!exitedYet) proc.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  let listening: LogLine;
  try {
    listening = await waitLog('listening on', options.startMs ?? 60_000);
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

/** Memory of a process from /proc/<pid>/status, in bytes: resident now and its peak. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets the peak-RSS counter of a process (Linux clear_refs 5), so VmHWM measures from now. */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Samples a process's RSS every `everyMs` until stopped; `peak` is the largest sample. */
export class RssSampler {
  peak = 0;
  readonly #timer: NodeJS.Timeout;
  constructor(pid: number, everyMs = 50) {
    const sample = (): void => {
      try {
        this.peak = Math.max(this.peak, memoryOf(pid).rss);
      } catch {
        // The process has exited: nothing more to sample.
      }
    };
    sample();
    this.#timer = setInterval(sample, everyMs);
  }
  stop(): number {
    clearInterval(this.#timer);
    return this.peak;
  }
}

/** Spawns a TypeScript fixture through tsx with an IPC channel. */
export function spawnFixture(
  name: string,
  args: string[],
  options: { uid?: number; gid?: number } = {},
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', fixture(name), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...options,
  });
}

export { until };
