/**
 * Subscribers for the core benchmark. `CopySink` does what a server connection does with a
 * delivery: writes the 20-byte MSG header with the server's own header writer and copies the
 * payload after it the way src/server/delivery.ts does, into a preallocated output chunk. When the
 * chunk is full it starts over, where a connection would flush it. `CountSink` only counts, for
 * measuring what the broker itself costs per subscription.
 */
import type { Broker, EvictReason, Subscriber, Subscription } from '../../src/broker/index.ts';
import { BYTE_LOOP_MAX, copySmall, SMALL_COPY_MAX, viewOf } from '../../src/byte-copy.ts';
import { MSG_HEADER_SIZE, writeMsgHeaderView } from '../../src/protocol/index.ts';

let nextId = 1;

/** Writes each delivery as a MSG frame into a reusable output chunk. */
export class CopySink implements Subscriber {
  readonly id = nextId++;
  writable = true;
  delivered = 0;
  /** Messages reported lost through LAGGED (0 in a healthy run). */
  skipped = 0;
  protected readonly out: Uint8Array;
  protected readonly outView: DataView;
  #at = 0;

  constructor(chunkSize = 256 * 1024) {
    this.out = new Uint8Array(chunkSize);
    this.outView = new DataView(this.out.buffer);
  }

  deliver(sub: Subscription, seq: number, payload: Uint8Array, flags: number, count: number): void {
    const n = payload.length;
    const to = this.frame(sub, seq, flags, count, n);
    const out = this.out;
    if (n <= BYTE_LOOP_MAX) {
      for (let i = 0; i < n; i++) out[to + i] = payload[i]!;
    } else {
      out.set(payload, to);
    }
  }

  /** Writes the MSG header of a `len`-byte payload and counts it; returns where the payload goes. */
  protected frame(sub: Subscription, seq: number, flags: number, count: number, len: number): number {
    let at = this.#at;
    if (at + MSG_HEADER_SIZE + len > this.out.length) at = 0; // a connection flushes here
    at = writeMsgHeaderView(this.outView, at, sub.sid, seq, flags, count, len);
    this.#at = at + len;
    this.delivered++;
    return at;
  }

  lagged(_sub: Subscription, _from: number, count: number): void {
    this.skipped += count;
  }

  evicted(_sub: Subscription, reason: EvictReason): void {
    throw new Error(`benchmark subscriber evicted: ${reason}`);
  }
}

/** A CopySink that also takes fanout deliveries by range (Subscriber.deliverRange), as a connection does. */
export class RangeCopySink extends CopySink {
  deliverRange(
    sub: Subscription,
    seq: number,
    buf: Uint8Array,
    start: number,
    end: number,
    flags: number,
    count: number,
  ): void {
    const n = end - start;
    const to = this.frame(sub, seq, flags, count, n);
    if (n <= SMALL_COPY_MAX) {
      copySmall(viewOf(buf), start, this.outView, to, n);
    } else {
      this.out.set(new Uint8Array(buf.buffer, buf.byteOffset + start, n), to);
    }
  }
}

/** A CopySink on a manual-ack queue: remembers what it got so the benchmark can ack it in batches. */
export class AckingSink extends CopySink {
  #sub: Subscription | undefined;
  readonly #unacked = new Float64Array(65_536);
  #count = 0;

  override deliver(sub: Subscription, seq: number, payload: Uint8Array, flags: number, count: number): void {
    super.deliver(sub, seq, payload, flags, count);
    this.#sub = sub;
    this.#unacked[this.#count++] = seq;
  }

  /** Acks every delivery received since the last call. */
  ackAll(broker: Broker): void {
    const sub = this.#sub;
    if (sub === undefined) return;
    for (let i = 0; i < this.#count; i++) broker.ack(sub, this.#unacked[i]!);
    this.#count = 0;
  }
}

/** Counts deliveries and nothing else. */
export class CountSink implements Subscriber {
  readonly id = nextId++;
  writable = true;
  delivered = 0;

  deliver(): void {
    this.delivered++;
  }

  lagged(): void {}

  evicted(_sub: Subscription, reason: EvictReason): void {
    throw new Error(`benchmark subscriber evicted: ${reason}`);
  }
}
