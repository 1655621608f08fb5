/**
 * Spawning child processes: load-generator workers (driven over IPC) and brokers, optionally
 * under a shell that first raises the open-file limit as far as it is allowed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Job, ParentCommand, WorkerMessage } from './types.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** The open-file limit the suite asks for (10,000 idle connections need more than the usual 1,024). */
export const WANTED_NOFILE = 65536;

/**
 * argv that runs `command` under `sh` after raising `ulimit -n` to {@link WANTED_NOFILE}, or to
 * the hard limit when that is lower; `exec` keeps the child's pid the command's pid.
 */
export function withRaisedNofile(command: string, args: readonly string[]): [string, string[]] {
  const script = `ulimit -n ${WANTED_NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`;
  return ['sh', ['-c', script, 'sh', command, ...args]];
}

/** The soft open-file limit of a running process (from /proc), or null if it cannot be read. */
export function nofileOf(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined ? null : soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes (VmRSS from /proc/<pid>/status), or null. */
export function rssOf(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux this runs on). */
const USER_HZ = 100;

/**
 * CPU time a process has used so far, user + system, in seconds (fields 14 and 15 of
 * /proc/<pid>/stat, counted after the parenthesised command name, which may hold spaces), or null.
 */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return null;
  }
}

type Waiter = {
  type: WorkerMessage['type'];
  resolve: (m: WorkerMessage) => void;
  reject: (e: Error) => void;
};

/** A load-generator process and its inbox of messages. */
export class Worker {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #inbox: WorkerMessage[] = [];
  #waiters: Waiter[] = [];
  #failure: Error | null = null;

  constructor(job: Job, raiseNofile = false) {
    const node = [process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(job)]] as const;
    const [cmd, args] = raiseNofile ? withRaisedNofile(node[0], node[1]) : [node[0], [...node[1]]];
    this.child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.on('message', (m) => this.#receive(m as WorkerMessage));
    this.child.once('exit', (code, signal) => {
      // IPC messages sent just before exiting may still be in flight: let them land first.
      const error = new Error(`${job.role} worker for ${job.system} exited (${signal ?? `code ${code}`})`);
      setTimeout(() => this.#fail(error), 200);
    });
  }

  /** Sends a command; a worker that is gone is reported by the next {@link Worker.expect}. */
  send(command: ParentCommand): void {
    if (this.child.connected) this.child.send(command);
  }

  /** Waits for the next message of `type`; a `fatal` message, an exit or the timeout rejects. */
  expect<T extends WorkerMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<WorkerMessage, { type: T }>> {
    const found = this.#inbox.findIndex((m) => m.type === type);
    if (found >= 0)
      return Promise.resolve(this.#inbox.splice(found, 1)[0] as Extract<WorkerMessage, { type: T }>);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for '${type}'`));
      }, timeoutMs);
      const waiter: Waiter = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<WorkerMessage, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Ends the worker (SIGKILL: it holds nothing that needs a clean close) and waits for it. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  #receive(message: WorkerMessage): void {
    if (message.type === 'fatal') {
      this.#fail(new Error(message.message));
      return;
    }
    const index = this.#waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) this.#waiters.splice(index, 1)[0]!.resolve(message);
    else this.#inbox.push(message);
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const w of this.#waiters) w.reject(error);
    this.#waiters = [];
  }
}

/** Starts a worker and waits for its `ready`; kills it if it never gets there. */
export async function startWorker(job: Job, timeoutMs: number, raiseNofile = false): Promise<Worker> {
  const worker = new Worker(job, raiseNofile);
  try {
    await worker.expect('ready', timeoutMs);
    return worker;
  } catch (e) {
    await worker.kill();
    throw e;
  }
}
