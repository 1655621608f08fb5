/**
 * Pure encoders: one per op, each checking its arguments and returning a new Buffer holding one
 * whole frame (docs/protocol.md §3). Tests, tools, benchmarks and the SDK's control frames use
 * these; per-message paths use the allocation-free writers in write.ts.
 */
import { ERROR_CATALOG, type ErrorCode, MyceliumError } from '../errors.ts';
import type { Frame } from './frames.ts';
import {
  FRAME_HEADER_SIZE,
  MAX_CLIENT_NAME,
  MAX_ERR_TEXT,
  MAX_FRAME_LENGTH_FIELD,
  MAX_ID,
  MAX_SAFE_SEQ,
  MAX_SERVER_NAME,
  MAX_TOKEN,
  MSG_HEADER_SIZE,
  PING_FRAME_SIZE,
  PONG_FRAME_SIZE,
  PUB_HEADER_SIZE,
  PUBACK_FRAME_SIZE,
  SUB_ACK_FRAME_SIZE,
  SUB_HEADER_SIZE,
  UNSUB_ACK_FRAME_SIZE,
  UNSUB_FRAME_SIZE,
  ACK_FRAME_SIZE,
  LAGGED_FRAME_SIZE,
  MAX_REPORT_TEXT,
  RELOAD_FRAME_SIZE,
  RELOAD_RESULT_HEADER_SIZE,
} from './limits.ts';
import { MSG_FLAGS_MASK, Op, PROTOCOL_VERSION, ReloadStatus, StartKind } from './ops.ts';
import { encodeTopic, topicBytesProblem } from './topic.ts';
import {
  writeAck,
  writeFrameHeader,
  writeLagged,
  writeMsgHeader,
  writePing,
  writePong,
  writePubAck,
  writePubHeader,
  writeSubAck,
  writeU16,
  writeU32,
  writeU64,
  writeUnsub,
  writeUnsubAck,
} from './write.ts';

const EMPTY = Buffer.alloc(0);

function invalid(message: string): MyceliumError {
  return new MyceliumError('INVALID_ARGUMENT', message);
}

