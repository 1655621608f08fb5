/**
 * The subscribers of `mycelium bench`: each subscribes, measures latency and losses, and reports
 * progress to the publisher, either in this process or in a child process of its own (over IPC),
 * so that one subscriber's callbacks do not slow down the publisher or the others.
 */
import { type ChildProcess, fork } from 'node:child_process';
import * as hdr from 'hdr-histogram-js';
import { connect, MyceliumError } from '../../../client/index.ts';
import { monoMs, newHistogram } from './clock.ts';
import type { BenchOptions, SubscriberReport } from './types.ts';

/** A subscriber the publisher waits on, in this process or a child. */
export interface SubscriberHandle {
  /** Resolves once subscribed; rejects if the subscriber failed first. */
  ready: Promise<void>;
  readonly result: Promise<SubscriberReport>;
  /** Deliveries plus losses reported so far. */
  done: number;
  stop(): void;
}

/** Wakes whoever waits for subscriber progress (the flow-control window and the final wait). */
export class Signal {
  #waiters: Array<() => void> = [];
  notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      setTimeout(resolve, ms);
    });
  }
}

/** What a subscriber tells the publisher (over IPC when it runs in a child process). */
type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; done: number }
  | { type: 'report'; report: SubscriberReport }
  | { type: 'error'; code: string; message: string };

/**
 * One subscriber: subscribes, measures until it has every message (fanout) or `stopped`, and
 * tells `send` how it goes. The same code runs in this process and in a child process.
 */
async function measure(
  topic: string,
  options: BenchOptions,
  stopped: Promise<void>,
  send: (m: WorkerMessage) => void,
): Promise<void> {
  const client = await connect(options.url, { name: 'mycelium-bench-sub', token: options.token });
  const expected = options.queue ? Number.POSITIVE_INFINITY : options.messages;
  const histogram = newHistogram();
  const since = options.since ?? 0;
  const every = options.reportEvery ?? 1024;
  const stamp = new DataView(new ArrayBuffer(8));
  const ack = options.ack === true;
  let received = 0;
  let lost = 0;
  let lastAt = 0;
  let finish = (): void => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const counted = (): void => {
    const done = received + lost;
    if (done % every === 0) send({ type: 'progress', done });
    if (done >= expected) finish();
  };
  const sub = client.subscribe(topic, {
    callback: (msg) => {
      const data = msg.data;
      const now = monoMs();
      if (data.byteLength >= 8) {
        for (let i = 0; i < 8; i++) stamp.setUint8(i, data[i]!);
        const sentAt = stamp.getFloat64(0);
        // Older than this run: left in a queue topic by an earlier, interrupted run.
        if (sentAt < since) return;
        histogram.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
      }
      received++;
      lastAt = now;
      if (ack) msg.ack();
      counted();
    },
  });
  sub.on('lagged', ({ count }) => {
    lost += count;
    counted();
  });
  try {
    await sub.ready;
    send({ type: 'ready' });
    const ticker = setInterval(() => send({ type: 'progress', done: received + lost }), 250);
    await Promise.race([finished, stopped]);
    clearInterval(ticker);
  } finally {
    await client.close();
  }
  send({ type: 'progress', done: received + lost });
  send({
    type: 'report',
    report: { received, lost, lastAt, histogram: hdr.encodeIntoCompressedBase64(histogram) },
  });
}

/** The error message for `err`: MyceliumError codes survive the trip over IPC. */
function failure(err: unknown): WorkerMessage {
  const code = err instanceof MyceliumError ? err.code : 'CONNECTION_CLOSED';
  return { type: 'error', code, message: err instanceof Error ? err.message : String(err) };
}

/** A handle fed by a subscriber's messages, wherever it runs. */
function subscriberHandle(signal: Signal, stop: () => void): [SubscriberHandle, (m: WorkerMessage) => void] {
  let markReady = (): void => {};
  let settle: (m: WorkerMessage) => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const result = new Promise<SubscriberReport>((resolve, reject) => {
    settle = (m) => {
      if (m.type === 'report') resolve(m.report);
      else if (m.type === 'error') reject(new MyceliumError(m.code as MyceliumError['code'], m.message));
    };
  });
  result.catch(() => {});
  const handle: SubscriberHandle = {
    ready: Promise.race([ready, result.then(() => {})]),
    result,
    done: 0,
    stop,
  };
  const apply = (m: WorkerMessage): void => {
    if (m.type === 'ready') markReady();
    else if (m.type === 'progress') {
      handle.done = m.done;
      signal.notify();
    } else settle(m);
  };
  return [handle, apply];
}

/** Starts a subscriber in this process. */
export function inProcessSubscriber(topic: string, options: BenchOptions, signal: Signal): SubscriberHandle {
  let stop = (): void => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const [handle, apply] = subscriberHandle(signal, stop);
  measure(topic, options, stopped, apply).catch((err) => apply(failure(err)));
  return handle;
}

/** Starts a subscriber in a child process running `mycelium bench --subscriber-worker`. */
export function childSubscriber(topic: string, options: BenchOptions, signal: Signal): SubscriberHandle {
  const args = ['bench', '--subscriber-worker', '--url', options.url, '--topic', topic];
  args.push('--messages', String(options.messages), '--since', String(options.since));
  args.push('--report-every', String(options.reportEvery));
  if (options.queue) args.push('--queue');
  if (options.ack) args.push('--ack');
  const env = options.token === undefined ? process.env : { ...process.env, MYCELIUM_TOKEN: options.token };
  // The same entry point (bin/mycelium.js or src/cli/main.ts) with the same node flags.
  const child: ChildProcess = fork(process.argv[1]!, args, {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [handle, apply] = subscriberHandle(signal, () => {
    if (child.connected) child.send({ type: 'stop' }, () => {});
  });
  child.on('error', (err) => apply(failure(err)));
  child.on('message', apply);
  child.on('exit', (code) => apply(failure(new Error(`a bench subscriber process exited (code ${code})`))));
  return handle;
}

/** The `--subscriber-worker` side of childSubscriber: measures and reports over IPC. */
export async function runWorker(topic: string, options: BenchOptions): Promise<void> {
  const send = (m: WorkerMessage): void => {
    if (process.connected) process.send?.(m);
  };
  const stopped = new Promise<void>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m.type === 'stop') resolve();
    });
    process.on('disconnect', () => resolve());
  });
  await measure(topic, options, stopped, send).catch((err) => send(failure(err)));
  process.disconnect?.();
}
