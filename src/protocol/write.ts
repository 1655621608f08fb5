/**
 * Hot-path frame writers: each writes one frame (or a frame's header) into a caller's buffer at
 * `offset` and returns the offset after it, allocating nothing. They do not check their
 * arguments (the callers are the server and client, which hold values already in range); the
 * checking encoders in encode.ts are built on them. Layouts: docs/protocol.md §3.
 */
import {
  ACK_FRAME_SIZE,
  FRAME_HEADER_SIZE,
  LAGGED_FRAME_SIZE,
  MAX_DELIVERY_COUNT,
  MSG_HEADER_SIZE,
  PUB_HEADER_SIZE,
  PUBACK_FRAME_SIZE,
  SUB_ACK_FRAME_SIZE,
  UNSUB_ACK_FRAME_SIZE,
  UNSUB_FRAME_SIZE,
} from './limits.ts';
import { Op } from './ops.ts';

const TWO_32 = 0x1_0000_0000;

/** Writes a u32 big-endian; Uint8Array stores keep the low 8 bits of each shifted value. */
export function writeU32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = value >>> 16;
  target[offset + 2] = value >>> 8;
  target[offset + 3] = value;
}

/** Writes a u64 big-endian from a number in 0..2^53-1 as two u32 halves (§1.5): no BigInt. */
export function writeU64(target: Uint8Array, offset: number, value: number): void {
  const lo = value >>> 0;
  writeU32(target, offset, (value - lo) / TWO_32);
  writeU32(target, offset + 4, lo);
}

/** Writes a u16 big-endian. */
export function writeU16(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 8;
  target[offset + 1] = value;
}

/** Frame header (§1.2): `length` counts the op byte and the body. Returns offset + 5. */
export function writeFrameHeader(target: Uint8Array, offset: number, length: number, op: number): number {
  writeU32(target, offset, length);
  target[offset + 4] = op;
  return offset + FRAME_HEADER_SIZE;
}

/**
 * MSG header (§3.8): 20 bytes; copy the payload right after the returned offset. A
 * `deliveryCount` above 65535 is sent as 65535.
 */
export function writeMsgHeader(
  target: Uint8Array,
  offset: number,
  sid: number,
  seq: number,
  flags: number,
  deliveryCount: number,
  payloadLength: number,
): number {
  writeFrameHeader(target, offset, MSG_HEADER_SIZE - 4 + payloadLength, Op.MSG);
  writeU32(target, offset + 5, sid);
  writeU64(target, offset + 9, seq);
  target[offset + 17] = flags;
  writeU16(target, offset + 18, Math.min(deliveryCount, MAX_DELIVERY_COUNT));
  return offset + MSG_HEADER_SIZE;
}

/**
 * `writeMsgHeader` through a DataView of the target (offsets as the view's), a few wide stores in
 * place of twenty byte stores: the server writes one per delivery. DataView stores are
 * big-endian unless told otherwise, as the protocol is (§1.5).
 */
export function writeMsgHeaderView(
  target: DataView,
  offset: number,
  sid: number,
  seq: number,
  flags: number,
  deliveryCount: number,
  payloadLength: number,
): number {
  target.setUint32(offset, MSG_HEADER_SIZE - 4 + payloadLength);
  target.setUint8(offset + 4, Op.MSG);
  target.setUint32(offset + 5, sid);
  const lo = seq >>> 0;
  target.setUint32(offset + 9, (seq - lo) / TWO_32);
  target.setUint32(offset + 13, lo);
  target.setUint8(offset + 17, flags);
  target.setUint16(offset + 18, Math.min(deliveryCount, MAX_DELIVERY_COUNT));
  return offset + MSG_HEADER_SIZE;
}

/**
 * PUB header and topic (§3.3): 10 bytes plus the topic; copy the payload right after the
 * returned offset. `topic` must already be valid (encodeTopic).
 */
export function writePubHeader(
  target: Uint8Array,
  offset: number,
  confirmId: number,
  topic: Uint8Array,
  payloadLength: number,
): number {
  const topicLen = topic.length;
  writeFrameHeader(target, offset, PUB_HEADER_SIZE - 4 + topicLen + payloadLength, Op.PUB);
  writeU32(target, offset + 5, confirmId);
  target[offset + 9] = topicLen;
  let o = offset + PUB_HEADER_SIZE;
  // Topics are short: a byte loop beats TypedArray.set's call overhead here.
  for (let i = 0; i < topicLen; i++) target[o++] = topic[i]!;
  return o;
}

/** PUBACK (§3.11), 17 bytes. */
export function writePubAck(target: Uint8Array, offset: number, confirmId: number, seq: number): number {
  writeFrameHeader(target, offset, PUBACK_FRAME_SIZE - 4, Op.PUBACK);
  writeU32(target, offset + 5, confirmId);
  writeU64(target, offset + 9, seq);
  return offset + PUBACK_FRAME_SIZE;
}

/** SUB_ACK (§3.9), 17 bytes. */
export function writeSubAck(target: Uint8Array, offset: number, sid: number, nextSeq: number): number {
  writeFrameHeader(target, offset, SUB_ACK_FRAME_SIZE - 4, Op.SUB_ACK);
  writeU32(target, offset + 5, sid);
  writeU64(target, offset + 9, nextSeq);
  return offset + SUB_ACK_FRAME_SIZE;
}

/** UNSUB_ACK (§3.10), 9 bytes. */
export function writeUnsubAck(target: Uint8Array, offset: number, sid: number): number {
  writeFrameHeader(target, offset, UNSUB_ACK_FRAME_SIZE - 4, Op.UNSUB_ACK);
  writeU32(target, offset + 5, sid);
  return offset + UNSUB_ACK_FRAME_SIZE;
}

/** LAGGED (§3.12), 25 bytes. */
export function writeLagged(
  target: Uint8Array,
  offset: number,
  sid: number,
  fromSeq: number,
  count: number,
): number {
  writeFrameHeader(target, offset, LAGGED_FRAME_SIZE - 4, Op.LAGGED);
  writeU32(target, offset + 5, sid);
  writeU64(target, offset + 9, fromSeq);
  writeU64(target, offset + 17, count);
  return offset + LAGGED_FRAME_SIZE;
}

/** UNSUB (§3.5), 9 bytes. */
export function writeUnsub(target: Uint8Array, offset: number, sid: number): number {
  writeFrameHeader(target, offset, UNSUB_FRAME_SIZE - 4, Op.UNSUB);
  writeU32(target, offset + 5, sid);
  return offset + UNSUB_FRAME_SIZE;
}

/** ACK (§3.6), 17 bytes. */
export function writeAck(target: Uint8Array, offset: number, sid: number, seq: number): number {
  writeFrameHeader(target, offset, ACK_FRAME_SIZE - 4, Op.ACK);
  writeU32(target, offset + 5, sid);
  writeU64(target, offset + 9, seq);
  return offset + ACK_FRAME_SIZE;
}

/** PING (§3.7), 5 bytes. */
export function writePing(target: Uint8Array, offset: number): number {
  return writeFrameHeader(target, offset, 1, Op.PING);
}

/** PONG (§3.7), 5 bytes. */
export function writePong(target: Uint8Array, offset: number): number {
  return writeFrameHeader(target, offset, 1, Op.PONG);
}
