/**
 * Subscribers for the core benchmark. `CopySink` does what a server connection does with a
 * delivery: writes the 20-byte MSG header (.notes/protocol-layout.md: u32 length | u8 op | u32 sid
 * | u64 seq | u8 flags | u16 delivery count) and copies the payload after it, into a preallocated
 * output chunk. When the chunk is full it starts over, where a connection would flush it. `CountSink`
 * only counts, for measuring what the broker itself costs per subscription.
 */
import type { Broker, EvictReason, Subscriber, Subscription } from '../../src/broker/index.ts';
import { BYTE_LOOP_MAX } from '../../src/byte-copy.ts';

const MSG_OP = 0x30;
const MSG_HEADER = 20;

let nextId = 1;

/** Writes each delivery as a MSG frame into a reusable output chunk. */
export class CopySink implements Subscriber {
  readonly id = nextId++;
  writable = true;
  delivered = 0;
  /** Messages reported lost through LAGGED (0 in a healthy run). */
  skipped = 0;
  protected readonly out: Uint8Array;
  #at = 0;

  constructor(chunkSize = 256 * 1024) {
    this.out = new Uint8Array(chunkSize);
  }

  deliver(sub: Subscription, seq: number, payload: Uint8Array, flags: number, count: number): void {
    this.out.set(payload, this.frame(sub, seq, flags, count, payload.length));
  }

  /** Writes the MSG header of a `len`-byte payload and counts it; returns where the payload goes. */
  protected frame(sub: Subscription, seq: number, flags: number, count: number, len: number): number {
    let at = this.#at;
    if (at + MSG_HEADER + len > this.out.length) at = 0; // a connection flushes here
    const out = this.out;
    const frameLen = 16 + len;
    out[at] = frameLen >>> 24;
    out[at + 1] = frameLen >>> 16;
    out[at + 2] = frameLen >>> 8;
    out[at + 3] = frameLen;
    out[at + 4] = MSG_OP;
    const sid = sub.sid;
    out[at + 5] = sid >>> 24;
    out[at + 6] = sid >>> 16;
    out[at + 7] = sid >>> 8;
    out[at + 8] = sid;
    const hi = Math.floor(seq / 0x1_0000_0000);
    out[at + 9] = hi >>> 24;
    out[at + 10] = hi >>> 16;
    out[at + 11] = hi >>> 8;
    out[at + 12] = hi;
    out[at + 13] = seq >>> 24;
    out[at + 14] = seq >>> 16;
    out[at + 15] = seq >>> 8;
    out[at + 16] = seq;
    out[at + 17] = flags;
    out[at + 18] = count >>> 8;
    out[at + 19] = count;
    at += MSG_HEADER;
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
    const out = this.out;
    if (n <= BYTE_LOOP_MAX) {
      for (let i = 0; i < n; i++) out[to + i] = buf[start + i]!;
    } else {
      out.set(new Uint8Array(buf.buffer, buf.byteOffset + start, n), to);
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