function checkInt(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${what} must be an integer in ${min}..${max} (got ${value})`);
  }
}

const checkSid = (sid: number): void => checkInt('sid', sid, 1, MAX_ID);
const checkSeq = (what: string, value: number): void => checkInt(what, value, 0, MAX_SAFE_SEQ);

function checkLength(length: number): void {
  if (length > MAX_FRAME_LENGTH_FIELD)
    throw invalid(`frame length ${length} does not fit the u32 length field`);
}

/** A topic as wire bytes, checked against §3.14 (throws INVALID_TOPIC). */
function topicBytes(topic: string | Uint8Array): Uint8Array {
  if (typeof topic === 'string') return encodeTopic(topic);
  const problem = topicBytesProblem(topic, 0, topic.length);
  if (problem !== undefined) throw new MyceliumError('INVALID_TOPIC', problem);
  return topic;
}

/** UTF-8 bytes of `text`, refused when longer than `max`. */
function utf8(what: string, text: string, max: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > max) throw invalid(`${what} is ${bytes.length} UTF-8 bytes; the limit is ${max}`);
  return bytes;
}

/** HELLO (§3.1): the client's first frame. `token` is sent as UTF-8 when a string. */
export function encodeHello(
  name: string,
  token: string | Uint8Array = EMPTY,
  version: number = PROTOCOL_VERSION,
): Buffer {
  checkInt('version', version, 0, 0xff);
  const nameBytes = utf8('client name', name, MAX_CLIENT_NAME);
  const tokenBytes = typeof token === 'string' ? Buffer.from(token, 'utf8') : token;
  if (tokenBytes.length > MAX_TOKEN) {
    throw invalid(`token is ${tokenBytes.length} bytes; the limit is ${MAX_TOKEN}`);
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 6 + nameBytes.length + tokenBytes.length);
  let o = writeFrameHeader(out, 0, out.length - 4, Op.HELLO);
  out[o++] = version;
  out[o++] = 0; // flags, reserved (§3.1)
  writeU16(out, o, nameBytes.length);
  o += 2 + nameBytes.copy(out, o + 2);
  writeU16(out, o, tokenBytes.length);
  out.set(tokenBytes, o + 2);
  return out;
}

/** WELCOME (§3.2): the server's answer to a good HELLO. */
export function encodeWelcome(
  maxFrameSize: number,
  heartbeatIntervalMs: number,
  serverName: string,
  version: number = PROTOCOL_VERSION,
): Buffer {
  checkInt('version', version, 0, 0xff);
  checkInt('maxFrameSize', maxFrameSize, 0, MAX_FRAME_LENGTH_FIELD);
  checkInt('heartbeatIntervalMs', heartbeatIntervalMs, 0, 0xffff_ffff);
  const nameBytes = utf8('server name', serverName, MAX_SERVER_NAME);
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 12 + nameBytes.length);
  let o = writeFrameHeader(out, 0, out.length - 4, Op.WELCOME);
  out[o++] = version;
  out[o++] = 0; // flags, reserved (§3.2)
  writeU32(out, o, maxFrameSize);
  writeU32(out, o + 4, heartbeatIntervalMs);
  writeU16(out, o + 8, nameBytes.length);
  nameBytes.copy(out, o + 10);
  return out;
}

/** PUB (§3.3). `confirmId` 0 publishes without a confirm. */
export function encodePub(topic: string | Uint8Array, payload: Uint8Array, confirmId = 0): Buffer {
  checkInt('confirmId', confirmId, 0, MAX_ID);
  const t = topicBytes(topic);
  const size = PUB_HEADER_SIZE + t.length + payload.length;
  checkLength(size - 4);
  const out = Buffer.allocUnsafe(size);
  out.set(payload, writePubHeader(out, 0, confirmId, t, payload.length));
  return out;
}

/** SUB (§3.4). `startValue` must be 0 for StartKind.New. */
export function encodeSub(
  sid: number,
  topic: string | Uint8Array,
  startKind: StartKind = StartKind.New,
  startValue = 0,
): Buffer {
  checkSid(sid);
  checkInt('startKind', startKind, StartKind.New, StartKind.LastN);
  checkSeq('startValue', startValue);
  if (startKind === StartKind.New && startValue !== 0)
    throw invalid('startValue must be 0 when startKind is New');
  const t = topicBytes(topic);
  const out = Buffer.allocUnsafe(SUB_HEADER_SIZE + t.length);
  writeFrameHeader(out, 0, out.length - 4, Op.SUB);
  writeU32(out, 5, sid);
  out[9] = startKind;
  writeU64(out, 10, startValue);
  out[18] = t.length;
  out.set(t, SUB_HEADER_SIZE);
  return out;
}

/** UNSUB (§3.5). */
export function encodeUnsub(sid: number): Buffer {
  checkSid(sid);
  const out = Buffer.allocUnsafe(UNSUB_FRAME_SIZE);
  writeUnsub(out, 0, sid);
  return out;
}

/** ACK (§3.6). */
export function encodeAck(sid: number, seq: number): Buffer {
  checkSid(sid);
  checkSeq('seq', seq);
  const out = Buffer.allocUnsafe(ACK_FRAME_SIZE);
  writeAck(out, 0, sid, seq);
  return out;
}

/** PING (§3.7). */
export function encodePing(): Buffer {
  const out = Buffer.allocUnsafe(PING_FRAME_SIZE);
  writePing(out, 0);
  return out;
}

/** PONG (§3.7). */
export function encodePong(): Buffer {
  const out = Buffer.allocUnsafe(PONG_FRAME_SIZE);
  writePong(out, 0);
  return out;
}

/** MSG (§3.8). `flags` holds MsgFlags bits; a `deliveryCount` above 65535 is sent as 65535. */
export function encodeMsg(
  sid: number,
  seq: number,
  payload: Uint8Array,
  flags = 0,
  deliveryCount = 1,
): Buffer {
  checkSid(sid);
  checkSeq('seq', seq);
  if (!Number.isInteger(flags) || (flags & ~MSG_FLAGS_MASK) !== 0 || flags < 0) {
    throw invalid(`flags must use only the defined bits 0x${MSG_FLAGS_MASK.toString(16)} (got ${flags})`);
  }
  checkInt('deliveryCount', deliveryCount, 0, Number.MAX_SAFE_INTEGER);
  const size = MSG_HEADER_SIZE + payload.length;
  checkLength(size - 4);
  const out = Buffer.allocUnsafe(size);
  out.set(payload, writeMsgHeader(out, 0, sid, seq, flags, deliveryCount, payload.length));
  return out;
}

/** SUB_ACK (§3.9). */
export function encodeSubAck(sid: number, nextSeq: number): Buffer {
  checkSid(sid);
  checkSeq('nextSeq', nextSeq);
  const out = Buffer.allocUnsafe(SUB_ACK_FRAME_SIZE);
  writeSubAck(out, 0, sid, nextSeq);
  return out;
}

/** UNSUB_ACK (§3.10). */
export function encodeUnsubAck(sid: number): Buffer {
  checkSid(sid);
  const out = Buffer.allocUnsafe(UNSUB_ACK_FRAME_SIZE);
  writeUnsubAck(out, 0, sid);
  return out;
}

/** PUBACK (§3.11): `confirmId` is the PUB's, never 0. */
export function encodePubAck(confirmId: number, seq: number): Buffer {
  checkInt('confirmId', confirmId, 1, MAX_ID);
  checkSeq('seq', seq);
  const out = Buffer.allocUnsafe(PUBACK_FRAME_SIZE);
  writePubAck(out, 0, confirmId, seq);
  return out;
}

/** LAGGED (§3.12). */
export function encodeLagged(sid: number, fromSeq: number, count: number): Buffer {
  checkSid(sid);
  checkSeq('fromSeq', fromSeq);
  checkSeq('count', count);
  const out = Buffer.allocUnsafe(LAGGED_FRAME_SIZE);
  writeLagged(out, 0, sid, fromSeq, count);
  return out;
}

/** `text` cut to at most `max` UTF-8 bytes without splitting a character. */
function utf8Within(text: string, max: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return bytes;
  let end = max;
  // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * ERR (§3.13). `code` is a catalog code or a wire number; `refOp`/`ref` point at the frame it
 * answers (0 when none). Text longer than 1024 UTF-8 bytes is cut at a character boundary, so
 * reporting an error never fails.
 */
export function encodeErr(code: ErrorCode | number, refOp: number, ref: number, text: string): Buffer {
  const wire = typeof code === 'number' ? code : ERROR_CATALOG[code].wire;
  checkInt('code', wire, 0, 0xffff);
  checkInt('refOp', refOp, 0, 0xff);
  checkInt('ref', ref, 0, MAX_ID);
  const textBytes = utf8Within(text, MAX_ERR_TEXT);
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 9 + textBytes.length);
  writeFrameHeader(out, 0, out.length - 4, Op.ERR);
  writeU16(out, 5, wire);
  out[7] = refOp;
  writeU32(out, 8, ref);
  writeU16(out, 12, textBytes.length);
  textBytes.copy(out, 14);
  return out;
}

/** RELOAD (§3.15): asks the server to reload its configuration file; `requestId` comes back in the answer. */
export function encodeReload(requestId: number): Buffer {
  checkInt('requestId', requestId, 0, MAX_ID);
  const out = Buffer.allocUnsafe(RELOAD_FRAME_SIZE);
  writeFrameHeader(out, 0, RELOAD_FRAME_SIZE - 4, Op.RELOAD);
  writeU32(out, 5, requestId);
  return out;
}

/**
 * RELOAD_RESULT (§3.16). `code` (a catalog code or wire number) is given exactly when `status` is
 * Rejected. The report text must fit MAX_REPORT_TEXT UTF-8 bytes (the server cuts it to fit).
 */
export function encodeReloadResult(
  requestId: number,
  status: ReloadStatus,
  code: ErrorCode | number,
  text: string,
): Buffer {
  checkInt('requestId', requestId, 0, MAX_ID);
  checkInt('status', status, ReloadStatus.Applied, ReloadStatus.Rejected);
  const wire = typeof code === 'number' ? code : ERROR_CATALOG[code].wire;
  checkInt('code', wire, 0, 0xffff);
  if ((status === ReloadStatus.Rejected) !== (wire !== 0)) {
    throw invalid('code must be set (non-zero) exactly when status is Rejected');
  }
  const textBytes = utf8('report text', text, MAX_REPORT_TEXT);
  const out = Buffer.allocUnsafe(RELOAD_RESULT_HEADER_SIZE + textBytes.length);
  writeFrameHeader(out, 0, out.length - 4, Op.RELOAD_RESULT);
  writeU32(out, 5, requestId);
  out[9] = status;
  writeU16(out, 10, wire);
  writeU16(out, 12, textBytes.length);
  textBytes.copy(out, RELOAD_RESULT_HEADER_SIZE);
  return out;
}

/** Any frame from its plain object: `encodeFrame(f)` decodes back to `f` (decodeAll). */
export function encodeFrame(frame: Frame): Buffer {
  switch (frame.op) {
    case 'HELLO':
      return encodeHello(frame.name, frame.token, frame.version);
    case 'WELCOME':
      return encodeWelcome(frame.maxFrameSize, frame.heartbeatIntervalMs, frame.serverName, frame.version);
    case 'PUB':
      return encodePub(frame.topic, frame.payload, frame.confirmId);
    case 'SUB':
      return encodeSub(frame.sid, frame.topic, frame.startKind, frame.startValue);
    case 'UNSUB':
      return encodeUnsub(frame.sid);
    case 'ACK':
      return encodeAck(frame.sid, frame.seq);
    case 'PING':
      return encodePing();
    case 'PONG':
      return encodePong();
    case 'MSG':
      return encodeMsg(frame.sid, frame.seq, frame.payload, frame.flags, frame.deliveryCount);
    case 'SUB_ACK':
      return encodeSubAck(frame.sid, frame.nextSeq);
    case 'UNSUB_ACK':
      return encodeUnsubAck(frame.sid);
    case 'PUBACK':
      return encodePubAck(frame.confirmId, frame.seq);
    case 'LAGGED':
      return encodeLagged(frame.sid, frame.fromSeq, frame.count);
    case 'ERR':
      return encodeErr(frame.code, frame.refOp, frame.ref, frame.text);
    case 'RELOAD':
      return encodeReload(frame.requestId);
    case 'RELOAD_RESULT':
      return encodeReloadResult(frame.requestId, frame.status, frame.code, frame.text);
  }
}

/** Several frames back to back in one Buffer, as a peer would send them. */
export function encodeFrames(frames: readonly Frame[]): Buffer {
  return Buffer.concat(frames.map(encodeFrame));
}
