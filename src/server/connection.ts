/**
 * One client connection: a FrameDecoder in, an OutboundWriter out, and the broker's Subscriber in
 * between. The decoder calls the `on*` methods once per frame, synchronously inside `push`; each
 * hands the frame to its handler in ./handlers/ once the handshake gate lets it through (the
 * decoder itself refuses everything but HELLO before the handshake, RELIABILITY.md A2).
 * Deadlines (handshake, heartbeat, write) are checked by the server-wide sweep, not by timers of
 * our own.
 */
import type { Socket } from 'node:net';
import { EvictReason, type Subscriber, type Subscription, type TopicHandle } from '../broker/index.ts';
import { ERROR_CATALOG, type ErrorCode } from '../errors.ts';
import {
  encodeErr,
  encodeWelcome,
  FrameDecoder,
  type FrameError,
  LAGGED_FRAME_SIZE,
  MSG_HEADER_SIZE,
  Op,
  PING_FRAME_SIZE,
  type ServerFrameHandler,
  type StartKind,
  writeLagged,
  writeMsgHeader,
  writePing,
} from '../protocol/index.ts';
import { type CloseReason, LocalCloseReason, SlowConsumerDetail } from './close-reason.ts';
import type { TokenCheck } from './auth.ts';
import type { ClosedConnectionInfo, ConnectionInfo, Transport } from './connection-info.ts';
import type { ServerContext } from './context.ts';
import { handleAck } from './handlers/ack.ts';
import { handleHello } from './handlers/hello.ts';
import { handlePing } from './handlers/ping.ts';
import { handlePong } from './handlers/pong.ts';
import { handlePub } from './handlers/pub.ts';
import { handleReload } from './handlers/reload.ts';
import { handleSub } from './handlers/sub.ts';
import { handleUnsub } from './handlers/unsub.ts';
import { Heartbeat, HeartbeatAction } from './heartbeat.ts';
import { HeldPub } from './held-pub.ts';
import { OutboundWriter, type WriterOwner } from './outbound-writer.ts';
import type { Sweepable } from './sweeper.ts';
import { TopicCache } from './topic-cache.ts';

const State = { Handshake: 0, Open: 1, Closing: 2, Closed: 3 } as const;
type State = (typeof State)[keyof typeof State];

