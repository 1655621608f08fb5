/** The `mycelium` command run as a child process: `serve` with its JSON log lines, and one-shot commands. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

const MAIN = new URL('../../../src/cli/main.ts', import.meta.url).pathname;

/** A running `mycelium serve`. */
export interface Serve {
  readonly child: ChildProcess;
  /** Resolves with the first JSON log line for which `match` holds. */
  line(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly exit: Promise<number | null>;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<number | null>;
}

/** The JSON log lines a child writes to `stream`, collected as they come. */
export interface JsonLines {
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line for which `match` holds, waiting for it if need be. */
  first(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** Collects the JSON lines of `stream` (a child's stdout running with JSON logs). */
export function jsonLines(stream: Readable): JsonLines {
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: stream }).on('line', (text) => {
    lines.push(JSON.parse(text) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  return {
    lines,
    async first(match) {
      for (;;) {
        const found = lines.find(match);
        if (found !== undefined) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

export function serve(args: readonly string[]): Serve {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], {
    env: { ...process.env, MYCELIUM_METRICS__PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const log = jsonLines(child.stdout!);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exit,
    line: (match) => log.first(match),
    stop() {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

/** What a one-shot command did. */
export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mycelium <args>` to completion. */
export function mycelium(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
