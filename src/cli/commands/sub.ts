import { once } from 'node:events';
import { type Command, Option } from 'commander';
import { type Client, connect, type Message, type StartPosition } from '../../client/index.ts';
import { addConnectionOptions, intOption, reportError, reportOnce } from './pub.ts';

interface SubOptions {
  url: string;
  token?: string;
  count?: number;
  fromSeq?: number;
  last?: number;
  ack?: boolean;
  raw?: boolean;
}

/** One message as `sub` prints it: `#SEQ PAYLOAD`, marked when it is a redelivery. */
export function formatMessage(msg: Message): string {
  const text = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength).toString('utf8');
  const mark = msg.redelivered ? ` (redelivered, delivery ${msg.deliveryCount})` : '';
  return `#${msg.seq}${mark} ${text}\n`;
}

/** Registers `mycelium sub TOPIC`. */
export function register(program: Command): void {
  const command = program
    .command('sub')
    .description('subscribe to a topic and print each message (seq and payload) until Ctrl-C or --count')
    .argument('<topic>', 'topic to subscribe to')
    .option('-c, --count <n>', 'exit after n messages', intOption(1))
    .addOption(
      new Option('--from-seq <seq>', 'start at this seq (fanout topics; as far as the buffer holds it)')
        .argParser(intOption(1))
        .conflicts('last'),
    )
    .addOption(
      new Option('--last <n>', 'start with the last n messages the topic holds (fanout topics)').argParser(
        intOption(0),
      ),
    )
    .option('--ack', 'acknowledge each message once printed (queue topics with ack = "manual")')
    .option('--raw', 'write the payload bytes only, nothing else');
  addConnectionOptions(command).action(async (topic: string, options: SubOptions) => {
    let client: Client | undefined;
    try {
      client = await connect(options.url, { name: 'mycelium-sub', token: options.token });
      await printMessages(client, topic, options);
      await client.drain();
    } catch (err) {
      reportError(err);
      await client?.close();
    }
  });
}

function startPosition(options: SubOptions): StartPosition {
  if (options.fromSeq !== undefined) return { kind: 'seq', seq: options.fromSeq };
  if (options.last !== undefined) return { kind: 'last', count: options.last };
  return { kind: 'new' };
}

async function printMessages(client: Client, topic: string, options: SubOptions): Promise<void> {
  const out = process.stdout;
  const note = (text: string): void => {
    process.stderr.write(`mycelium: ${text}\n`);
  };
  client.on('error', reportOnce());
  client.on('disconnect', (err) => note(`disconnected (${err.message}); reconnecting`));
  client.on('reconnect', () => note('reconnected; subscription resumed'));
  const sub = client.subscribe(topic, { start: startPosition(options) });
  sub.on('lagged', ({ fromSeq, count }) =>
    note(`lagged: ${count} messages from seq ${fromSeq} were skipped`),
  );
  const stop = (): void => {
    void sub.unsubscribe();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await sub.ready;
    let printed = 0;
    for await (const msg of sub) {
      const ok = options.raw ? out.write(msg.data) : out.write(formatMessage(msg));
      if (options.ack) msg.ack();
      if (!ok) await once(out, 'drain');
      if (options.count !== undefined && ++printed >= options.count) break;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
