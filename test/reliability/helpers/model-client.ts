/**
 * The raw-protocol client the D4 model drives: every server frame is passed to a listener (the
 * model), including UNSUB_ACK and RELOAD_RESULT, which the lean WireClient does not surface. It can
 * stop reading (a slow subscriber), resume, close gracefully (FIN) or be killed (RST on TCP).
 */
import { connect, type Socket } from 'node:net';
import type { ErrorCode } from '../../../src/errors.ts';
import {
  type ClientFrameHandler,
  encodeHello,
  encodePing,
  encodePong,
  encodeReload,
  FrameDecoder,
  type FrameError,
  Op,
  type ReloadStatus,
} from '../../../src/protocol/index.ts';
import { codeName, guard, type Target } from './wire-client.ts';

/** What the model hears from one client; `payload` is only valid during the call. */
export interface ModelListener {
  msg(c: ModelClient, sid: number, seq: number, flags: number, dc: number, payload: Buffer): void;
  subAck(c: ModelClient, sid: number, nextSeq: number): void;
  unsubAck(c: ModelClient, sid: number): void;
  pubAck(c: ModelClient, confirmId: number, seq: number): void;
  lagged(c: ModelClient, sid: number, fromSeq: number, count: number): void;
  err(c: ModelClient, code: ErrorCode | number, refOp: number, ref: number, text: string): void;
  /** A frame from the server that does not decode: always a broker bug. */
  decodeError(c: ModelClient, err: FrameError): void;
  /** The socket closed, for whatever reason. */
  closed(c: ModelClient): void;
}

/** Connect and handshake guard: a hang fails the sequence instead of the whole run. */
const CONNECT_GUARD_MS = 10_000;

type RawHandle = { readStart?: () => number; readStop?: () => number; reading?: boolean };

export class ModelClient {
  readonly name: string;
  readonly transport: 'unix' | 'tcp';
  readonly socket: Socket;
  readonly closed: Promise<void>;
  isClosed = false;
  frozen = false;
  readonly #decoder: FrameDecoder;
  /** Resolvers of our PINGs, oldest first: a PONG answers the oldest unanswered one (§6.5). */
  readonly #pongs: (() => void)[] = [];
  readonly #reloads = new Map<number, (status: ReloadStatus | undefined, text: string) => void>();
  #welcome: ((ok: boolean) => void) | undefined;

  private constructor(socket: Socket, name: string, transport: 'unix' | 'tcp', listener: ModelListener) {
    this.socket = socket;
    this.name = name;
    this.transport = transport;
    const self = this;
    const handler: ClientFrameHandler = {
      onWelcome() {
        self.#welcome?.(true);
      },
      onMsg(sid, seq, flags, dc, buf, start, end) {
        listener.msg(self, sid, seq, flags, dc, buf.subarray(start, end));
      },
      onSubAck: (sid, nextSeq) => listener.subAck(self, sid, nextSeq),
      onUnsubAck: (sid) => listener.unsubAck(self, sid),
      onPubAck: (confirmId, seq) => listener.pubAck(self, confirmId, seq),
      onLagged: (sid, fromSeq, count) => listener.lagged(self, sid, fromSeq, count),
      onErr(code, refOp, ref, text) {
        self.#welcome?.(false);
        // A refused RELOAD answers with ERR instead of RELOAD_RESULT: end the wait with it.
        if (refOp === Op.RELOAD) self.#reloads.get(ref)?.(undefined, `ERR ${codeName(code)}: ${text}`);
        listener.err(self, codeName(code), refOp, ref, text);
      },
      onPing() {
        self.send(encodePong());
      },
      onPong() {
        self.#pongs.shift()?.();
      },
      onReloadResult(requestId, status, _code, text) {
        self.#reloads.get(requestId)?.(status, text);
      },
      onError: (err) => listener.decodeError(self, err),
    };
    this.#decoder = new FrameDecoder(handler, { side: 'client', maxFrameSize: 0xffff_ffff });
    socket.on('data', (chunk: Buffer) => this.#decoder.push(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.#welcome?.(false);
        listener.closed(this);
        resolve();
      }),
    );
  }

  /** Connects and completes the handshake; rejects if the server refuses or the guard expires. */
  static async open(target: Target, name: string, listener: ModelListener): Promise<ModelClient> {
    const unix = 'path' in target;
    const socket = unix
      ? connect(target.path)
      : connect({ port: target.port, host: target.host, noDelay: true });
    await guard(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      }),
      CONNECT_GUARD_MS,
      `connect ${name}`,
    );
    const c = new ModelClient(socket, name, unix ? 'unix' : 'tcp', listener);
    const ok = await guard(
      new Promise<boolean>((resolve) => {
        c.#welcome = resolve;
        c.send(encodeHello(name));
      }),
      CONNECT_GUARD_MS,
      `WELCOME for ${name}`,
    );
    c.#welcome = undefined;
    if (!ok) {
      socket.destroy();
      throw new Error(`handshake of ${name} refused`);
    }
    return c;
  }

  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(bytes);
  }

  /**
   * Resolves once the server answered a PING sent now: every frame it queued for us before that
   * has then been read (PONG goes after them, §6.5), and every frame we sent before was handled.
   */
  ping(): Promise<void> {
    const answered = new Promise<void>((resolve) => this.#pongs.push(resolve));
    this.send(encodePing());
    return guard(answered, CONNECT_GUARD_MS, `PONG for ${this.name}`);
  }

  /** Sends RELOAD and resolves with the RELOAD_RESULT's status and report (no status: refused by ERR). */
  reload(requestId: number): Promise<{ status: ReloadStatus | undefined; text: string }> {
    const answered = new Promise<{ status: ReloadStatus | undefined; text: string }>((resolve) =>
      this.#reloads.set(requestId, (status, text) => {
        this.#reloads.delete(requestId);
        resolve({ status, text });
      }),
    );
    this.send(encodeReload(requestId));
    return guard(answered, CONNECT_GUARD_MS, `RELOAD_RESULT for ${this.name}`);
  }

  /** Stops reading at the socket: the kernel buffers fill and the server sees a frozen reader. */
  freeze(): void {
    if (this.frozen || this.socket.destroyed) return;
    this.frozen = true;
    this.socket.pause();
    const handle = (this.socket as unknown as { _handle?: RawHandle })._handle;
    handle?.readStop?.();
  }

  /** Reads again after `freeze`. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    const handle = (this.socket as unknown as { _handle?: RawHandle })._handle;
    handle?.readStart?.();
    this.socket.resume();
  }

  /** Graceful close: FIN after everything written; we keep reading until the server closes. */
  close(): void {
    this.thaw();
    this.socket.end();
  }

  /** Abrupt close: RST on TCP; on the Unix socket, a close with unread data, which the peer sees as a reset. */
  kill(): void {
    if (this.socket.destroyed) return;
    if (this.transport === 'tcp') this.socket.resetAndDestroy();
    else this.socket.destroy();
  }
}
