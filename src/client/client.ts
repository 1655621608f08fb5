import { EventEmitter } from 'node:events';
import { MyceliumError, type ServerError } from '../errors.ts';
import { MsgFlags, Op } from '../protocol/index.ts';
import { Connection, type ConnectionSink, type ServerInfo } from './connection.ts';
import type { ResolvedOptions } from './options.ts';
import { isPermanent, Retrier } from './retry.ts';
import {
  checkStart,
  type LaggedInfo,
  type SubscribeOptions,
  Subscription,
  type SubscriptionOwner,
} from './subscription.ts';
import type { TransportFactory } from './transport.ts';
import { type Address, formatAddress } from './url.ts';
import { DROPPED, FrameWriter } from './writer.ts';

/** Options of `client.publish()`. */
export interface PublishOptions {
  /** Ask the broker to confirm: the call then returns a promise of the accepted seq. */
  confirm?: boolean;
}

/** A lag notice, as the client re-emits it for all its subscriptions. */
export interface ClientLaggedInfo extends LaggedInfo {
  readonly subscription: Subscription;
}

/**
 * Events of a client. 'error' is only emitted while someone listens, so a server notice never
 * crashes the process.
 */
export interface ClientEvents {
  /** A connection completed its handshake (the first one before `connect()` resolved). */
  connect: [server: ServerInfo];
  /** The connection was lost; reconnecting starts unless it is disabled. */
  disconnect: [error: MyceliumError];
  /** A new connection is up again and every subscription was sent again. */
  reconnect: [server: ServerInfo];
  /**
   * Something failed with nobody to tell: a fire-and-forget publish or an ack refused by the
   * server, publishes dropped while disconnected, a subscription callback that threw.
   */
  error: [error: unknown];
  /** A subscription skipped messages (also emitted on the subscription). */
  lagged: [info: ClientLaggedInfo];
  /** The client is closed for good; `error` says why when it was not `close()`/`drain()`. */
  close: [error: MyceliumError | undefined];
}

/** Counters of things a caller may want to watch. */
export interface ClientStats {
  /** Connections re-established after a loss. */
  reconnects: number;
  /** Fire-and-forget publishes dropped because the reconnect buffer was full. */
  droppedPublishes: number;
}

const noop = (): void => {};
/** How long `close()` waits for the server to close its side before dropping the socket. */
const CLOSE_GRACE_MS = 2000;

/**
 * A connection to a Mycelium server that survives disconnects: publish, subscribe, ack, drain.
 * Get one from `connect()`.
 */
export class Client extends EventEmitter<ClientEvents> implements SubscriptionOwner {
  /** Counters; see {@link ClientStats}. */
  readonly stats: ClientStats = { reconnects: 0, droppedPublishes: 0 };
  readonly #address: Address;
  readonly #options: ResolvedOptions;
  readonly #factory: TransportFactory;
  readonly #writer: FrameWriter;
  readonly #retrier: Retrier;
  readonly #subs = new Map<number, Subscription>();
  readonly #unsubWaiters = new Map<number, () => void>();
  #lastSid = 0;
  #conn: Connection | null = null;
  #generation = 0;
  #server: ServerInfo = { name: '', maxFrameSize: 0, heartbeatIntervalMs: 0 };
  #closing = false;
  #draining = false;
  #closed: Promise<void> | null = null;
  #finish: (error: MyceliumError | undefined) => void = noop;
  #closeReason: MyceliumError | undefined;
  /** Drops while disconnected are reported once per disconnect, not once per publish. */
  #dropReported = false;
  readonly #sink: ConnectionSink;

  /** @internal use `connect()`. */
  constructor(address: Address, options: ResolvedOptions, factory: TransportFactory) {
    super();
    this.#address = address;
    this.#options = options;
    this.#factory = factory;
    this.#writer = new FrameWriter(options.reconnectBufferBytes);
    this.#retrier = new Retrier(options);
    this.#sink = this.#makeSink();
  }

  /** What the server said in its last WELCOME. */
  get server(): ServerInfo {
    return this.#server;
  }

  /** True while a connection is up. */
  get connected(): boolean {
    return this.#conn !== null;
  }

  /** True once `close()`/`drain()` started or reconnecting gave up. */
  get closed(): boolean {
    return this.#closing;
  }

  /** @internal The live connection's number, 0 while disconnected (acks check it). */
  get generation(): number {
    return this.#conn === null ? 0 : this.#generation;
  }

  /** @internal First connection; rejects when it fails (no retry before the first success). */
  async start(): Promise<void> {
    this.#established(await this.#open(), false);
  }

