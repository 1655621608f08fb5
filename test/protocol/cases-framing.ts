/**
 * Malformed-input corpus, part 1: framing, op codes, directions and handshake order
 * (docs/protocol.md §1-§2). Hand-written hex; `|` separates fields. Valid boundary cases (N) sit
 * next to their invalid neighbours (N+1) so each limit is pinned from both sides.
 */
import type { Side } from '../../src/protocol/index.ts';

/** One row of the corpus: input bytes and exactly what a decoder must report for them. */
export interface BadCase {
  readonly rule: string;
  readonly hex: string;
  /** Where the decoder runs; default 'server'. */
  readonly side?: Side;
  readonly maxFrameSize?: number;
  /** Default false: frames are checked out of handshake context. */
  readonly enforceHandshake?: boolean;
  /** Events in order: the op name of each decoded frame, `!CODE` for each error. */
  readonly events: readonly string[];
  /** True when the input ends in a fatal error: the decoder has stopped. */
  readonly fatal: boolean;
  /** True when the input ends inside a frame, so the decoder waits for more. */
  readonly waiting?: boolean;
  /** The last error's ref_op and ref, when the row pins them. */
  readonly refOp?: number;
  readonly ref?: number;
}

export const PING = '00000001|20';
export const HELLO = '00000007|01|01|00|0000|0000';
export const WELCOME = '0000000f|02|01|00|00800000|00002710|0002|6d31';
export const PUB = '00000009|10|00000000|01|61|7878';
export const MSG = '00000012|30|00000001|0000000000000001|00|0001|6869';
export const ERR = '0000000a|35|00c8|10|00000007|0000';
export const RELOAD = '00000005|40|00000001';
export const RELOAD_RESULT = '0000000a|41|00000001|01|0000|0000';

const x = (n: number): string => '78'.repeat(n);

