/**
 * One client connection: a FrameDecoder in, an OutboundWriter out, and the broker's Subscriber in
 * between. The decoder calls the `on*` methods once per frame, synchronously inside `push`; each
 * hands the frame to its handler in ./handlers/ once the handshake gate lets it through (the
 * decoder itself refuses everything but HELLO before the handshake, RELIABILITY.md A2).
 * Deadlines (handshake, heartbeat, write; ./deadlines.ts) are checked by the server-wide sweep, not
 * by timers of our own. Deliveries are written by ./delivery.ts, pausing and resuming reads (a
 * held PUB, a publisher stall) by ./read-flow.ts and the socket's last moments by ./socket-close.ts.
 */
import type { Socket } from 'node:net';
import type { EvictReason, Subscriber, Subscription } from '../broker/index.ts';
import { ERROR_CATALOG, type ErrorCode } from '../errors.ts';
import {
  encodeErr,
  encodeWelcome,
  FrameDecoder,
  type FrameError,
  type ServerFrameHandler,
  type StartKind,
} from '../protocol/index.ts';
import { type CloseReason, LocalCloseReason, SlowConsumerDetail } from './close-reason.ts';
import type { TokenCheck } from './auth.ts';
import {
  type ClosedConnectionInfo,
  type ConnectionInfo,
  remoteOf,
  type Transport,
} from './connection-info.ts';
import type { ServerContext } from './context.ts';
import { checkHandshakeDeadline, checkOpenDeadlines } from './deadlines.ts';
import { subscriptionEvicted, writeDelivery, writeDeliveryRange, writeLaggedNotice } from './delivery.ts';
import { handleAck } from './handlers/ack.ts';
import { handleHello } from './handlers/hello.ts';
import { handlePing } from './handlers/ping.ts';
import { handlePong } from './handlers/pong.ts';
import { handlePub } from './handlers/pub.ts';
import { handleReload } from './handlers/reload.ts';
import { handleSub } from './handlers/sub.ts';
import { handleUnsub } from './handlers/unsub.ts';
import { Heartbeat } from './heartbeat.ts';
import { OutboundWriter, type WriterOwner } from './outbound-writer.ts';
import { ReadFlow } from './read-flow.ts';
import { onReads } from './shared-reads.ts';
import { endSocket } from './socket-close.ts';
import type { Sweepable } from './sweeper.ts';
import { TopicCache } from './topic-cache.ts';

const State = { Handshake: 0, Open: 1, Closing: 2, Closed: 3 } as const;
type State = (typeof State)[keyof typeof State];

export class Connection implements ServerFrameHandler, Subscriber, WriterOwner, Sweepable {
  readonly id: number;
  readonly transport: Transport;
  readonly remote: string;
  clientName = '';
  /** The token check this connection's HELLO passed on TCP (admin rights, docs/protocol.md §6.8). */
  authenticatedBy: TokenCheck | undefined;
  /** Live subscriptions by sid. */
  readonly subs = new Map<number, Subscription>();
  readonly topics: TopicCache;
  readonly writer: OutboundWriter;
  readonly ctx: ServerContext;
  /** Pauses and resumes reading: a PUB held for room, a publisher stall. */
  readonly reads: ReadFlow;
  #state: State = State.Handshake;
  #established = false;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #openedAt = performance.now();
  readonly #heartbeat = new Heartbeat(this.#openedAt);
  #reason: CloseReason | undefined;
  #detail: string | undefined;
  #linger: NodeJS.Timeout | undefined;

