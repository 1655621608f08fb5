/**
 * `mycelium bench`: one publisher and k subscribers through the SDK against a running server;
 * prints publish and delivery rates and latency percentiles. The publisher keeps at most `--window`
 * messages in flight so that a fanout subscriber is not lagged by the benchmark itself.
 */
import { type Command, Option } from 'commander';
import { connect, MyceliumError } from '../../client/index.ts';
import { monoMs } from './bench/clock.ts';
import { rate, report } from './bench/report.ts';
import {
  childSubscriber,
  inProcessSubscriber,
  runWorker,
  Signal,
  type SubscriberHandle,
} from './bench/subscribers.ts';
import type { BenchOptions } from './bench/types.ts';
import { addConnectionOptions, intOption, reportError } from './pub.ts';

/** Bytes of payload published between two waits for the socket. */
const PUBLISH_BATCH_BYTES = 256 * 1024;
/** Default most messages published and not yet delivered: below the default buffer_size (10000). */
const DEFAULT_WINDOW = 8192;
/** How often progress is printed. */
const PROGRESS_MS = 1000;
/** Once publishing is over, how long without a new delivery before the subscribers are stopped. */
const IDLE_STOP_MS = 3000;

const topicHint = (topic: string, queue: boolean): string =>
  `topic "${topic}" does not exist on the server. \`mycelium serve\` with the built-in default config ` +
  `declares no topics: start the server with a config that has\n\n  [[topics]]\n  name = "${topic}"\n` +
  `${queue ? '  routing = "Queue"\n' : ''}\nor pass --topic with a topic it declares.\n`;

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
