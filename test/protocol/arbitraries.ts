/**
 * fast-check arbitraries for valid frames of each direction and for byte-level mutations of an
 * encoded stream (RELIABILITY.md P3).
 */
import fc from 'fast-check';
import {
  type Frame,
  MAX_CLIENT_NAME,
  MAX_ERR_TEXT,
  MAX_REPORT_TEXT,
  MAX_SERVER_NAME,
  MAX_TOKEN,
  MAX_TOPIC_LENGTH,
  ReloadStatus,
  StartKind,
} from '../../src/protocol/index.ts';

/** Records with Object.prototype, like the decoder's frames, so deepEqual compares them. */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true });

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const id = fc.integer({ min: 1, max: 0xffff_ffff });
const u64 = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.maxSafeNat());
const word = fc.string({ unit: fc.constantFrom(...'abcXYZ019_-'), minLength: 1, maxLength: 12 });
const topic = fc
  .array(word, { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join('.'))
  .filter((t) => t.length <= MAX_TOPIC_LENGTH);
const bytes = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));
/** Well-formed text of at most `max` UTF-8 bytes. */
const text = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= max);

/** Frames a client sends (a server decodes). */
export const clientFrame: fc.Arbitrary<Frame> = fc.oneof(
  record({
    op: fc.constant('HELLO' as const),
    version: fc.constant(1),
    name: text(MAX_CLIENT_NAME),
    token: bytes(MAX_TOKEN),
  }),
  record({ op: fc.constant('PUB' as const), confirmId: u32, topic, payload: bytes(64) }),
  fc.oneof(
    record({
      op: fc.constant('SUB' as const),
      sid: id,
      startKind: fc.constant(StartKind.New),
      startValue: fc.constant(0),
      topic,
    }),
    record({
      op: fc.constant('SUB' as const),
      sid: id,
      startKind: fc.constantFrom(StartKind.FromSeq, StartKind.LastN),
      startValue: u64,
      topic,
    }),
  ),
  record({ op: fc.constant('UNSUB' as const), sid: id }),
  record({ op: fc.constant('ACK' as const), sid: id, seq: u64 }),
  fc.constant({ op: 'PING' as const }),
  fc.constant({ op: 'PONG' as const }),
  record({ op: fc.constant('RELOAD' as const), requestId: u32 }),
);

/** Frames a server sends (a client decodes). */
export const serverFrame: fc.Arbitrary<Frame> = fc.oneof(
  record({
    op: fc.constant('WELCOME' as const),
    version: fc.constant(1),
    maxFrameSize: u32,
    heartbeatIntervalMs: u32,
    serverName: text(MAX_SERVER_NAME),
  }),
  record({
    op: fc.constant('MSG' as const),
    sid: id,
    seq: u64,
    flags: fc.constantFrom(0, 1),
    deliveryCount: fc.integer({ min: 0, max: 0xffff }),
    payload: bytes(64),
  }),
  record({ op: fc.constant('SUB_ACK' as const), sid: id, nextSeq: u64 }),
  record({ op: fc.constant('UNSUB_ACK' as const), sid: id }),
  record({ op: fc.constant('PUBACK' as const), confirmId: id, seq: u64 }),
  record({ op: fc.constant('LAGGED' as const), sid: id, fromSeq: u64, count: u64 }),
  record({
    op: fc.constant('ERR' as const),
    code: fc.integer({ min: 0, max: 0xffff }),
    refOp: fc.integer({ min: 0, max: 0xff }),
    ref: u32,
    text: text(MAX_ERR_TEXT),
  }),
  fc.constant({ op: 'PING' as const }),
  fc.constant({ op: 'PONG' as const }),
  fc.oneof(
    record({
      op: fc.constant('RELOAD_RESULT' as const),
      requestId: u32,
      status: fc.constantFrom(ReloadStatus.Applied, ReloadStatus.Unchanged),
      code: fc.constant(0),
      text: text(MAX_REPORT_TEXT),
    }),
    record({
      op: fc.constant('RELOAD_RESULT' as const),
      requestId: u32,
      status: fc.constant(ReloadStatus.Rejected),
      code: fc.integer({ min: 1, max: 0xffff }),
      text: text(MAX_REPORT_TEXT),
    }),
  ),
);

/** Where to cut a stream: sorted, distinct offsets strictly inside it. */
export function cutsFor(length: number, raw: readonly number[]): number[] {
  if (length < 2) return [];
  return [...new Set(raw.map((r) => 1 + (r % (length - 1))))].sort((x, y) => x - y);
}

/** `bytes` as pieces cut at `cuts`. */
export function piecesOf(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(from, at));
    from = at;
  }
  return pieces;
}

/** Lengths that sit on or next to a limit, for overwriting a length field. */
const EDGY_U32 = [
  0, 1, 2, 4, 5, 15, 16, 63, 64, 65, 0x80, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff,
];

/** One byte-level change to a stream. */
export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly mask: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'u32'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  record({
    kind: fc.constant('u32' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...EDGY_U32), u32),
  }),
  record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** `input` with `m` applied (offsets wrap around the input's length). */
export function mutate(input: Buffer, m: Mutation): Buffer {
  if (input.length === 0) return m.kind === 'insert' ? Buffer.from(m.bytes) : input;
  const at = m.at % input.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(input);
      out[at] = out[at]! ^ m.mask;
      return out;
    }
    case 'insert':
      return Buffer.concat([input.subarray(0, at), m.bytes, input.subarray(at)]);
    case 'delete':
      return Buffer.concat([input.subarray(0, at), input.subarray(at + m.count)]);
    case 'u32': {
      const out = Buffer.concat([input, Buffer.alloc(4)]);
      out.writeUInt32BE(m.value, at);
      return out.subarray(0, Math.max(input.length, at + 4));
    }
    case 'truncate':
      return input.subarray(0, at);
  }
}