  constructor(id: number, socket: Socket, transport: Transport, ctx: ServerContext) {
    this.id = id;
    this.#socket = socket;
    this.transport = transport;
    this.remote = remoteOf(socket, transport);
    this.ctx = ctx;
    this.topics = new TopicCache(ctx.broker);
    this.writer = new OutboundWriter(socket, ctx.pool, ctx.scheduler, ctx.limits.writer, this);
    // PUB topic bytes are checked by handlePub, only for topics new to this connection.
    this.#decoder = new FrameDecoder(this, {
      side: 'server',
      maxFrameSize: ctx.limits.maxFrameSize,
      checkPubTopicBytes: false,
    });
    this.reads = new ReadFlow(this, socket, this.#decoder);
    // We batch writes ourselves: Nagle would only add latency.
    if (transport === 'tcp') socket.setNoDelay(true);
    onReads(socket, this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** True once the handshake completed (and still after the connection closed). */
  get established(): boolean {
    return this.#established;
  }

  /** Why the connection closed (undefined while open). */
  get closeReason(): CloseReason | undefined {
    return this.#reason;
  }

  /** True between the handshake and the start of the close. */
  get open(): boolean {
    return this.#state === State.Open;
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      transport: this.transport,
      remote: this.remote,
      clientName: this.clientName,
      established: this.#established,
      subscriptions: this.subs.size,
      pendingBytes: this.writer.pendingBytes,
      publisherPauses: this.reads.stall.pauses,
    };
  }

  closedInfo(): ClosedConnectionInfo {
    return { ...this.info(), reason: this.#reason ?? LocalCloseReason.ClientClosed, detail: this.#detail };
  }

  // --- frames from the decoder (docs/protocol.md §3) ---

  onHello(version: number, name: string, token: Buffer): void {
    if (this.#state === State.Handshake) handleHello(this, version, name, token);
  }

  onPub(
    confirmId: number,
    buf: Buffer,
    topicStart: number,
    topicLen: number,
    payloadStart: number,
    payloadEnd: number,
  ): void {
    if (this.#state === State.Open)
      handlePub(this, confirmId, buf, topicStart, topicLen, payloadStart, payloadEnd);
  }

  onSub(
    sid: number,
    startKind: StartKind,
    startValue: number,
    buf: Buffer,
    topicStart: number,
    topicLen: number,
  ): void {
    if (this.#state === State.Open) handleSub(this, sid, startKind, startValue, buf, topicStart, topicLen);
  }

  onUnsub(sid: number): void {
    if (this.#state === State.Open) handleUnsub(this, sid);
  }

  onAck(sid: number, seq: number): void {
    if (this.#state === State.Open) handleAck(this, sid, seq);
  }

  onPing(): void {
    if (this.#state === State.Open) handlePing(this);
  }

  onPong(): void {
    if (this.#state === State.Open) handlePong(this);
  }

  onReload(requestId: number): void {
    if (this.#state === State.Open) handleReload(this, requestId);
  }

  onError(err: FrameError): void {
    if (this.#state < State.Closing) this.reply(err.code, err.refOp, err.ref, err.message);
  }

  // --- what handlers use ---

  /** Completes the handshake: WELCOME goes out and other ops are accepted from now on. */
  establish(clientName: string): void {
    this.clientName = clientName;
    this.#state = State.Open;
    this.#established = true;
    const l = this.ctx.limits;
    this.writer.writeFrame(encodeWelcome(l.maxFrameSize, l.heartbeatIntervalMs, this.ctx.serverName));
    this.ctx.connectionEstablished(this);
  }

  /** Sends ERR `code` answering frame `refOp`/`ref`; closes the connection when the code is fatal. */
  reply(code: ErrorCode, refOp: number, ref: number, text: string): void {
    const frame = encodeErr(code, refOp, ref, text);
    this.ctx.errorSent(code);
    if (ERROR_CATALOG[code].fatal) this.close(code, frame);
    else this.writer.writeFrame(frame);
  }

  /** Sends ERR `code` and closes, whatever the catalog says (e.g. SHUTTING_DOWN at the end of a drain). */
  fail(code: ErrorCode, text: string, detail?: string): void {
    this.ctx.errorSent(code);
    this.close(code, encodeErr(code, 0, 0, text), detail);
  }

  /** The peer answered a PING. */
  pongReceived(): void {
    this.#heartbeat.pong();
  }

  /**
   * A publish of ours found `subscriber` unable to keep up (TopicHandle.behind): stop reading
   * until it drains, for at most publisher_stall_ms (see PublisherStall).
   */
  stallFor(subscriber: Subscriber): void {
    if (subscriber !== this && subscriber instanceof Connection && subscriber.#state === State.Open) {
      this.reads.stall.pauseFor(subscriber.reads.stall, this.ctx.limits.publisherStallMs);
    }
  }

  // --- Subscriber (the broker calls these synchronously) ---

  get writable(): boolean {
    return this.writer.writable;
  }

  deliver(sub: Subscription, seq: number, payload: Uint8Array, flags: number, deliveryCount: number): void {
    writeDelivery(this.writer, sub.sid, seq, payload, flags, deliveryCount);
  }

  deliverRange(
    sub: Subscription,
    seq: number,
    buf: Uint8Array,
    start: number,
    end: number,
    flags: number,
    deliveryCount: number,
  ): void {
    writeDeliveryRange(this.writer, sub.sid, seq, buf, start, end, flags, deliveryCount);
  }

  lagged(sub: Subscription, fromSeq: number, count: number): void {
    writeLaggedNotice(this.writer, sub.sid, fromSeq, count);
  }

  evicted(sub: Subscription, reason: EvictReason): void {
    subscriptionEvicted(this, sub, reason);
  }

  // --- WriterOwner ---

  writerOverflow(pendingBytes: number): void {
    const max = this.ctx.limits.writer.maxPendingBytes;
    const text = `${pendingBytes} bytes of output pending, over max_pending_bytes (${max})`;
    this.fail('SLOW_CONSUMER', text, SlowConsumerDetail.PendingBytes);
  }

  writerWritable(): void {
    if (this.#state === State.Open) this.ctx.broker.resumeSubscriber(this);
    this.reads.stall.drained();
  }

  /** Checks the deadlines due at `now` (called by the server's sweep). */
  sweep(now: number): void {
    if (this.#state === State.Handshake) {
      checkHandshakeDeadline(this, this.#openedAt, now);
    } else if (this.#state === State.Open) {
      checkOpenDeadlines(this, this.#heartbeat, this.reads.blocked, now);
    }
  }

  // --- closing ---

  /**
   * Closes with `reason`. `errFrame` (an encoded ERR) is sent first when given; the socket is then
   * ended, and destroyed after CLOSE_LINGER_MS if the peer does not close its side (see endSocket).
   * The subscriber's queue deliveries go back to the broker after the current broker call.
   */
  close(reason: CloseReason, errFrame?: Buffer, detail?: string): void {
    if (this.#state >= State.Closing) return;
    this.#state = State.Closing;
    this.#reason = reason;
    this.#detail = detail;
    this.reads.close();
    this.#decoder.stop();
    this.ctx.connectionClosing(this);
    // Never re-enter the broker from inside one of its calls (the Subscriber contract).
    queueMicrotask(this.#teardown);
    this.#linger = endSocket(this.#socket, this.writer, errFrame, reason === 'SLOW_CONSUMER');
  }

  readonly #teardown = (): void => {
    this.ctx.broker.removeSubscriber(this);
    this.subs.clear();
    this.reads.stall.releaseWaiters();
  };

  readonly #onData = (chunk: Buffer): void => {
    if (this.#state >= State.Closing) return;
    this.#heartbeat.heard();
    try {
      this.#decoder.push(chunk);
    } catch (err) {
      this.ctx.logger.error({ err, conn: this.id }, 'connection handler failed; closing the connection');
      this.close(LocalCloseReason.InternalError, undefined, (err as Error).message);
    }
    this.ctx.scheduler.afterRead();
  };

  readonly #onEnd = (): void => {
    // Frames read before the FIN are handled first, even those a publisher stall held back (§6.7.2).
    if (this.#state === State.Open) this.reads.peerEnded();
    this.close(LocalCloseReason.ClientClosed);
  };

  readonly #onError = (err: NodeJS.ErrnoException): void => {
    const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
    this.close(reset ? LocalCloseReason.ClientClosed : LocalCloseReason.SocketError, undefined, err.code);
  };

  readonly #onClose = (): void => {
    if (this.#state === State.Closed) return;
    this.close(LocalCloseReason.ClientClosed);
    this.#state = State.Closed;
    if (this.#linger !== undefined) clearTimeout(this.#linger);
    this.reads.stall.stopTimer();
    this.writer.close();
    this.ctx.connectionClosed(this);
  };
}
