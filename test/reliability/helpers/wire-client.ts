/**
 * A lean raw-protocol client for load: frames are handled as they are decoded (no per-frame
 * objects kept), PINGs are answered, and every ERR is kept with its code name. Tests that move
 * hundreds of thousands of messages use this instead of test/server/helpers/raw-client.ts, which
 * keeps every frame.
 */
import { connect, type Socket } from 'node:net';
import { ERROR_CATALOG, type ErrorCode } from '../../../src/errors.ts';
import {
  type ClientFrameHandler,
  encodeHello,
  encodePong,
  encodeSub,
  FrameDecoder,
  type FrameError,
  StartKind,
} from '../../../src/protocol/index.ts';

export type Target = { readonly path: string } | { readonly host: string; readonly port: number };

/** Callbacks for the frames a test cares about; `payload` is only valid during the call. */
export interface WireHandlers {
  onMsg?(sid: number, seq: number, flags: number, deliveryCount: number, payload: Buffer): void;
  onPubAck?(confirmId: number, seq: number): void;
  onErr?(err: ErrInfo): void;
  onSubAck?(sid: number, nextSeq: number): void;
  onLagged?(sid: number, fromSeq: number, count: number): void;
}

/** An ERR frame with its code as a catalog name (or the wire number when unknown). */
export interface ErrInfo {
  readonly code: ErrorCode | number;
  readonly refOp: number;
  readonly ref: number;
  readonly text: string;
}

const BY_WIRE = new Map<number, ErrorCode>(
  (Object.keys(ERROR_CATALOG) as ErrorCode[]).map((c) => [ERROR_CATALOG[c].wire, c]),
);

/** The catalog name of a wire code. */
export function codeName(wire: number): ErrorCode | number {
  return BY_WIRE.get(wire) ?? wire;
}

export interface WireOptions {
  readonly name?: string;
  readonly token?: string | Uint8Array;
  readonly handlers?: WireHandlers;
  /** Answer server PINGs (default true); false makes a client that looks dead to heartbeats. */
  readonly answerPings?: boolean;
}

/** How long connect and handshake may take before failing the test (a hang guard). */
const HANDSHAKE_GUARD_MS = 30_000;

export class WireClient {
  readonly socket: Socket;
  readonly errors: ErrInfo[] = [];
  /** Decoder errors on what the server sent (should stay empty). */
  readonly decodeErrors: FrameError[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  welcomed = false;
  handlers: WireHandlers;
  readonly #decoder: FrameDecoder;
  readonly #queued: Uint8Array[] = [];
  readonly #subAcks = new Map<number, (nextSeq: number) => void>();
  #onWelcome: ((ok: boolean) => void) | undefined;

  private constructor(socket: Socket, options: WireOptions) {
    this.socket = socket;
    this.handlers = options.handlers ?? {};
    const answer = options.answerPings ?? true;
    const self = this;
    const handler: ClientFrameHandler = {
      onWelcome() {
        self.welcomed = true;
        self.#onWelcome?.(true);
      },
      onMsg(sid, seq, flags, dc, buf, start, end) {
        self.handlers.onMsg?.(sid, seq, flags, dc, buf.subarray(start, end));
      },
      onSubAck(sid, nextSeq) {
        self.#subAcks.get(sid)?.(nextSeq);
        self.#subAcks.delete(sid);
        self.handlers.onSubAck?.(sid, nextSeq);
      },
      onUnsubAck() {},
      onPubAck(confirmId, seq) {
        self.handlers.onPubAck?.(confirmId, seq);
      },
      onLagged(sid, fromSeq, count) {
        self.handlers.onLagged?.(sid, fromSeq, count);
      },
      onErr(code, refOp, ref, text) {
        const info = { code: codeName(code), refOp, ref, text };
        self.errors.push(info);
        self.#onWelcome?.(false);
        self.handlers.onErr?.(info);
      },
      onPing() {
        if (answer && !socket.destroyed) socket.write(encodePong());
      },
      onPong() {},
      onError(err) {
        self.decodeErrors.push(err);
      },
    };
    this.#decoder = new FrameDecoder(handler, { side: 'client', maxFrameSize: 0xffff_ffff });
    socket.on('data', (chunk: Buffer) => this.#decoder.push(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.#onWelcome?.(false);
        resolve();
      }),
    );
  }

  /** Opens a socket without a handshake. */
  static open(target: Target, options: WireOptions = {}): Promise<WireClient> {
    const socket =
      'path' in target
        ? connect(target.path)
        : connect({ port: target.port, host: target.host, noDelay: true });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new WireClient(socket, options)));
      socket.once('error', reject);
    });
  }

  /** Opens a socket and completes the handshake (rejects with the server's ERR if refused). */
  static async ready(target: Target, options: WireOptions = {}): Promise<WireClient> {
    const c = await WireClient.open(target, options);
    const ok = await c.hello(options.name ?? 'wire', options.token);
    if (!ok) {
      c.destroy();
      throw new Error(`handshake refused: ${JSON.stringify(c.errors)}`);
    }
    return c;
  }

  /** Sends HELLO; resolves true on WELCOME, false on ERR or close. */
  hello(name: string, token?: string | Uint8Array): Promise<boolean> {
    return guard(
      new Promise<boolean>((resolve) => {
        this.#onWelcome = (ok) => {
          this.#onWelcome = undefined;
          resolve(ok);
        };
        this.send(encodeHello(name, token));
      }),
      HANDSHAKE_GUARD_MS,
      'handshake',
    );
  }

  /** Subscribes `sid` to `topic` (new messages only); resolves with the SUB_ACK's next_seq. */
  subscribe(sid: number, topic: string): Promise<number> {
    return guard(
      new Promise<number>((resolve, reject) => {
        this.#subAcks.set(sid, resolve);
        const before = this.errors.length;
        const onClose = (): void =>
          reject(new Error(`closed before SUB_ACK: ${JSON.stringify(this.errors.slice(before))}`));
        void this.closed.then(onClose);
        this.send(encodeSub(sid, topic, StartKind.New, 0));
      }),
      HANDSHAKE_GUARD_MS,
      `SUB_ACK for ${topic}`,
    );
  }

  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Queues `bytes` to be written with everything else queued in this tick, in one write. */
  queue(bytes: Uint8Array): void {
    this.#queued.push(bytes);
    if (this.#queued.length === 1) setImmediate(() => this.#flushQueued());
  }

  #flushQueued(): void {
    const parts = this.#queued.splice(0);
    if (parts.length > 0) this.send(Buffer.concat(parts));
  }

  /** Stops reading at the socket level: the kernel buffers fill and the server sees a frozen reader. */
  freeze(): void {
    this.socket.pause();
    const handle = (this.socket as unknown as { _handle?: { readStop?: () => number } })._handle;
    handle?.readStop?.();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Rejects with a clear message when `promise` is not settled within `ms` (a hang guard only). */
export function guard<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`safety timeout: ${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves once `check()` is true, polling every `everyMs`; fails with `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 60_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`safety timeout: ${what} (waited ${ms} ms)`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
