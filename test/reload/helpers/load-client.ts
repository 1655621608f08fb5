/**
 * Raw-protocol load clients for the reload-under-load test: a publisher that keeps a window of
 * confirmed publishes in flight and records every seq the broker accepted, and a subscriber that
 * records every delivery (and acks it, on a manual-ack queue). Both answer PINGs and record any
 * ERR or LAGGED, so the test can assert there were none. Frames are counted, not kept whole.
 */
import { connect, type Socket } from 'node:net';
import {
  type ClientFrameHandler,
  encodeAck,
  encodeHello,
  encodePong,
  encodePub,
  encodeSub,
  FrameDecoder,
  type FrameError,
} from '../../../src/protocol/index.ts';
import type { Target } from '../../server/helpers/raw-client.ts';

/** How long a wait for the load to settle may take before the test fails (a hang guard). */
const SETTLE_TIMEOUT_MS = 30_000;

/** Something that went wrong on a load connection, as text for an assertion message. */
export type Trouble = string;

abstract class LoadClient implements ClientFrameHandler {
  readonly name: string;
  readonly troubles: Trouble[] = [];
  closed = false;
  protected readonly socket: Socket;
  readonly #decoder: FrameDecoder;
  #welcomed: () => void = () => {};
  readonly welcome: Promise<void>;

  protected constructor(name: string, target: Target) {
    this.name = name;
    this.socket = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    this.#decoder = new FrameDecoder(this, { side: 'client', maxFrameSize: 0xffff_ffff });
    this.welcome = new Promise((resolve) => {
      this.#welcomed = resolve;
    });
    this.socket.on('data', (chunk: Buffer) => this.#decoder.push(chunk));
    this.socket.on('error', (err) => this.troubles.push(`${name}: socket error ${err.message}`));
    this.socket.on('close', () => {
      this.closed = true;
    });
    this.socket.write(encodeHello(name));
  }

  onWelcome(): void {
    this.#welcomed();
  }
  onPing(): void {
    this.socket.write(encodePong());
  }
  onPong(): void {}
  onMsg(
    _sid: number,
    _seq: number,
    _flags: number,
    _count: number,
    _buf: Buffer,
    _s: number,
    _e: number,
  ): void {}
  onSubAck(): void {}
  onUnsubAck(): void {}
  onPubAck(_confirmId: number, _seq: number): void {}
  onLagged(sid: number, fromSeq: number, count: number): void {
    this.troubles.push(`${this.name}: LAGGED sid ${sid} from ${fromSeq} count ${count}`);
  }
  onErr(code: number, refOp: number, ref: number, text: string): void {
    this.troubles.push(`${this.name}: ERR ${code} ref_op ${refOp} ref ${ref}: ${text}`);
  }
  onError(err: FrameError): void {
    this.troubles.push(`${this.name}: undecodable frame ${err.code}`);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Publishes to one topic with confirms, keeping at most `window` unconfirmed, until stopped. */
export class LoadPublisher extends LoadClient {
  readonly topic: string;
  /** Seqs the broker accepted (from PUBACK). */
  readonly accepted: number[] = [];
  #nextId = 1;
  #outstanding = 0;
  #running = false;
  #stopped: () => void = () => {};
  #done: Promise<void> = Promise.resolve();
  readonly #window: number;

  static async open(name: string, target: Target, topic: string, window = 64): Promise<LoadPublisher> {
    const p = new LoadPublisher(name, target, topic, window);
    await p.welcome;
    return p;
  }

  private constructor(name: string, target: Target, topic: string, window: number) {
    super(name, target);
    this.topic = topic;
    this.#window = window;
  }

  /** Starts publishing; each round fills the window, then yields to the event loop. */
  start(): void {
    this.#running = true;
    this.#done = new Promise((resolve) => {
      this.#stopped = resolve;
    });
    const round = (): void => {
      if (!this.#running || this.closed) {
        this.#settleWhenConfirmed();
        return;
      }
      while (this.#outstanding < this.#window) {
        const id = this.#nextId++;
        this.#outstanding++;
        this.socket.write(encodePub(this.topic, Buffer.from(`${this.name}:${id}`), id));
      }
      setImmediate(round);
    };
    round();
  }

  /** Stops publishing; resolves once every publish sent has been answered. */
  stop(): Promise<void> {
    this.#running = false;
    return withTimeout(this.#done, `${this.name}: publishes left unconfirmed`);
  }

  override onPubAck(_confirmId: number, seq: number): void {
    this.accepted.push(seq);
    this.#outstanding--;
    this.#settleWhenConfirmed();
  }

  override onErr(code: number, refOp: number, ref: number, text: string): void {
    super.onErr(code, refOp, ref, text);
    this.#outstanding--;
    this.#settleWhenConfirmed();
  }

  #settleWhenConfirmed(): void {
    if (!this.#running && this.#outstanding === 0) this.#stopped();
  }
}

/** One subscription; records every delivery's seq, and acks each one when `ack` is set. */
export class LoadSubscriber extends LoadClient {
  readonly topic: string;
  readonly seqs: number[] = [];
  redelivered = 0;
  readonly #ack: boolean;
  #subscribed: () => void = () => {};
  #waiter: (() => void) | undefined;

  static async open(name: string, target: Target, topic: string, ack: boolean): Promise<LoadSubscriber> {
    const s = new LoadSubscriber(name, target, topic, ack);
    await s.welcome;
    const acked = new Promise<void>((resolve) => {
      s.#subscribed = resolve;
    });
    s.socket.write(encodeSub(1, topic));
    await acked;
    return s;
  }

  private constructor(name: string, target: Target, topic: string, ack: boolean) {
    super(name, target);
    this.topic = topic;
    this.#ack = ack;
  }

  override onSubAck(): void {
    this.#subscribed();
  }

  override onMsg(sid: number, seq: number, flags: number): void {
    this.seqs.push(seq);
    if ((flags & 1) !== 0) this.redelivered++;
    if (this.#ack) this.socket.write(encodeAck(sid, seq));
    this.#wake();
  }

  override onErr(code: number, refOp: number, ref: number, text: string): void {
    super.onErr(code, refOp, ref, text);
    this.#wake();
  }

  /** Resolves once `done()` holds, checked after each delivery. */
  async until(done: () => boolean, what: string): Promise<void> {
    const wait = (async () => {
      while (!done()) {
        await new Promise<void>((resolve) => {
          this.#waiter = resolve;
        });
      }
    })();
    this.#wake();
    await withTimeout(wait, `${this.name}: ${what}`);
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}

/** Resolves once `done()` holds, checked every few ms (a hang guard fails the test after a while). */
export function waitFor(done: () => boolean, what: string): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      const poll = (): void => {
        if (done()) resolve();
        else setTimeout(poll, 5);
      };
      poll();
    }),
    what,
  );
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hang guard: ${what} after ${SETTLE_TIMEOUT_MS} ms`)),
      SETTLE_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}