export const FRAMING_CASES: readonly BadCase[] = [
  // Truncated input: a decoder waits, it does not guess (§1.7).
  { rule: '1 byte of a length prefix is waited on', hex: '00', events: [], fatal: false, waiting: true },
  { rule: '2 bytes of a length prefix are waited on', hex: '0000', events: [], fatal: false, waiting: true },
  {
    rule: '3 bytes of a length prefix are waited on',
    hex: '000000',
    events: [],
    fatal: false,
    waiting: true,
  },
  {
    rule: 'a whole length without its op is waited on',
    hex: '00000001',
    events: [],
    fatal: false,
    waiting: true,
  },
  {
    rule: 'a cut length prefix after a whole frame is waited on',
    hex: `${PING}|0000`,
    events: ['PING'],
    fatal: false,
    waiting: true,
  },
  {
    rule: 'a PUB header without its body is waited on',
    hex: '00000009|10',
    events: [],
    fatal: false,
    waiting: true,
  },
  {
    rule: 'a PUB with half its body is waited on',
    hex: '00000009|10|000000',
    events: [],
    fatal: false,
    waiting: true,
  },

  // Length field (§1.3).
  { rule: 'length 0 is malformed', hex: '00000000', events: ['!MALFORMED_FRAME'], fatal: true, refOp: 0 },
  {
    rule: 'length 0 after a good frame is malformed',
    hex: `${PING}|00000000|20`,
    events: ['PING', '!MALFORMED_FRAME'],
    fatal: true,
  },
  { rule: 'length 1 is a whole PING', hex: '00000001|20', events: ['PING'], fatal: false },
  {
    rule: 'length 1 is too short for PUB',
    hex: '00000001|10',
    events: ['!MALFORMED_FRAME'],
    fatal: true,
    refOp: 0x10,
  },
  {
    rule: 'length max-1 is accepted',
    hex: `0000003f|10|00000000|01|61|${x(56)}`,
    maxFrameSize: 64,
    events: ['PUB'],
    fatal: false,
  },
  {
    rule: 'length max is accepted',
    hex: `00000040|10|00000000|01|61|${x(57)}`,
    maxFrameSize: 64,
    events: ['PUB'],
    fatal: false,
  },
  {
    rule: 'length max+1 is too large',
    hex: `00000041|10|00000000|01|61|${x(58)}`,
    maxFrameSize: 64,
    events: ['!FRAME_TOO_LARGE'],
    fatal: true,
    refOp: 0,
  },
  {
    rule: 'length max+1 is refused from the 4 length bytes alone',
    hex: '00000041',
    maxFrameSize: 64,
    events: ['!FRAME_TOO_LARGE'],
    fatal: true,
  },
  { rule: 'length 2^31 is too large', hex: '80000000', events: ['!FRAME_TOO_LARGE'], fatal: true },
  { rule: 'length 2^32-1 is too large', hex: 'ffffffff', events: ['!FRAME_TOO_LARGE'], fatal: true },
  {
    rule: 'length 2^32-1 with bytes after is too large',
    hex: 'ffffffff|10|00',
    events: ['!FRAME_TOO_LARGE'],
    fatal: true,
  },
  {
    rule: 'length 8 MiB + 1 is over the default limit',
    hex: '00800001|10',
    events: ['!FRAME_TOO_LARGE'],
    fatal: true,
  },
  {
    rule: 'length 8 MiB is within the default limit',
    hex: '00800000|10|00000000|01|61',
    events: [],
    fatal: false,
    waiting: true,
  },
  {
    rule: 'a client refuses length 2^32-1 too',
    hex: 'ffffffff',
    side: 'client',
    events: ['!FRAME_TOO_LARGE'],
    fatal: true,
  },

  // Op codes (§1.4).
  { rule: 'op 0x00 is unknown', hex: '00000001|00', events: ['!UNKNOWN_OP'], fatal: true, refOp: 0x00 },
  { rule: 'op 0xff is unknown', hex: '00000001|ff', events: ['!UNKNOWN_OP'], fatal: true, refOp: 0xff },
  { rule: 'op 0x03 is unknown', hex: '00000001|03', events: ['!UNKNOWN_OP'], fatal: true, refOp: 0x03 },
  { rule: 'op 0x14 is unknown', hex: '00000001|14', events: ['!UNKNOWN_OP'], fatal: true },
  { rule: 'op 0x22 is unknown', hex: '00000001|22', events: ['!UNKNOWN_OP'], fatal: true },
  { rule: 'op 0x36 is unknown', hex: '00000001|36', events: ['!UNKNOWN_OP'], fatal: true },
  {
    rule: 'an unknown op is refused before its body',
    hex: '000003e8|7f',
    events: ['!UNKNOWN_OP'],
    fatal: true,
  },
  {
    rule: 'an unknown op on a client is unknown',
    hex: '00000001|4f',
    side: 'client',
    events: ['!UNKNOWN_OP'],
    fatal: true,
  },
  { rule: 'op 0x42 is unknown', hex: '00000001|42', events: ['!UNKNOWN_OP'], fatal: true, refOp: 0x42 },

  // Direction (§1.4): an op sent the wrong way is UNKNOWN_OP.
  { rule: 'a server refuses WELCOME', hex: WELCOME, events: ['!UNKNOWN_OP'], fatal: true, refOp: 0x02 },
  { rule: 'a server refuses MSG', hex: MSG, events: ['!UNKNOWN_OP'], fatal: true, refOp: 0x30 },
  {
    rule: 'a server refuses SUB_ACK',
    hex: '0000000d|31|00000001|0000000000000001',
    events: ['!UNKNOWN_OP'],
    fatal: true,
  },
  { rule: 'a server refuses UNSUB_ACK', hex: '00000005|32|00000001', events: ['!UNKNOWN_OP'], fatal: true },
  {
    rule: 'a server refuses PUBACK',
    hex: '0000000d|33|00000001|0000000000000001',
    events: ['!UNKNOWN_OP'],
    fatal: true,
  },
  {
    rule: 'a server refuses LAGGED',
    hex: '00000015|34|00000001|0000000000000001|0000000000000002',
    events: ['!UNKNOWN_OP'],
    fatal: true,
  },
  { rule: 'a server refuses ERR', hex: ERR, events: ['!UNKNOWN_OP'], fatal: true, refOp: 0x35 },
  {
    rule: 'a server refuses RELOAD_RESULT',
    hex: RELOAD_RESULT,
    events: ['!UNKNOWN_OP'],
    fatal: true,
    refOp: 0x41,
  },
  {
    rule: 'a client refuses RELOAD',
    hex: RELOAD,
    side: 'client',
    events: ['!UNKNOWN_OP'],
    fatal: true,
    refOp: 0x40,
  },
  {
    rule: 'a client refuses HELLO',
    hex: HELLO,
    side: 'client',
    events: ['!UNKNOWN_OP'],
    fatal: true,
    refOp: 0x01,
  },
  { rule: 'a client refuses PUB', hex: PUB, side: 'client', events: ['!UNKNOWN_OP'], fatal: true },
  {
    rule: 'a client refuses SUB',
    hex: '00000010|11|00000001|00|0000000000000000|01|61',
    side: 'client',
    events: ['!UNKNOWN_OP'],
    fatal: true,
  },
  {
    rule: 'a client refuses UNSUB',
    hex: '00000005|12|00000001',
    side: 'client',
    events: ['!UNKNOWN_OP'],
    fatal: true,
  },
  {
    rule: 'a client refuses ACK',
    hex: '0000000d|13|00000001|0000000000000001',
    side: 'client',
    events: ['!UNKNOWN_OP'],
    fatal: true,
  },

  // Handshake order (§2).
  {
    rule: 'PUB before HELLO needs the handshake',
    hex: PUB,
    enforceHandshake: true,
    events: ['!HANDSHAKE_REQUIRED'],
    fatal: true,
    refOp: 0x10,
  },
  {
    rule: 'PING before HELLO needs the handshake',
    hex: PING,
    enforceHandshake: true,
    events: ['!HANDSHAKE_REQUIRED'],
    fatal: true,
  },
  {
    rule: 'SUB before HELLO needs the handshake',
    hex: '00000010|11|00000001|00|0000000000000000|01|61',
    enforceHandshake: true,
    events: ['!HANDSHAKE_REQUIRED'],
    fatal: true,
  },
  {
    rule: 'RELOAD before HELLO needs the handshake (admin ops are never pre-auth)',
    hex: RELOAD,
    enforceHandshake: true,
    events: ['!HANDSHAKE_REQUIRED'],
    fatal: true,
    refOp: 0x40,
  },
  {
    rule: 'RELOAD_RESULT before WELCOME breaks the handshake order',
    hex: RELOAD_RESULT,
    side: 'client',
    enforceHandshake: true,
    events: ['!PROTOCOL_ERROR'],
    fatal: true,
  },
  {
    rule: 'HELLO then RELOAD is accepted',
    hex: `${HELLO}|${RELOAD}`,
    enforceHandshake: true,
    events: ['HELLO', 'RELOAD'],
    fatal: false,
  },
  {
    rule: 'a second HELLO is an unexpected handshake',
    hex: `${HELLO}|${HELLO}`,
    enforceHandshake: true,
    events: ['HELLO', '!UNEXPECTED_HANDSHAKE'],
    fatal: true,
  },
  {
    rule: 'HELLO then PUB then PING is a good start',
    hex: `${HELLO}|${PUB}|${PING}`,
    enforceHandshake: true,
    events: ['HELLO', 'PUB', 'PING'],
    fatal: false,
  },
  {
    rule: 'direction is checked before handshake order',
    hex: MSG,
    enforceHandshake: true,
    events: ['!UNKNOWN_OP'],
    fatal: true,
  },
  {
    rule: 'a HELLO longer than any HELLO can be is refused from its header',
    hex: '00000508|01',
    enforceHandshake: true,
    events: ['!MALFORMED_FRAME'],
    fatal: true,
  },
  {
    rule: 'HELLO version 2 is unsupported',
    hex: '00000007|01|02|00|0000|0000',
    events: ['!UNSUPPORTED_VERSION'],
    fatal: true,
  },
  {
    rule: 'HELLO version 0 is unsupported',
    hex: '00000007|01|00|00|0000|0000',
    events: ['!UNSUPPORTED_VERSION'],
    fatal: true,
  },
  {
    rule: 'the version is checked before the rest of HELLO',
    hex: '00000007|01|02|ff|ffff|ffff',
    events: ['!UNSUPPORTED_VERSION'],
    fatal: true,
    refOp: 0x01,
  },
  {
    rule: 'nothing after an unsupported HELLO is decoded',
    hex: `00000007|01|02|00|0000|0000|${PUB}`,
    enforceHandshake: true,
    events: ['!UNSUPPORTED_VERSION'],
    fatal: true,
  },
  {
    rule: 'a client refuses MSG before WELCOME',
    hex: MSG,
    side: 'client',
    enforceHandshake: true,
    events: ['!PROTOCOL_ERROR'],
    fatal: true,
  },
  {
    rule: 'a client refuses PING before WELCOME',
    hex: PING,
    side: 'client',
    enforceHandshake: true,
    events: ['!PROTOCOL_ERROR'],
    fatal: true,
  },
  {
    rule: 'a client takes ERR before WELCOME',
    hex: `${ERR}|${WELCOME}`,
    side: 'client',
    enforceHandshake: true,
    events: ['ERR', 'WELCOME'],
    fatal: false,
  },
  {
    rule: 'a client refuses a second WELCOME',
    hex: `${WELCOME}|${WELCOME}`,
    side: 'client',
    enforceHandshake: true,
    events: ['WELCOME', '!PROTOCOL_ERROR'],
    fatal: true,
  },
  {
    rule: 'WELCOME version 2 is unsupported',
    hex: '0000000f|02|02|00|00800000|00002710|0002|6d31',
    side: 'client',
    enforceHandshake: true,
    events: ['!UNSUPPORTED_VERSION'],
    fatal: true,
  },
  {
    rule: 'WELCOME then MSG is a good start',
    hex: `${WELCOME}|${MSG}`,
    side: 'client',
    enforceHandshake: true,
    events: ['WELCOME', 'MSG'],
    fatal: false,
  },

  // A good frame and a bad one in the same write.
  {
    rule: 'a good PUB then an unknown op',
    hex: `${PUB}|00000001|99`,
    events: ['PUB', '!UNKNOWN_OP'],
    fatal: true,
  },
  {
    rule: 'a good PING then a 4 GiB length',
    hex: `${PING}|ffffffff`,
    events: ['PING', '!FRAME_TOO_LARGE'],
    fatal: true,
  },
  {
    rule: 'good frames after a fatal error are ignored',
    hex: `${PING}|00000001|00|${PING}|${PUB}`,
    events: ['PING', '!UNKNOWN_OP'],
    fatal: true,
  },
];
