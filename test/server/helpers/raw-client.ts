/**
 * A raw-protocol test client: frames go out as the encoders make them and come back as plain
 * objects, so tests read like a transcript (nats-server's proto_test):
 *   c.send(encodePub('orders', payload, 7)); assert.deepEqual(await c.next(), { op: 'PUBACK', ... })
 */
import { connect, type Socket } from 'node:net';
import { ERROR_CATALOG, type ErrorCode } from '../../../src/errors.ts';
import { encodeHello, type Frame, FrameCollector, FrameDecoder } from '../../../src/protocol/index.ts';

/** How long `next()` waits before failing the test (a hang guard, not a timing assertion). */
const NEXT_TIMEOUT_MS = 5000;

export type Target = { readonly path: string } | { readonly host: string; readonly port: number };

export class RawClient {
  readonly socket: Socket;
  readonly #collector = new FrameCollector();
  readonly #decoder: FrameDecoder;
  #read = 0;
  #waiter: (() => void) | undefined;
  #ended = false;
  /** Resolves when the socket has closed (for any reason). */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.#decoder = new FrameDecoder(this.#collector, {
      side: 'client',
      enforceHandshake: false,
      maxFrameSize: 0xffff_ffff,
    });
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk);
      this.#wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#ended = true;
        this.#wake();
        resolve();
      }),
    );
  }

  /** Connects to a Unix socket path or a TCP host:port. */
  static connect(target: Target): Promise<RawClient> {
    const socket = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connects and completes the handshake; resolves with the WELCOME frame. */
  static async ready(target: Target, name = 'test', token?: string): Promise<RawClient> {
    const c = await RawClient.connect(target);
    c.send(encodeHello(name, token));
    const welcome = await c.next();
    if (welcome.op !== 'WELCOME') throw new Error(`expected WELCOME, got ${JSON.stringify(welcome)}`);
    return c;
  }

  send(...frames: Uint8Array[]): void {
    for (const f of frames) this.socket.write(f);
  }

  /** The next frame the server sent, in order. */
  async next(): Promise<Frame> {
    const deadline = Date.now() + NEXT_TIMEOUT_MS;
    for (;;) {
      const events = this.#collector.events;
      if (this.#read < events.length) {
        const e = events[this.#read++]!;
        if (e instanceof Error) throw e;
        return e;
      }
      if (this.#ended) throw new Error('the connection closed before another frame arrived');
      if (Date.now() >= deadline) throw new Error(`no frame within ${NEXT_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The next `n` frames. */
  async take(n: number): Promise<Frame[]> {
    const out: Frame[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  /** Every frame received so far and not yet taken with `next`. */
  drain(): Frame[] {
    const events = this.#collector.events.slice(this.#read) as Frame[];
    this.#read = this.#collector.events.length;
    return events;
  }

  /** Resolves with every remaining frame once the server has closed the connection. */
  async untilClosed(): Promise<Frame[]> {
    await this.closed;
    return this.drain();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}

/** The fields of an ERR frame a test checks (the text is for people). */
export function errFields(frame: Frame): { code: ErrorCode | number; refOp: number; ref: number } {
  if (frame.op !== 'ERR') throw new Error(`expected ERR, got ${JSON.stringify(frame)}`);
  const code = (Object.keys(ERROR_CATALOG) as ErrorCode[]).find((c) => ERROR_CATALOG[c].wire === frame.code);
  return { code: code ?? frame.code, refOp: frame.refOp, ref: frame.ref };
}