  /**
   * Publishes one message. Without `confirm` it returns nothing: the frame is encoded into the
   * outbound batch, written on the next microtask (or at once at 64 KiB); errors the server
   * reports later go to the 'error' event. With `confirm: true` it returns a promise of the seq
   * the broker gave the message, rejected with a `ServerError` (e.g. TOPIC_NOT_FOUND) or
   * CONNECTION_CLOSED.
   *
   * While disconnected, publishes are held (up to `reconnectBufferBytes` of frames) and sent
   * after the reconnect; past the bound, fire-and-forget ones are dropped and counted in
   * `stats.droppedPublishes` (and reported once as an 'error'), confirmed ones rejected; either
   * way with RECONNECT_BUFFER_FULL.
   * @throws MyceliumError (fire-and-forget only) INVALID_TOPIC, MESSAGE_TOO_LARGE, CONNECTION_CLOSED
   */
  publish(topic: string, data: Uint8Array | string): void;
  publish(topic: string, data: Uint8Array | string, options: { confirm: true }): Promise<number>;
  publish(topic: string, data: Uint8Array | string, options?: PublishOptions): undefined | Promise<number>;
  publish(topic: string, data: Uint8Array | string, options?: PublishOptions): undefined | Promise<number> {
    const confirm = options?.confirm === true;
    try {
      if (this.#closing) throw new MyceliumError('CONNECTION_CLOSED', 'the client is closed');
      const result = this.#writer.publish(topic, data, confirm, this.#conn === null);
      if (result === DROPPED) return this.#dropped(confirm);
      return result;
    } catch (err) {
      if (confirm) return Promise.reject(err);
      throw err;
    }
  }

  /**
   * Subscribes to a topic. Iterate the result (`for await (const msg of sub)`) or pass
   * `callback`. `sub.ready` settles with the server's answer. Subscriptions survive reconnects.
   * @throws MyceliumError INVALID_TOPIC, INVALID_ARGUMENT (bad start), CONNECTION_CLOSED
   */
  subscribe(topic: string, options: SubscribeOptions = {}): Subscription {
    if (this.#closing || this.#draining) {
      throw new MyceliumError('CONNECTION_CLOSED', 'the client is closing; no new subscriptions');
    }
    this.#writer.topics.get(topic);
    checkStart(options.start);
    do this.#lastSid = this.#lastSid >= 0xffff_ffff ? 1 : this.#lastSid + 1;
    while (this.#subs.has(this.#lastSid));
    const sub = new Subscription(this, this.#lastSid, topic, options);
    sub.on('lagged', (info) => this.emit('lagged', { subscription: sub, ...info }));
    this.#subs.set(sub.sid, sub);
    if (this.#conn !== null) this.#writer.outbox.append(this.#writer.subFrame(sub));
    return sub;
  }

  /** Resolves once everything published so far has been written to the socket. */
  flush(): Promise<void> {
    if (this.#closing) return Promise.reject(new MyceliumError('CONNECTION_CLOSED', 'the client is closed'));
    return this.#writer.outbox.flush();
  }

  /**
   * Ends gracefully: unsubscribes everything (messages the server sent before confirming are
   * still delivered), waits for every confirm in flight and for the outbound batch to be written,
   * then closes.
   */
  async drain(): Promise<void> {
    if (this.#closing) return this.#closed ?? undefined;
    this.#draining = true;
    await Promise.allSettled([...this.#subs.values()].map((sub) => sub.unsubscribe()));
    await this.#writer.confirms.idle();
    if (this.#conn !== null) await this.#writer.outbox.flush().catch(noop);
    await this.close();
  }

  /**
   * Closes now: what is already batched is still written, confirms not yet answered are rejected
   * with CONNECTION_CLOSED, subscriptions end (their iterators finish).
   */
  close(): Promise<void> {
    return this.#shutdown(undefined);
  }

  // SubscriptionOwner: called by subscriptions and messages.

  /** @internal */
  sendAck(sid: number, seq: number): void {
    this.#writer.ack(sid, seq);
  }

  /** @internal */
  sendUnsubscribe(sub: Subscription): Promise<void> {
    if (this.#conn === null) {
      this.#subs.delete(sub.sid);
      return Promise.resolve();
    }
    this.#writer.unsubscribe(sub.sid);
    return new Promise((resolve) => {
      this.#unsubWaiters.set(sub.sid, () => {
        this.#subs.delete(sub.sid);
        resolve();
      });
    });
  }

  /** @internal */
  callbackFailed(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else
      queueMicrotask(() => {
        throw error;
      });
  }

  #dropped(confirm: boolean): Promise<number> | undefined {
    const error = new MyceliumError(
      'RECONNECT_BUFFER_FULL',
      `not connected and the reconnect buffer (${this.#options.reconnectBufferBytes} bytes) is full; publish dropped`,
    );
    if (confirm) return Promise.reject(error);
    this.stats.droppedPublishes++;
    if (!this.#dropReported && this.listenerCount('error') > 0) {
      this.#dropReported = true;
      this.emit('error', error);
    }
    return undefined;
  }

  #open(): Promise<Connection> {
    return Connection.open(this.#address, this.#options, this.#sink, this.#factory);
  }

  #established(conn: Connection, reconnect: boolean): void {
    const writer = this.#writer;
    this.#conn = conn;
    this.#generation++;
    this.#server = conn.info;
    writer.maxFrameSize = conn.info.maxFrameSize;
    this.#dropReported = false;
    // Subscriptions go out first, straight on the transport, ahead of publishes held meanwhile.
    const frames: Buffer[] = [];
    for (const sub of this.#subs.values()) frames.push(writer.subFrame(sub));
    if (frames.length > 0) conn.transport.write(frames);
    writer.confirms.unpark();
    writer.outbox.attach(conn.transport);
    this.emit('connect', conn.info);
    if (reconnect) {
      this.stats.reconnects++;
      this.emit('reconnect', conn.info);
    }
  }

  #lost(conn: Connection, error: MyceliumError): void {
    if (conn !== this.#conn) return;
    this.#conn = null;
    const cause = { cause: error };
    this.#writer.outbox.reset(new MyceliumError('CONNECTION_CLOSED', 'the connection was lost', cause));
    // Only a PUBACK means accepted (§6.1): a publish sent on a lost connection has no known outcome.
    const unknown =
      'the connection was lost before the broker answered; the message may or may not have been accepted';
    this.#writer.confirms.connectionLost(new MyceliumError('CONNECTION_CLOSED', unknown, cause));
    // The server forgets a connection's subscriptions with it (§6.7): pending UNSUBs are done.
    for (const done of [...this.#unsubWaiters.values()]) done();
    this.#unsubWaiters.clear();
    if (this.#closing) {
      this.#finish(this.#closeReason);
      return;
    }
    this.emit('disconnect', error);
    if (!this.#options.reconnect || isPermanent(error)) void this.#shutdown(error);
    else void this.#reconnect(error);
  }

  async #reconnect(cause: MyceliumError): Promise<void> {
    const outcome = await this.#retrier.run(() => this.#open(), cause);
    if (outcome.kind === 'cancelled') return;
    if (outcome.kind === 'failed') {
      const why = `gave up reconnecting to ${formatAddress(this.#address)}: ${outcome.error.message}`;
      void this.#shutdown(new MyceliumError('CONNECTION_CLOSED', why, { cause: outcome.error }));
    } else if (this.#closing) outcome.value.end();
    else this.#established(outcome.value, true);
  }

  #shutdown(error: MyceliumError | undefined): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#closing = true;
    this.#closeReason = error;
    this.#retrier.cancel();
    this.#closed = new Promise<void>((resolve) => {
      let grace: NodeJS.Timeout | undefined;
      this.#finish = (reason) => {
        this.#finish = noop;
        clearTimeout(grace);
        const closedError = reason ?? new MyceliumError('CONNECTION_CLOSED', 'the client was closed');
        this.#writer.confirms.rejectAll(closedError);
        this.#writer.outbox.reset(closedError);
        for (const sub of this.#subs.values()) sub.end(reason);
        this.#subs.clear();
        this.emit('close', reason);
        resolve();
      };
      const conn = this.#conn;
      if (conn === null) {
        this.#finish(error);
        return;
      }
      // What is already batched still goes out before the FIN.
      this.#writer.outbox.flushNow();
      conn.end();
      const closed = new MyceliumError('CONNECTION_CLOSED', 'the server did not close its side in time');
      grace = setTimeout(() => conn.destroy(closed), CLOSE_GRACE_MS);
      grace.unref();
    });
    return this.#closed;
  }

  #makeSink(): ConnectionSink {
    const subs = this.#subs;
    const confirms = this.#writer.confirms;
    return {
      onMsg: (sid, seq, flags, deliveryCount, buf, payloadStart, payloadEnd) => {
        const sub = subs.get(sid);
        if (sub === undefined) return;
        const redelivered = (flags & MsgFlags.Redelivered) !== 0;
        sub.deliver(seq, buf.subarray(payloadStart, payloadEnd), redelivered, deliveryCount);
      },
      onSubAck: (sid, nextSeq) => subs.get(sid)?.subscribed(nextSeq),
      onUnsubAck: (sid) => this.#unsubscribed(sid),
      onPubAck: (confirmId, seq) => {
        confirms.accept(confirmId, seq);
      },
      onLagged: (sid, fromSeq, count) => subs.get(sid)?.lagged(fromSeq, count),
      onErr: (error, refOp, ref) => this.#serverError(error, refOp, ref),
      onDrain: () => this.#writer.outbox.drained(),
      onLost: (conn, error) => this.#lost(conn, error),
    };
  }

  #unsubscribed(sid: number): void {
    const done = this.#unsubWaiters.get(sid);
    if (done === undefined) return;
    this.#unsubWaiters.delete(sid);
    done();
  }

  /** Routes an ERR to what it answers (docs/protocol.md §3.13: ref is a confirm id or a sid). */
  #serverError(error: ServerError, refOp: number, ref: number): void {
    if (refOp === Op.PUB && ref !== 0 && this.#writer.confirms.refuse(ref, error)) return;
    const sub = refOp === Op.SUB ? this.#subs.get(ref) : undefined;
    if (sub !== undefined) {
      if (error.code === 'INVALID_ARGUMENT' && sub.cannotResume()) {
        this.#writer.outbox.append(this.#writer.subFrame(sub));
        return;
      }
      this.#subs.delete(ref);
      sub.end(error);
      return;
    }
    if (refOp === Op.UNSUB && this.#unsubWaiters.has(ref)) {
      this.#unsubscribed(ref);
      return;
    }
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
