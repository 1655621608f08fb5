/**
 * Body parsers, one per op (docs/protocol.md §3). The decoder has already checked the op's
 * direction, the handshake order and the op's length bounds; these check the fields and call
 * the handler with numbers and byte ranges, allocating nothing for PUB and MSG.
 */
import { isUtf8 } from 'node:buffer';
import type { ErrorCode } from '../errors.ts';
import type { FrameHandler } from './frames.ts';
import {
  MAX_CLIENT_NAME,
  MAX_ERR_TEXT,
  MAX_REPORT_TEXT,
  MAX_SERVER_NAME,
  MAX_TOKEN,
  MAX_TOPIC_LENGTH,
} from './limits.ts';
import { MSG_FLAGS_MASK, Op, PROTOCOL_VERSION, ReloadStatus, type StartKind } from './ops.ts';
import { topicBytesProblem } from './topic.ts';

/** What a body parser may do to its decoder. */
export interface BodyContext {
  /** Reports a refused frame (and stops the decoder when the code is fatal). */
  fail(code: ErrorCode, message: string, refOp: number, ref: number): void;
  /** HELLO or WELCOME was decoded: the handshake is done. */
  handshakeComplete(): void;
  /** Check PUB topic bytes here (DecoderOptions.checkPubTopicBytes); false leaves them to the handler. */
  readonly checkPubTopicBytes: boolean;
}

