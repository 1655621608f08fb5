/**
 * Test doubles for broker tests: a subscriber that records everything the broker tells it, with
 * a switchable `writable` flag and an optional budget after which it stops being writable (as a
 * connection whose outbound buffer fills up).
 */
import assert from 'node:assert/strict';
import { MyceliumError } from '../../src/errors.ts';
import type { EvictReason, Subscriber, Subscription } from '../../src/broker/index.ts';

export type BrokerEvent =
  | { kind: 'msg'; sid: number; seq: number; text: string; flags: number; count: number }
  | { kind: 'lagged'; sid: number; from: number; count: number }
  | { kind: 'evicted'; sid: number; reason: EvictReason };

let nextId = 1;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A payload whose text is `text`. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A subscriber that records deliveries, LAGGED notices and evictions in order. */
export class Recorder implements Subscriber {
  readonly id = nextId++;
  writable = true;
  /** Deliveries left before `writable` turns false by itself; Infinity for no limit. */
  budget = Number.POSITIVE_INFINITY;
  readonly events: BrokerEvent[] = [];
  /** The payload objects delivered, to check they are shared and not copied. */
  readonly payloads: Uint8Array[] = [];
  /** If set, every delivered seq is also appended here (one log shared by several subscribers). */
  log: number[] | undefined;

  deliver(sub: Subscription, seq: number, payload: Uint8Array, flags: number, count: number): void {
    assert.ok(this.writable, `subscriber ${this.id} got seq ${seq} while not writable`);
    this.events.push({ kind: 'msg', sid: sub.sid, seq, text: decoder.decode(payload), flags, count });
    this.payloads.push(payload);
    this.log?.push(seq);
    if (--this.budget <= 0) this.writable = false;
  }

  lagged(sub: Subscription, from: number, count: number): void {
    this.events.push({ kind: 'lagged', sid: sub.sid, from, count });
  }

  evicted(sub: Subscription, reason: EvictReason): void {
    this.events.push({ kind: 'evicted', sid: sub.sid, reason });
  }

  /** Seqs delivered (optionally only for one sid), in arrival order. */
  seqs(sid?: number): number[] {
    return this.msgs(sid).map((e) => e.seq);
  }

  /** Deliveries (optionally only for one sid), in arrival order. */
  msgs(sid?: number): Extract<BrokerEvent, { kind: 'msg' }>[] {
    return this.events.filter(
      (e): e is Extract<BrokerEvent, { kind: 'msg' }> =>
        e.kind === 'msg' && (sid === undefined || e.sid === sid),
    );
  }

  /** Makes it writable with no budget. */
  open(): void {
    this.writable = true;
    this.budget = Number.POSITIVE_INFINITY;
  }

  /** Makes it not writable. */
  close(): void {
    this.writable = false;
  }
}

/** `[from, from+1, ..., to]`. */
/** A payload of `size` bytes whose content names its seq, so a misplaced or shifted copy shows. */
export function sizedPayload(seq: number, size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = (seq * 31 + i) & 0xff;
  return p;
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

/** Asserts that `fn` throws a MyceliumError with this code. */
export function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MyceliumError, `expected a MyceliumError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}
