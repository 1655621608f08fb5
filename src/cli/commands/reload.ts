/**
 * `mycelium reload`: asks a running server to reload its configuration file, over the protocol's
 * RELOAD admin op (docs/protocol.md §3.15, §6.8), and prints the report. Exits 0 when the reload
 * was applied or there was nothing to change, 1 when it was rejected (the server keeps running on
 * its old configuration) or could not be asked. One raw exchange: HELLO, RELOAD, then the answer.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type Command, Option } from 'commander';
import { type Address, DEFAULT_URL, parseUrl } from '../../client/index.ts';
import { type ErrorCode, codeFromWire, MyceliumError } from '../../errors.ts';
import {
  type ClientFrameHandler,
  encodeHello,
  encodePong,
  encodeReload,
  FrameDecoder,
  type FrameError,
  ReloadStatus,
} from '../../protocol/index.ts';

/** How long the command waits for the whole exchange by default. */
export const DEFAULT_RELOAD_TIMEOUT_MS = 30_000;

/** The request id the command sends; one request per connection, so any value would do. */
const REQUEST_ID = 1;

/** What the server answered. */
export interface ReloadAnswer {
  readonly status: ReloadStatus;
  /** Why the reload was rejected (status Rejected only). */
  readonly code: ErrorCode | undefined;
  /** The report: a summary line, then one line per change or problem. */
  readonly text: string;
}

/** Options of {@link requestReload}. */
export interface ReloadRequestOptions {
  readonly token?: string;
  readonly timeoutMs?: number;
}

/**
 * Connects to `url`, sends RELOAD and resolves with the server's report.
 * @throws (rejects) MyceliumError INVALID_URL; the server's refusal as its code (NOT_PERMITTED,
 *   AUTH_FAILED, SHUTTING_DOWN, ...); CONNECTION_CLOSED or TIMEOUT when no answer came
 */
export function requestReload(url: string, options: ReloadRequestOptions = {}): Promise<ReloadAnswer> {
  const address = parseUrl(url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_RELOAD_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = open(address);
    const exchange = new Exchange(socket, resolve, reject);
    const decoder = new FrameDecoder(exchange, { side: 'client', maxFrameSize: 0xffff_ffff });
    const timer = setTimeout(
      () => exchange.fail(new MyceliumError('TIMEOUT', `no answer to RELOAD within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', () =>
      socket.write(Buffer.concat([encodeHello('mycelium-reload', options.token), encodeReload(REQUEST_ID)])),
    );
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.once('error', (err) =>
      exchange.fail(new MyceliumError('CONNECTION_CLOSED', err.message, { cause: err })),
    );
    socket.once('close', () => {
      clearTimeout(timer);
      exchange.fail(
        new MyceliumError('CONNECTION_CLOSED', 'the server closed the connection before answering RELOAD'),
      );
    });
  });
}

function open(address: Address): Socket {
  return address.kind === 'unix' ? netConnect(address.path) : netConnect(address.port, address.host);
}

/** The client side of one RELOAD exchange: settles once, then closes the socket. */
class Exchange implements ClientFrameHandler {
  #settled = false;
  readonly #socket: Socket;
  readonly #resolve: (answer: ReloadAnswer) => void;
  readonly #reject: (err: Error) => void;

  constructor(socket: Socket, resolve: (answer: ReloadAnswer) => void, reject: (err: Error) => void) {
    this.#socket = socket;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  fail(err: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#socket.destroy();
    this.#reject(err);
  }

  onReloadResult(requestId: number, status: ReloadStatus, code: number, text: string): void {
    if (this.#settled || requestId !== REQUEST_ID) return;
    this.#settled = true;
    this.#socket.end();
    this.#resolve({ status, code: code === 0 ? undefined : codeFromWire(code), text });
  }

  onErr(code: number, _refOp: number, _ref: number, text: string): void {
    this.fail(new MyceliumError(codeFromWire(code) ?? 'PROTOCOL_ERROR', text));
  }

  onError(err: FrameError): void {
    this.fail(err);
  }

  onPing(): void {
    this.#socket.write(encodePong());
  }

  // Nothing else is expected on a connection that only asks for a reload.
  onWelcome(): void {}
  onPong(): void {}
  onMsg(): void {}
  onSubAck(): void {}
  onUnsubAck(): void {}
  onPubAck(): void {}
  onLagged(): void {}
}

/** The flags of `reload`, as commander hands them over. */
interface ReloadFlags {
  readonly url: string;
  readonly token?: string;
  readonly timeout: string;
}

/** Runs the command; resolves with the exit code. */
export async function runReloadCommand(flags: ReloadFlags): Promise<number> {
  const timeoutMs = Number(flags.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    process.stderr.write(
      `mycelium reload: --timeout must be a whole number of ms >= 1 (got ${flags.timeout})\n`,
    );
    return 1;
  }
  let answer: ReloadAnswer;
  try {
    answer = await requestReload(flags.url, {
      timeoutMs,
      ...(flags.token === undefined ? {} : { token: flags.token }),
    });
  } catch (err) {
    const text = err instanceof MyceliumError ? `${err.code}: ${err.message}` : String(err);
    process.stderr.write(`mycelium reload: ${text}\n`);
    return 1;
  }
  if (answer.status === ReloadStatus.Rejected) {
    process.stderr.write(`${answer.text}\n`);
    return 1;
  }
  process.stdout.write(`${answer.text}\n`);
  return 0;
}

/** Registers `mycelium reload`. */
export function register(program: Command): void {
  program
    .command('reload')
    .description(
      "reload a running server's configuration file (all or nothing) and print what changed; exits 1 if it was rejected",
    )
    .addOption(
      new Option(
        '-u, --url <url>',
        'server address: unix:///path (allowed) or tcp://host:port (needs the token)',
      )
        .env('MYCELIUM_URL')
        .default(DEFAULT_URL),
    )
    .addOption(new Option('--token <token>', "the server's auth_token (needed on TCP)").env('MYCELIUM_TOKEN'))
    .option('--timeout <ms>', 'how long to wait for the answer', String(DEFAULT_RELOAD_TIMEOUT_MS))
    .action(async (flags: ReloadFlags) => {
      process.exitCode = await runReloadCommand(flags);
    });
}
