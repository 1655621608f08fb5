import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import * as hdr from 'hdr-histogram-js';
import { connect, MyceliumError } from '../../client/index.ts';
import { addConnectionOptions, intOption, reportError } from './pub.ts';

interface BenchOptions {
  url: string;
  token?: string;
  topic?: string;
  messages: number;
  size: number;
  subscribers: number;
  window: number;
  queue?: boolean;
  ack?: boolean;
  inProcess?: boolean;
  json?: string;
  subscriberWorker?: boolean;
  since?: number;
  reportEvery?: number;
}

/** What one subscriber measured. */
interface SubscriberReport {
  received: number;
  /** Messages the broker said this subscriber skipped (LAGGED). */
  lost: number;
  /** Monotonic ms of the last delivery (0 if none). */
  lastAt: number;
  /** Latency histogram in µs, hdr compressed base64 (it crosses the process boundary). */
  histogram: string;
}

/** A subscriber the publisher waits on, in this process or a child. */
interface SubscriberHandle {
  /** Resolves once subscribed; rejects if the subscriber failed first. */
  ready: Promise<void>;
  readonly result: Promise<SubscriberReport>;
  /** Deliveries plus losses reported so far. */
  done: number;
  stop(): void;
}

/** Bytes of payload published between two waits for the socket. */
const PUBLISH_BATCH_BYTES = 256 * 1024;
/** Default most messages published and not yet delivered: below the default buffer_size (10000). */
const DEFAULT_WINDOW = 8192;
/** How often progress is printed. */
const PROGRESS_MS = 1000;
/** Once publishing is over, how long without a new delivery before the subscribers are stopped. */
const IDLE_STOP_MS = 3000;
/** Largest latency the histogram tracks: one hour in µs. */
const MAX_LATENCY_US = 3_600_000_000;

/**
 * performance.now() counts from each process's own start; adding this offset turns it into
 * CLOCK_MONOTONIC milliseconds (as process.hrtime), which all processes share. It is measured as
 * the tightest of many bracketed reads, since one cold read can be off by tens of µs.
 */
const MONO_OFFSET_MS = (() => {
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 2000; i++) {
    const before = performance.now();
    const mono = Number(process.hrtime.bigint()) / 1e6;
    const after = performance.now();
    if (after - before < best) [best, offset] = [after - before, mono - (before + after) / 2];
  }
  return offset;
})();
const monoMs = (): number => performance.now() + MONO_OFFSET_MS;
const newHistogram = () =>
  hdr.build({ highestTrackableValue: MAX_LATENCY_US, numberOfSignificantValueDigits: 3 });

const topicHint = (topic: string, queue: boolean): string =>
  `topic "${topic}" does not exist on the server. \`mycelium serve\` with the built-in default config ` +
  `declares no topics: start the server with a config that has\n\n  [[topics]]\n  name = "${topic}"\n` +
  `${queue ? '  routing = "Queue"\n' : ''}\nor pass --topic with a topic it declares.\n`;

