/**
 * When a connection reads. Two things pause the decoder and the socket: a PUB held for room on a
 * full block-policy queue topic (overflow "block", docs/protocol.md §6.1), and a publisher stall
 * for a backed-up fanout subscriber (publisher_stall_ms, ./publisher-stall.ts). Reading resumes
 * when both are over. A FIN during a stall handles what was already read before the close
 * (§6.7.2).
 */
import type { Socket } from 'node:net';
import type { TopicHandle } from '../broker/index.ts';
import type { FrameDecoder } from '../protocol/index.ts';
import type { Connection } from './connection.ts';
import { handlePub } from './handlers/pub.ts';
import { HeldPub } from './held-pub.ts';
import { PublisherStall } from './publisher-stall.ts';

export class ReadFlow {
  /** This connection's part in publisher stalls, as the publisher paused and as the subscriber waited on. */
  readonly stall: PublisherStall;
  readonly #held = new HeldPub();
  readonly #conn: Connection;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;

  constructor(conn: Connection, socket: Socket, decoder: FrameDecoder) {
    this.#conn = conn;
    this.#socket = socket;
    this.#decoder = decoder;
    this.stall = new PublisherStall({
      pauseReading: () => this.#pause(),
      resumeReading: () => this.#resume(),
    });
  }

  /** True while a PUB is held for room on a block-policy topic. */
  get blocked(): boolean {
    return this.#held.topic !== null;
  }

  /**
   * Holds this PUB until the broker has room on `topic`: decoding and reading stop, and the PUB
   * is replayed once the broker calls back.
   */
  hold(
    topic: TopicHandle,
    confirmId: number,
    buf: Buffer,
    topicStart: number,
    topicLen: number,
    payloadStart: number,
    payloadEnd: number,
  ): void {
    this.#held.hold(topic, confirmId, buf, topicStart, topicLen, payloadStart, payloadEnd);
    this.#pause();
    this.#conn.ctx.broker.onRoom(topic, this.#onRoom);
  }

  /** Replays a held PUB now (at shutdown: it is then answered SHUTTING_DOWN). */
  releaseHeld(): void {
    if (this.#held.topic !== null) queueMicrotask(this.#replay);
  }

  /**
   * The peer sent FIN. Frames a publisher stall held back are handled now rather than dropped:
   * they are in memory already and the stall only spaced them out, so a client that publishes
   * and closes loses nothing to another client's backpressure. A PUB held for room on a block
   * topic is not waited for.
   */
  peerEnded(): void {
    if (!this.stall.paused) return;
    this.stall.end();
    this.#decoder.resume();
    this.#conn.ctx.scheduler.afterRead();
  }

  /** The connection is closing: a held PUB is dropped with it. */
  close(): void {
    this.#held.clear();
  }

  #pause(): void {
    this.#decoder.pause();
    this.#socket.pause();
  }

  /** Decodes the rest of the paused read, in order (it may pause again), then reads on. */
  #resume(): void {
    const c = this.#conn;
    if (!c.open) return;
    this.#decoder.resume();
    if (this.#held.topic === null && !this.stall.paused && c.open) this.#socket.resume();
    c.ctx.scheduler.afterRead();
  }

  readonly #onRoom = (): void => {
    queueMicrotask(this.#replay);
  };

  readonly #replay = (): void => {
    const h = this.#held;
    const buf = h.buf;
    if (h.topic === null || buf === null || !this.#conn.open) return;
    h.clear();
    handlePub(this.#conn, h.confirmId, buf, h.topicStart, h.topicLen, h.payloadStart, h.payloadEnd);
    if (h.topic === null) this.#resume();
  };
}