const TWO_32 = 0x1_0000_0000;
/** Largest high half of a u64 that keeps the value <= 2^53 - 1 (§1.5). */
const MAX_SAFE_HIGH = 0x1f_ffff;
/** A u64 above 2^53 - 1, as returned by u64(). */
const UNSAFE = -1;

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function u32(b: Uint8Array, p: number): number {
  return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

/** A u64 as a number, or UNSAFE when above 2^53 - 1 (§1.5: no BigInt on the hot path). */
function u64(b: Uint8Array, p: number): number {
  const high = u32(b, p);
  return high > MAX_SAFE_HIGH ? UNSAFE : high * TWO_32 + u32(b, p + 4);
}

/** Reports MALFORMED_FRAME; false, so a parser can `return malformed(...)`. */
function malformed(ctx: BodyContext, op: number, ref: number, what: string): false {
  ctx.fail('MALFORMED_FRAME', what, op, ref);
  return false;
}

function unsafe(ctx: BodyContext, op: number, ref: number, frame: string, field: string): false {
  return malformed(
    ctx,
    op,
    ref,
    `${frame} ${field} is above 2^53-1, the largest value this protocol carries`,
  );
}

function sidZero(ctx: BodyContext, op: number, frame: string): false {
  return malformed(ctx, op, 0, `${frame} sid is 0; subscription ids start at 1`);
}

/**
 * Checks topic_len against 1..128 and the `room` the frame leaves for the topic (all of it when
 * `exact`, else at most that). True when the topic's bytes lie where the frame says.
 */
function topicFits(
  ctx: BodyContext,
  op: number,
  ref: number,
  frame: string,
  len: number,
  room: number,
  exact: boolean,
): boolean {
  if (len === 0 || len > MAX_TOPIC_LENGTH) {
    return malformed(ctx, op, ref, `${frame} topic_len ${len} is outside 1..${MAX_TOPIC_LENGTH}`);
  }
  if (len > room) return malformed(ctx, op, ref, `${frame} topic_len ${len} runs past the end of the frame`);
  if (exact && len < room) return malformed(ctx, op, ref, `${frame} has ${room - len} bytes after the topic`);
  return true;
}

/** Checks the topic bytes (§3.14). True when the handler may be called. */
function topicBytesOk(
  ctx: BodyContext,
  op: number,
  ref: number,
  b: Buffer,
  start: number,
  len: number,
): boolean {
  const problem = topicBytesProblem(b, start, len);
  if (problem === undefined) return true;
  // §3.14: a bad name is answered but does not end the connection.
  ctx.fail('INVALID_TOPIC', problem, op, ref);
  return false;
}

/** Parses the body `b[s, e)` of a frame with op `op` and calls the matching handler method. */
export function parseBody(
  ctx: BodyContext,
  h: FrameHandler,
  op: number,
  b: Buffer,
  s: number,
  e: number,
): boolean {
  switch (op) {
    case Op.PUB: {
      // §3.3: confirm_id u32 | topic_len u8 | topic | payload.
      const confirmId = u32(b, s);
      const topicLen = b[s + 4]!;
      const payloadStart = s + 5 + topicLen;
      if (!topicFits(ctx, op, confirmId, 'PUB', topicLen, e - s - 5, false)) return false;
      if (ctx.checkPubTopicBytes && !topicBytesOk(ctx, op, confirmId, b, s + 5, topicLen)) return false;
      h.onPub(confirmId, b, s + 5, topicLen, payloadStart, e);
      return true;
    }
    case Op.MSG: {
      // §3.8: sid u32 | seq u64 | flags u8 | delivery_count u16 | payload.
      const sid = u32(b, s);
      const seq = u64(b, s + 4);
      const flags = b[s + 12]!;
      if (sid === 0) return sidZero(ctx, op, 'MSG');
      if (seq === UNSAFE) return unsafe(ctx, op, sid, 'MSG', 'seq');
      if ((flags & ~MSG_FLAGS_MASK) !== 0)
        return malformed(ctx, op, sid, `MSG flags 0x${flags.toString(16)} set undefined bits`);
      h.onMsg(sid, seq, flags, u16(b, s + 13), b, s + 15, e);
      return true;
    }
    case Op.ACK: {
      const sid = u32(b, s);
      const seq = u64(b, s + 4);
      if (sid === 0) return sidZero(ctx, op, 'ACK');
      if (seq === UNSAFE) return unsafe(ctx, op, sid, 'ACK', 'seq');
      h.onAck(sid, seq);
      return true;
    }
    case Op.PUBACK: {
      const confirmId = u32(b, s);
      const seq = u64(b, s + 4);
      if (confirmId === 0)
        return malformed(ctx, op, 0, 'PUBACK confirm_id is 0; only a PUB with a confirm_id gets one');
      if (seq === UNSAFE) return unsafe(ctx, op, confirmId, 'PUBACK', 'seq');
      h.onPubAck(confirmId, seq);
      return true;
    }
    case Op.PING:
      h.onPing();
      return true;
    case Op.PONG:
      h.onPong();
      return true;
    case Op.SUB:
      return sub(ctx, h, b, s, e);
    case Op.UNSUB:
    case Op.UNSUB_ACK: {
      const sid = u32(b, s);
      if (sid === 0) return sidZero(ctx, op, op === Op.UNSUB ? 'UNSUB' : 'UNSUB_ACK');
      if (op === Op.UNSUB) h.onUnsub(sid);
      else h.onUnsubAck(sid);
      return true;
    }
    case Op.SUB_ACK: {
      const sid = u32(b, s);
      const nextSeq = u64(b, s + 4);
      if (sid === 0) return sidZero(ctx, op, 'SUB_ACK');
      if (nextSeq === UNSAFE) return unsafe(ctx, op, sid, 'SUB_ACK', 'next_seq');
      h.onSubAck(sid, nextSeq);
      return true;
    }
    case Op.LAGGED: {
      const sid = u32(b, s);
      const fromSeq = u64(b, s + 4);
      const count = u64(b, s + 12);
      if (sid === 0) return sidZero(ctx, op, 'LAGGED');
      if (fromSeq === UNSAFE) return unsafe(ctx, op, sid, 'LAGGED', 'from_seq');
      if (count === UNSAFE) return unsafe(ctx, op, sid, 'LAGGED', 'count');
      h.onLagged(sid, fromSeq, count);
      return true;
    }
    case Op.HELLO:
      return hello(ctx, h, b, s, e);
    case Op.WELCOME:
      return welcome(ctx, h, b, s, e);
    case Op.ERR:
      return err(ctx, h, b, s, e);
    case Op.RELOAD: {
      // §3.15: request_id u32, nothing else (the length bounds fixed the size).
      const requestId = u32(b, s);
      if (h.onReload === undefined) return notTaken(ctx, op, requestId, 'RELOAD');
      h.onReload(requestId);
      return true;
    }
    case Op.RELOAD_RESULT:
      return reloadResult(ctx, h, b, s, e);
  }
  // Unreachable: the decoder passes only ops that passed its direction table (§1.4).
  return false;
}

/** §6.8: an admin op reached a handler that takes none; it is refused as an op this peer does not know. */
function notTaken(ctx: BodyContext, op: number, ref: number, frame: string): false {
  ctx.fail('UNKNOWN_OP', `${frame} is an admin op this peer does not take`, op, ref);
  return false;
}

/** §3.4: sid u32 | start_kind u8 | start_value u64 | topic_len u8 | topic, nothing after. */
function sub(ctx: BodyContext, h: FrameHandler, b: Buffer, s: number, e: number): boolean {
  const sid = u32(b, s);
  const kind = b[s + 4]!;
  const value = u64(b, s + 5);
  const topicLen = b[s + 13]!;
  if (sid === 0) return sidZero(ctx, Op.SUB, 'SUB');
  if (kind > 2) return malformed(ctx, Op.SUB, sid, `SUB start_kind ${kind} is not 0, 1 or 2`);
  if (value === UNSAFE) return unsafe(ctx, Op.SUB, sid, 'SUB', 'start_value');
  if (kind === 0 && value !== 0)
    return malformed(ctx, Op.SUB, sid, 'SUB start_value must be 0 when start_kind is 0');
  if (!topicFits(ctx, Op.SUB, sid, 'SUB', topicLen, e - s - 14, true)) return false;
  if (!topicBytesOk(ctx, Op.SUB, sid, b, s + 14, topicLen)) return false;
  h.onSub(sid, kind as StartKind, value, b, s + 14, topicLen);
  return true;
}

/** A UTF-8 field `b[start, start + len)` as a string, or undefined when not valid UTF-8. */
function text(b: Buffer, start: number, len: number): string | undefined {
  const bytes = b.subarray(start, start + len);
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** §3.1: version u8 | flags u8 | name_len u16 | name | token_len u16 | token, nothing after. */
function hello(ctx: BodyContext, h: FrameHandler, b: Buffer, s: number, e: number): boolean {
  const version = b[s]!;
  if (version !== PROTOCOL_VERSION) {
    const msg = `the client speaks protocol version ${version}; this server speaks ${PROTOCOL_VERSION}`;
    ctx.fail('UNSUPPORTED_VERSION', msg, Op.HELLO, 0);
    return false;
  }
  if (b[s + 1] !== 0) return malformed(ctx, Op.HELLO, 0, 'HELLO flags must be 0');
  const nameLen = u16(b, s + 2);
  if (nameLen > MAX_CLIENT_NAME) {
    return malformed(ctx, Op.HELLO, 0, `HELLO name_len ${nameLen} is over ${MAX_CLIENT_NAME}`);
  }
  const tokenAt = s + 4 + nameLen;
  if (tokenAt + 2 > e)
    return malformed(ctx, Op.HELLO, 0, `HELLO name_len ${nameLen} runs past the end of the frame`);
  const tokenLen = u16(b, tokenAt);
  if (tokenLen > MAX_TOKEN)
    return malformed(ctx, Op.HELLO, 0, `HELLO token_len ${tokenLen} is over ${MAX_TOKEN}`);
  const end = tokenAt + 2 + tokenLen;
  if (end !== e)
    return malformed(ctx, Op.HELLO, 0, `HELLO token_len ${tokenLen} does not end at the end of the frame`);
  const name = text(b, s + 4, nameLen);
  if (name === undefined) return malformed(ctx, Op.HELLO, 0, 'HELLO name is not valid UTF-8');
  ctx.handshakeComplete();
  // Copied so that keeping the token never pins the chunk it came in (<= 1 KiB, once per connection).
  h.onHello(version, name, Buffer.from(b.subarray(tokenAt + 2, end)));
  return true;
}

/** §3.2: version u8 | flags u8 | max_frame_size u32 | heartbeat_interval_ms u32 | name_len u16 | name. */
function welcome(ctx: BodyContext, h: FrameHandler, b: Buffer, s: number, e: number): boolean {
  const version = b[s]!;
  if (version !== PROTOCOL_VERSION) {
    const msg = `the server speaks protocol version ${version}; this client speaks ${PROTOCOL_VERSION}`;
    ctx.fail('UNSUPPORTED_VERSION', msg, Op.WELCOME, 0);
    return false;
  }
  if (b[s + 1] !== 0) return malformed(ctx, Op.WELCOME, 0, 'WELCOME flags must be 0');
  const nameLen = u16(b, s + 10);
  if (nameLen > MAX_SERVER_NAME) {
    return malformed(ctx, Op.WELCOME, 0, `WELCOME server_name_len ${nameLen} is over ${MAX_SERVER_NAME}`);
  }
  if (s + 12 + nameLen !== e) {
    return malformed(
      ctx,
      Op.WELCOME,
      0,
      `WELCOME server_name_len ${nameLen} does not end at the end of the frame`,
    );
  }
  const name = text(b, s + 12, nameLen);
  if (name === undefined) return malformed(ctx, Op.WELCOME, 0, 'WELCOME server_name is not valid UTF-8');
  ctx.handshakeComplete();
  h.onWelcome(version, u32(b, s + 2), u32(b, s + 6), name);
  return true;
}

/** §3.13: code u16 | ref_op u8 | ref u32 | text_len u16 | text, nothing after. */
function err(ctx: BodyContext, h: FrameHandler, b: Buffer, s: number, e: number): boolean {
  const textLen = u16(b, s + 7);
  if (textLen > MAX_ERR_TEXT)
    return malformed(ctx, Op.ERR, 0, `ERR text_len ${textLen} is over ${MAX_ERR_TEXT}`);
  if (s + 9 + textLen !== e)
    return malformed(ctx, Op.ERR, 0, `ERR text_len ${textLen} does not end at the end of the frame`);
  const message = text(b, s + 9, textLen);
  if (message === undefined) return malformed(ctx, Op.ERR, 0, 'ERR text is not valid UTF-8');
  h.onErr(u16(b, s), b[s + 2]!, u32(b, s + 3), message);
  return true;
}

/** §3.16: request_id u32 | status u8 | code u16 | text_len u16 | text, nothing after. */
function reloadResult(ctx: BodyContext, h: FrameHandler, b: Buffer, s: number, e: number): boolean {
  const requestId = u32(b, s);
  const status = b[s + 4]!;
  const code = u16(b, s + 5);
  const textLen = u16(b, s + 7);
  const op = Op.RELOAD_RESULT;
  if (status > ReloadStatus.Rejected) {
    return malformed(ctx, op, requestId, `RELOAD_RESULT status ${status} is not 0, 1 or 2`);
  }
  if ((status === ReloadStatus.Rejected) !== (code !== 0)) {
    return malformed(
      ctx,
      op,
      requestId,
      'RELOAD_RESULT code must be set exactly when status is 2 (rejected)',
    );
  }
  if (textLen > MAX_REPORT_TEXT) {
    return malformed(ctx, op, requestId, `RELOAD_RESULT text_len ${textLen} is over ${MAX_REPORT_TEXT}`);
  }
  if (s + 9 + textLen !== e) {
    return malformed(
      ctx,
      op,
      requestId,
      `RELOAD_RESULT text_len ${textLen} does not end at the end of the frame`,
    );
  }
  const report = text(b, s + 9, textLen);
  if (report === undefined) return malformed(ctx, op, requestId, 'RELOAD_RESULT text is not valid UTF-8');
  if (h.onReloadResult === undefined) return notTaken(ctx, op, requestId, 'RELOAD_RESULT');
  h.onReloadResult(requestId, status as ReloadStatus, code, report);
  return true;
}