/** Wakes whoever waits for subscriber progress (the flow-control window and the final wait). */
class Signal {
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

/** Registers `mycelium bench`. */
export function register(program: Command): void {
  const command = program
    .command('bench')
    .description('measure publish and delivery rates and latency through the SDK against a running server')
    .option('--topic <name>', 'topic to use; it must exist (default "bench", or "bench.queue" with --queue)')
    .option('-n, --messages <n>', 'messages to publish', intOption(1), 100_000)
    .option(
      '-s, --size <bytes>',
      'payload bytes (>= 8 carries a send timestamp for latency)',
      intOption(0),
      16,
    )
    .option('-k, --subscribers <k>', 'subscribers (0 = publish only)', intOption(0), 1)
    .option(
      '-w, --window <n>',
      'most messages published but not yet delivered (keep it under the topic buffer_size; 1 = one in flight, for latency; 0 = no limit)',
      intOption(0),
      DEFAULT_WINDOW,
    )
    .option('--queue', 'the topic is a queue topic: each message goes to one subscriber')
    .option('--ack', 'subscribers ack each message (queue topics with ack = "manual")')
    .option('--in-process', 'run subscribers in this process (default: one child process each)')
    .option('--json <file>', 'also write the results as JSON to this file')
    .addOption(new Option('--subscriber-worker').hideHelp())
    .addOption(new Option('--since <ms>').argParser(Number).hideHelp())
    .addOption(new Option('--report-every <n>').argParser(Number).hideHelp());
  addConnectionOptions(command).action(async (options: BenchOptions) => {
    const topic = options.topic ?? (options.queue ? 'bench.queue' : 'bench');
    try {
      if (options.subscriberWorker) await runWorker(topic, options);
      else await runBench(topic, options);
    } catch (err) {
      if (err instanceof MyceliumError && err.code === 'TOPIC_NOT_FOUND') {
        process.stderr.write(`mycelium bench: ${topicHint(topic, options.queue === true)}`);
        process.exitCode = 1;
      } else reportError(err);
    }
  });
}

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

function inProcessSubscriber(topic: string, options: BenchOptions, signal: Signal): SubscriberHandle {
  let stop = (): void => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const [handle, apply] = subscriberHandle(signal, stop);
  measure(topic, options, stopped, apply).catch((err) => apply(failure(err)));
  return handle;
}

function childSubscriber(topic: string, options: BenchOptions, signal: Signal): SubscriberHandle {
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
async function runWorker(topic: string, options: BenchOptions): Promise<void> {
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

async function runBench(topic: string, options: BenchOptions): Promise<void> {
  const { messages, size, subscribers } = options;
  const window = subscribers > 0 ? options.window : 0;
  options.since = monoMs();
  options.reportEvery = window > 0 ? Math.max(1, Math.min(1024, Math.floor(window / 4))) : 1024;
  const publisher = await connect(options.url, { name: 'mycelium-bench-pub', token: options.token });
  const signal = new Signal();
  const subs: SubscriberHandle[] = [];
  const total = (): number => subs.reduce((n, s) => n + s.done, 0);
  // What the window counts: the slowest fanout subscriber, or all queue consumers together.
  const delivered = options.queue ? total : () => Math.min(...subs.map((s) => s.done));
  let progress: NodeJS.Timeout | undefined;
  try {
    // Fails with TOPIC_NOT_FOUND before any subscriber starts.
    const probe = publisher.subscribe(topic, { callback: () => {} });
    await probe.ready;
    await probe.unsubscribe();
    process.stderr.write(
      `starting ${subscribers} subscriber(s) (${options.inProcess ? 'in this process' : 'child processes'})...\n`,
    );
    for (let i = 0; i < subscribers; i++) {
      subs.push((options.inProcess ? inProcessSubscriber : childSubscriber)(topic, options, signal));
    }
    await Promise.all(subs.map((s) => s.ready));
    const failed = Promise.all(subs.map((s) => s.result)).then(() => new Promise<never>(() => {}));
    const started = monoMs();
    let sent = 0;
    progress = setInterval(() => {
      const secs = (monoMs() - started) / 1000;
      process.stderr.write(
        `  published ${sent}/${messages} (${rate(sent, secs)} msg/s), delivered ${total()}\n`,
      );
    }, PROGRESS_MS);
    const publishAll = async (): Promise<void> => {
      const payload = Buffer.alloc(size, 0x61);
      const batch = Math.max(1, Math.floor(PUBLISH_BATCH_BYTES / (size + 16 + topic.length)));
      while (sent < messages) {
        while (window > 0 && sent - delivered() >= window) await signal.wait(10);
        const end = Math.min(messages, sent + batch, window > 0 ? delivered() + window : messages);
        for (; sent < end; sent++) {
          if (size >= 8) payload.writeDoubleBE(monoMs(), 0);
          publisher.publish(topic, payload);
        }
        await publisher.flush();
      }
    };
    await Promise.race([publishAll(), failed]);
    const publishedAt = monoMs();
    // Wait for every delivery, or until deliveries stop coming for IDLE_STOP_MS.
    const expected = options.queue ? messages : messages * subscribers;
    for (let last = -1, quietSince = monoMs(); total() < expected && monoMs() - quietSince < IDLE_STOP_MS; ) {
      await Promise.race([signal.wait(100), failed]);
      if (total() !== last) [last, quietSince] = [total(), monoMs()];
    }
    for (const s of subs) s.stop();
    report(topic, options, await Promise.all(subs.map((s) => s.result)), started, publishedAt);
  } finally {
    clearInterval(progress);
    for (const s of subs) s.stop();
    await publisher.close();
  }
}

function rate(count: number, seconds: number): number {
  return seconds > 0 ? Math.round(count / seconds) : 0;
}

/** Prints the results table (and writes the JSON file when asked). */
function report(
  topic: string,
  options: BenchOptions,
  reports: SubscriberReport[],
  started: number,
  publishedAt: number,
): void {
  const { messages, size, subscribers } = options;
  const latency = newHistogram();
  for (const r of reports) latency.add(hdr.decodeFromCompressedBase64(r.histogram));
  const delivered = reports.reduce((n, r) => n + r.received, 0);
  const pubSecs = (publishedAt - started) / 1000;
  const delSecs = (Math.max(publishedAt, ...reports.map((r) => r.lastAt)) - started) / 1000;
  const timed = size >= 8 && latency.totalCount > 0;
  const pct = (p: number): number | null => (timed ? latency.getValueAtPercentile(p) : null);
  const result = {
    url: options.url,
    topic,
    routing: options.queue ? 'Queue' : 'Fanout',
    messages,
    size,
    subscribers,
    subscriberProcesses: options.inProcess ? 'in-process' : 'child processes',
    window: options.window,
    published: { count: messages, seconds: pubSecs, msgPerSec: rate(messages, pubSecs) },
    delivered: { count: delivered, seconds: delSecs, msgPerSec: rate(delivered, delSecs) },
    lost: reports.reduce((n, r) => n + r.lost, 0),
    latencyUs: { p50: pct(50), p99: pct(99), p999: pct(99.9), max: timed ? latency.maxValue : null },
    node: process.version,
    date: new Date().toISOString(),
  };
  const row = (what: string, r: { count: number; seconds: number; msgPerSec: number }): string => {
    const mbs = r.seconds > 0 ? ((r.count * size) / r.seconds / 1e6).toFixed(1) : '-';
    const cells = [
      String(r.count).padStart(10),
      r.seconds.toFixed(3).padStart(7),
      String(r.msgPerSec).padStart(10),
    ];
    return `| ${what.padEnd(10)} | ${cells.join(' | ')} | ${mbs.padStart(6)} |`;
  };
  const lines = [
    '',
    `mycelium bench: ${options.url}, topic ${topic} (${result.routing}), ${messages} x ${size} B, ` +
      `1 publisher -> ${subscribers} subscriber(s) (${result.subscriberProcesses}), window ${options.window || 'none'}`,
    '',
    '| what       |      count | seconds |      msg/s |   MB/s |',
    '|------------|-----------:|--------:|-----------:|-------:|',
    row('published', result.published),
    row('delivered', result.delivered),
    `| lost (lag) | ${String(result.lost).padStart(10)} |         |            |        |`,
    '',
    timed
      ? `latency publish -> delivery (µs): p50 ${pct(50)}  p99 ${pct(99)}  p99.9 ${pct(99.9)}  max ${latency.maxValue}`
      : 'latency: not measured (payloads under 8 bytes carry no timestamp)',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`results written to ${options.json}\n`);
  }
}
