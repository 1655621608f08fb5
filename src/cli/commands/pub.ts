import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Client, connect, DEFAULT_URL, MyceliumError } from '../../client/index.ts';

/** Fire-and-forget publishes between two waits for the socket: bounds what sits in memory. */
const FLUSH_EVERY = 1024;
/** Confirmed publishes in flight at once before the command waits for their answers. */
const CONFIRM_WINDOW = 1024;

/** Parses a whole number >= min for a commander option. */
export function intOption(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    }
    return n;
  };
}

/** The --url/-u and --token options every client command takes. */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-u, --url <url>', 'server address: unix:///path or tcp://host:port')
        .env('MYCELIUM_URL')
        .default(DEFAULT_URL),
    )
    .addOption(
      new Option('--token <token>', 'auth token (required by a server with auth_token, on TCP)').env(
        'MYCELIUM_TOKEN',
      ),
    );
}

/** Prints an error the way every client command does and sets the exit code. */
export function reportError(err: unknown): void {
  const text = err instanceof MyceliumError ? `${err.code}: ${err.message}` : String(err);
  process.stderr.write(`mycelium: ${text}\n`);
  process.exitCode = 1;
}

/** An 'error' listener that prints each error code once (a refused topic would repeat per message). */
export function reportOnce(): (err: unknown) => void {
  const seen = new Set<string>();
  return (err) => {
    const key = err instanceof MyceliumError ? err.code : String(err);
    if (seen.has(key)) return;
    seen.add(key);
    reportError(err);
  };
}

interface PubOptions {
  url: string;
  token?: string;
  count?: number;
  size?: number;
  rate?: number;
  confirm?: boolean;
}

/** Registers `mycelium pub TOPIC [MSG]`. */
export function register(program: Command): void {
  const command = program
    .command('pub')
    .description('publish messages: MSG, --size random payloads, or one message per stdin line')
    .argument('<topic>', 'topic to publish to')
    .argument('[msg]', 'the message text (default: read lines from stdin)')
    .option(
      '-c, --count <n>',
      'how many messages to send (default 1; with stdin: stop after n lines)',
      intOption(1),
    )
    .option('-s, --size <bytes>', 'send random payloads of this many bytes instead of MSG', intOption(0))
    .option('-r, --rate <msgs>', 'at most this many messages per second', intOption(1))
    .option('--confirm', 'wait for the broker to confirm each message (prints the seqs)');
  addConnectionOptions(command).action(
    async (topic: string, msg: string | undefined, options: PubOptions) => {
      if (msg !== undefined && options.size !== undefined)
        command.error('give either MSG or --size, not both');
      let client: Client | undefined;
      try {
        client = await connect(options.url, { name: 'mycelium-pub', token: options.token, reconnect: false });
        client.on('error', reportOnce());
        const summary = await publishAll(client, topic, payloads(msg, options), options);
        // Errors for fire-and-forget publishes arrive before the server closes: report those first.
        await client.drain();
        if (process.exitCode !== 1) process.stdout.write(summary);
      } catch (err) {
        reportError(err);
        await client?.close();
      }
    },
  );
}

/** The messages to send, in order: MSG or random bytes `count` times, or stdin lines. */
async function* payloads(msg: string | undefined, options: PubOptions): AsyncGenerator<Uint8Array | string> {
  const count = options.count ?? 1;
  if (msg !== undefined) {
    for (let i = 0; i < count; i++) yield msg;
    return;
  }
  if (options.size !== undefined) {
    const size = options.size;
    // One random pool, sliced at moving offsets: random content without a syscall per message.
    const pool = randomBytes(size + 4096);
    for (let i = 0; i < count; i++) {
      const at = (i * 61) % 4096;
      yield pool.subarray(at, at + size);
    }
    return;
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let sent = 0;
  for await (const line of lines) {
    yield line;
    if (options.count !== undefined && ++sent >= options.count) break;
  }
  lines.close();
}

async function publishAll(
  client: Client,
  topic: string,
  source: AsyncIterable<Uint8Array | string>,
  options: PubOptions,
): Promise<string> {
  const started = performance.now();
  let sent = 0;
  let bytes = 0;
  let firstSeq = 0;
  let lastSeq = 0;
  let window: Promise<number>[] = [];
  const settle = async (): Promise<void> => {
    for (const seq of await Promise.all(window)) {
      if (firstSeq === 0) firstSeq = seq;
      lastSeq = seq;
    }
    window = [];
  };
  for await (const payload of source) {
    if (options.rate !== undefined) {
      const wait = started + (sent / options.rate) * 1000 - performance.now();
      if (wait > 1) await sleep(wait);
    }
    if (options.confirm) {
      window.push(client.publish(topic, payload, { confirm: true }));
      if (window.length >= CONFIRM_WINDOW) await settle();
    } else {
      client.publish(topic, payload);
      if ((sent + 1) % FLUSH_EVERY === 0) await client.flush();
    }
    sent++;
    bytes += typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  }
  await settle();
  await client.flush();
  const seconds = (performance.now() - started) / 1000;
  const rate = seconds > 0 ? Math.round(sent / seconds) : sent;
  const confirmed = options.confirm && sent > 0 ? `; confirmed seqs ${firstSeq}..${lastSeq}` : '';
  const plural = sent === 1 ? '' : 's';
  return `published ${sent} message${plural} (${bytes} bytes) to ${topic} in ${seconds.toFixed(3)} s (${rate} msg/s)${confirmed}\n`;
}
