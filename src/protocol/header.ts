/**
 * What a decoder can tell from a frame's 5 header bytes (docs/protocol.md §1.3, §1.4, §2): which
 * ops pass in each handshake state, each op's length bounds, and why a refused op was refused.
 * Tables are indexed by op byte so the hot path pays one load per check.
 */
import type { ErrorCode } from '../errors.ts';
import { MAX_FRAME_LENGTH_FIELD, OP_LENGTH_BOUNDS } from './limits.ts';
import { ACCEPTS_TABLE, CLIENT_ACCEPTS, Op, opName, SERVER_ACCEPTS, type Side } from './ops.ts';

/** Smallest `length` per op (0 for bytes that are no op). */
export const MIN_LENGTH = new Uint32Array(256);
/** Largest `length` per op. */
export const MAX_LENGTH = new Uint32Array(256);
for (const [op, [min, max]] of Object.entries(OP_LENGTH_BOUNDS)) {
  MIN_LENGTH[Number(op)] = min;
  MAX_LENGTH[Number(op)] = max;
}

function opTable(ops: readonly number[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const op of ops) t[op] = 1;
  return t;
}

/** Ops that pass, per side and handshake state: `before` and `after` it, or `any` when not enforced. */
export const ALLOWED: Readonly<
  Record<Side, { readonly before: Uint8Array; readonly after: Uint8Array; readonly any: Uint8Array }>
> = {
  server: {
    before: opTable([Op.HELLO]),
    after: opTable(SERVER_ACCEPTS.filter((op) => op !== Op.HELLO)),
    any: ACCEPTS_TABLE.server,
  },
  client: {
    before: opTable([Op.WELCOME, Op.ERR]),
    after: opTable(CLIENT_ACCEPTS.filter((op) => op !== Op.WELCOME)),
    any: ACCEPTS_TABLE.client,
  },
};

/** An op byte for messages: `PUB (0x10)`, or `op 0x7f` for a byte that is no op. */
export function describeOp(op: number): string {
  const name = opName(op);
  const hex = `0x${op.toString(16).padStart(2, '0')}`;
  return name === undefined ? `op ${hex}` : `${name} (${hex})`;
}

/** The MALFORMED_FRAME message for a `length` outside its op's bounds (§1.3 rule 3). */
export function lengthBoundsMessage(op: number, length: number): string {
  const min = MIN_LENGTH[op]!;
  const max = MAX_LENGTH[op]!;
  const allowed =
    min === max ? `exactly ${min}` : max === MAX_FRAME_LENGTH_FIELD ? `at least ${min}` : `${min}..${max}`;
  return `${describeOp(op)} frame length ${length} is not ${allowed}`;
}

/**
 * Why `op` did not pass on `side` in the given handshake state: an op the side never receives is
 * UNKNOWN_OP (§1.4); otherwise it broke the handshake order (§2.2, §2.5).
 */
export function opRefusal(
  side: Side,
  handshakeDone: boolean,
  op: number,
): { code: ErrorCode; message: string } {
  if (ALLOWED[side].any[op] !== 1) {
    const why =
      opName(op) === undefined ? 'is not an op of protocol version 1' : `is never sent to a ${side}`;
    return { code: 'UNKNOWN_OP', message: `${describeOp(op)} ${why}` };
  }
  if (side === 'server') {
    return handshakeDone
      ? { code: 'UNEXPECTED_HANDSHAKE', message: 'a second HELLO arrived on this connection' }
      : { code: 'HANDSHAKE_REQUIRED', message: `${describeOp(op)} arrived before HELLO` };
  }
  // The catalog's handshake codes speak of HELLO; a server breaking the order is a protocol error.
  return handshakeDone
    ? { code: 'PROTOCOL_ERROR', message: 'a second WELCOME arrived on this connection' }
    : { code: 'PROTOCOL_ERROR', message: `${describeOp(op)} arrived before WELCOME` };
}