/** How long a closing connection may take to deliver its last frames before it is destroyed. */
export const CLOSE_LINGER_MS = 1000;

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
  #state: State = State.Handshake;
  #established = false;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #openedAt = performance.now();
  readonly #heartbeat = new Heartbeat(this.#openedAt);
  readonly #held = new HeldPub();
  #reason: CloseReason | undefined;
  #detail: string | undefined;
  #linger: NodeJS.Timeout | undefined;
  /** The subscriber connection this publisher is paused for (publisher_stall_ms), or null. */
  #stalledOn: Connection | null = null;
  /** Publishers paused until this connection drains (made on first use: most never have any). */
  #stalled: Connection[] | null = null;
  /** A publisher waited the whole publisher_stall_ms for this connection: none waits again until it drains. */
  #stallExpired = false;
  /** One timer per publisher, re-armed for each pause; a firing after the pause ended does nothing. */
  #stallTimer: NodeJS.Timeout | undefined;
  #stallTimerMs = 0;
  #pauses = 0;

  constructor(id: number, socket: Socket, transport: Transport, ctx: ServerContext) {
    this.id = id;
    this.#socket = socket;
    this.transport = transport;
    this.remote = transport === 'tcp' ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
    this.ctx = ctx;
    this.topics = new TopicCache(ctx.broker);
    this.writer = new OutboundWriter(socket, ctx.pool, ctx.scheduler, ctx.limits.writer, this);
    this.#decoder = new FrameDecoder(this, { side: 'server', maxFrameSize: ctx.limits.maxFrameSize });
    // We batch writes ourselves: Nagle would only add latency.
    if (transport === 'tcp') socket.setNoDelay(true);
    socket.on('data', this.#onData);
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

  /** True while a PUB is held for room on a block-policy topic. */
  get blocked(): boolean {
    return this.#held.topic !== null;
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
      publisherPauses: this.#pauses,
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
   * Holds this PUB until the broker has room on `topic` (overflow "block", docs/protocol.md §6.1):
   * decoding and reading stop, and `#replay` goes on once the broker calls back.
   */
  hold(
    topic: TopicHandle,
    confirmId: number,
    buf: Buffer,
    ts: number,
    tl: number,
    ps: number,
    pe: number,
  ): void {
    this.#held.hold(topic, confirmId, buf, ts, tl, ps, pe);
    this.#decoder.pause();
    this.#socket.pause();
    this.ctx.broker.onRoom(topic, this.#onRoom);
  }

  /**
   * A publish of ours found `subscriber` unable to keep up (TopicHandle.behind): stop reading
   * until it drains, for at most publisher_stall_ms. A subscriber that stays stuck that long
   * pauses no publisher again until it drains, so a frozen one costs each publisher one pause;
   * write_deadline_ms and the slow-consumer policy deal with it as before.
   */
  stallFor(subscriber: Subscriber): void {
    const ms = this.ctx.limits.publisherStallMs;
    if (ms === 0 || subscriber === this || !(subscriber instanceof Connection)) return;
    if (subscriber.#stallExpired || subscriber.#state !== State.Open || this.#stalledOn !== null) return;
    this.#stalledOn = subscriber;
    this.#pauses++;
    if (subscriber.#stalled === null) subscriber.#stalled = [this];
    else subscriber.#stalled.push(this);
    this.#decoder.pause();
    this.#socket.pause();
    const timer = this.#stallTimer;
    if (timer !== undefined && this.#stallTimerMs === ms) {
      timer.refresh();
    } else {
      if (timer !== undefined) clearTimeout(timer);
      this.#stallTimer = setTimeout(this.#onStallTimeout, ms);
      this.#stallTimer.unref();
      this.#stallTimerMs = ms;
    }
  }

  /** True while this publisher is paused for a backed-up subscriber. */
  get stalled(): boolean {
    return this.#stalledOn !== null;
  }

  /** Replays a held PUB now (at shutdown: it is then answered SHUTTING_DOWN). */
  releaseHeld(): void {
    if (this.#held.topic !== null) queueMicrotask(this.#replay);
  }

  // --- Subscriber (the broker calls these synchronously) ---

  get writable(): boolean {
    return this.writer.writable;
  }

  deliver(sub: Subscription, seq: number, payload: Uint8Array, flags: number, deliveryCount: number): void {
    const w = this.writer;
    const n = payload.length;
    const size = MSG_HEADER_SIZE + n;
    const at = w.reserve(size);
    const chunk = w.chunk;
    // §3.8: the fixed header written in place, then the payload copied once.
    writeMsgHeader(chunk, at, sub.sid, seq, flags, deliveryCount, n);
    chunk.set(payload, at + MSG_HEADER_SIZE);
    w.commit(size);
  }

  lagged(sub: Subscription, fromSeq: number, count: number): void {
    const w = this.writer;
    const at = w.reserve(LAGGED_FRAME_SIZE);
    writeLagged(w.chunk, at, sub.sid, fromSeq, count);
    w.commit(LAGGED_FRAME_SIZE);
  }

  evicted(sub: Subscription, reason: EvictReason): void {
    this.subs.delete(sub.sid);
    if (reason === EvictReason.SlowConsumer) {
      const text = `subscription ${sub.sid} fell too far behind on topic "${sub.topic}"`;
      this.fail('SLOW_CONSUMER', text, SlowConsumerDetail.TopicPolicy);
    } else if (this.#state === State.Open) {
      this.ctx.logger.debug(
        { conn: this.id, sid: sub.sid, topic: sub.topic },
        'subscription ended: topic deleted',
      );
      // §6.2.6: the subscription ended, the connection goes on.
      this.reply(
        'TOPIC_DELETED',
        Op.SUB,
        sub.sid,
        `topic "${sub.topic}" was deleted; subscription ${sub.sid} ended`,
      );
    }
  }

  // --- WriterOwner ---

  writerOverflow(pendingBytes: number): void {
    const max = this.ctx.limits.writer.maxPendingBytes;
    const text = `${pendingBytes} bytes of output pending, over max_pending_bytes (${max})`;
    this.fail('SLOW_CONSUMER', text, SlowConsumerDetail.PendingBytes);
  }

  writerWritable(): void {
    if (this.#state === State.Open) this.ctx.broker.resumeSubscriber(this);
    // It drained: publishers paused for it go on, and may pause for it again.
    this.#stallExpired = false;
    this.#releaseStalled();
  }

  /** Lets every publisher paused for this connection read again. */
  #releaseStalled(): void {
    const list = this.#stalled;
    if (list === null || list.length === 0) return;
    this.#stalled = null;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p.#stalledOn === this) p.#unstall();
    }
  }

  #unstall(): void {
    this.#stalledOn = null;
    if (this.#state !== State.Open) return;
    // The rest of the paused read, in order; it may pause again.
    this.#decoder.resume();
    if (this.#stalledOn === null && this.#held.topic === null && this.#state === State.Open) {
      this.#socket.resume();
    }
    this.ctx.scheduler.afterRead();
  }

  readonly #onStallTimeout = (): void => {
    const sub = this.#stalledOn;
    if (sub === null) return; // the pause ended before the timer
    sub.#stallExpired = true;
    sub.#releaseStalled();
  };

  // --- deadlines (called by the server's sweep) ---

  sweep(now: number): void {
    const l = this.ctx.limits;
    if (this.#state === State.Handshake) {
      // An absolute deadline from accept: bytes dribbled in do not extend it (RELIABILITY.md A3).
      if (now - this.#openedAt >= l.connectionTimeoutMs) {
        this.fail('HANDSHAKE_TIMEOUT', `no HELLO within connection_timeout_ms (${l.connectionTimeoutMs} ms)`);
      }
      return;
    }
    if (this.#state !== State.Open) return;
    if (this.writer.stalledFor(now) >= l.writeDeadlineMs) {
      const text = `the socket accepted nothing for write_deadline_ms (${l.writeDeadlineMs} ms)`;
      this.fail('SLOW_CONSUMER', text, SlowConsumerDetail.WriteDeadline);
      return;
    }
    // A publisher paused by a full block-policy topic is not silent: we stopped reading it.
    const hb = this.#heartbeat;
    const action = hb.check(now, l.heartbeatIntervalMs, l.heartbeatMaxMissed, this.#held.topic !== null);
    if (action === HeartbeatAction.Timeout) {
      this.fail('HEARTBEAT_TIMEOUT', `no reply to ${hb.pingsOut} PINGs ${l.heartbeatIntervalMs} ms apart`);
    } else if (action === HeartbeatAction.Ping) {
      const w = this.writer;
      const at = w.reserve(PING_FRAME_SIZE);
      writePing(w.chunk, at);
      w.commit(PING_FRAME_SIZE);
    }
  }

  // --- closing ---

  /**
   * Closes with `reason`. `errFrame` (an encoded ERR) is sent first when given; the socket is then
   * ended, and destroyed after CLOSE_LINGER_MS if the peer does not close its side. The
   * subscriber's queue deliveries go back to the broker after the current broker call.
   */
  close(reason: CloseReason, errFrame?: Buffer, detail?: string): void {
    if (this.#state >= State.Closing) return;
    this.#state = State.Closing;
    this.#reason = reason;
    this.#detail = detail;
    this.#held.clear();
    this.#decoder.stop();
    this.ctx.connectionClosing(this);
    // Never re-enter the broker from inside one of its calls (the Subscriber contract).
    queueMicrotask(this.#teardown);
    const socket = this.#socket;
    const w = this.writer;
    if (errFrame === undefined || socket.destroyed) {
      w.close();
      socket.destroy();
      return;
    }
    if (reason === 'SLOW_CONSUMER') {
      // The output it could not take is dropped; the ERR goes only if the socket has room.
      w.close();
      if (socket.writableLength > 0) {
        socket.destroy();
        return;
      }
      socket.end(errFrame);
    } else {
      w.writeFrame(errFrame);
      w.finish();
      socket.end();
    }
    // Keep reading (and ignoring) until the peer closes, so unread input does not turn our close
    // into a reset that discards the ERR; give up after the linger time.
    socket.resume();
    this.#linger = setTimeout(this.#destroy, CLOSE_LINGER_MS);
    this.#linger.unref();
  }

  readonly #destroy = (): void => {
    this.#socket.destroy();
  };

  readonly #teardown = (): void => {
    this.ctx.broker.removeSubscriber(this);
    this.subs.clear();
    this.#releaseStalled();
  };

  readonly #onRoom = (): void => {
    queueMicrotask(this.#replay);
  };

  readonly #replay = (): void => {
    const h = this.#held;
    const buf = h.buf;
    if (h.topic === null || buf === null || this.#state !== State.Open) return;
    h.clear();
    handlePub(this, h.confirmId, buf, h.topicStart, h.topicLen, h.payloadStart, h.payloadEnd);
    if (h.topic !== null || this.#state !== State.Open) return;
    // The rest of the paused read, in order; it may block again.
    this.#decoder.resume();
    if (h.topic === null && this.#stalledOn === null && this.#state === State.Open) this.#socket.resume();
    this.ctx.scheduler.afterRead();
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
    if (this.#stallTimer !== undefined) clearTimeout(this.#stallTimer);
    this.writer.close();
    this.ctx.connectionClosed(this);
  };
}
