/**
 * Frames as plain objects, for tests and tools (not the hot path): a handler that records every
 * frame and error in order, and `decodeAll`, the inverse of `encodeFrame`.
 */
import { ProtocolError } from '../errors.ts';
import { FrameDecoder } from './decode.ts';
import type { Frame, FrameError, FrameHandler } from './frames.ts';
import { DEFAULT_MAX_FRAME_SIZE } from './limits.ts';
import type { ReloadStatus, Side, StartKind } from './ops.ts';

/** A handler that turns every call into a plain object (copying byte ranges) kept in order. */
export class FrameCollector implements FrameHandler {
  /** Frames and errors in the order the decoder reported them. */
  readonly events: Array<Frame | FrameError> = [];

  /** Just the frames. */
  get frames(): Frame[] {
    return this.events.filter((e): e is Frame => !(e instanceof Error));
  }

  /** Just the errors. */
  get errors(): FrameError[] {
    return this.events.filter((e): e is FrameError => e instanceof Error);
  }

  onHello(version: number, name: string, token: Buffer): void {
    this.events.push({ op: 'HELLO', version, name, token });
  }
  onWelcome(version: number, maxFrameSize: number, heartbeatIntervalMs: number, serverName: string): void {
    this.events.push({ op: 'WELCOME', version, maxFrameSize, heartbeatIntervalMs, serverName });
  }
  onPub(
    confirmId: number,
    buf: Buffer,
    topicStart: number,
    topicLen: number,
    payloadStart: number,
    payloadEnd: number,
  ): void {
    const topic = buf.toString('latin1', topicStart, topicStart + topicLen);
    this.events.push({
      op: 'PUB',
      confirmId,
      topic,
      payload: Buffer.from(buf.subarray(payloadStart, payloadEnd)),
    });
  }
  onSub(
    sid: number,
    startKind: StartKind,
    startValue: number,
    buf: Buffer,
    topicStart: number,
    topicLen: number,
  ): void {
    const topic = buf.toString('latin1', topicStart, topicStart + topicLen);
    this.events.push({ op: 'SUB', sid, startKind, startValue, topic });
  }
  onUnsub(sid: number): void {
    this.events.push({ op: 'UNSUB', sid });
  }
  onAck(sid: number, seq: number): void {
    this.events.push({ op: 'ACK', sid, seq });
  }
  onPing(): void {
    this.events.push({ op: 'PING' });
  }
  onPong(): void {
    this.events.push({ op: 'PONG' });
  }
  onMsg(
    sid: number,
    seq: number,
    flags: number,
    deliveryCount: number,
    buf: Buffer,
    payloadStart: number,
    payloadEnd: number,
  ): void {
    const payload = Buffer.from(buf.subarray(payloadStart, payloadEnd));
    this.events.push({ op: 'MSG', sid, seq, flags, deliveryCount, payload });
  }
  onSubAck(sid: number, nextSeq: number): void {
    this.events.push({ op: 'SUB_ACK', sid, nextSeq });
  }
  onUnsubAck(sid: number): void {
    this.events.push({ op: 'UNSUB_ACK', sid });
  }
  onPubAck(confirmId: number, seq: number): void {
    this.events.push({ op: 'PUBACK', confirmId, seq });
  }
  onLagged(sid: number, fromSeq: number, count: number): void {
    this.events.push({ op: 'LAGGED', sid, fromSeq, count });
  }
  onErr(code: number, refOp: number, ref: number, text: string): void {
    this.events.push({ op: 'ERR', code, refOp, ref, text });
  }
  onReload(requestId: number): void {
    this.events.push({ op: 'RELOAD', requestId });
  }
  onReloadResult(requestId: number, status: ReloadStatus, code: number, text: string): void {
    this.events.push({ op: 'RELOAD_RESULT', requestId, status, code, text });
  }
  onError(err: FrameError): void {
    this.events.push(err);
  }
}

/** Options of {@link decodeAll}. */
export interface DecodeAllOptions {
  /** Largest frame `length` accepted (default 8 MiB). */
  readonly maxFrameSize?: number;
  /** Check the handshake order of §2 (default false: frames are decoded out of context). */
  readonly enforceHandshake?: boolean;
}

/**
 * Decodes a complete byte string of frames sent to `side` into plain objects.
 * @throws FrameError for the first frame refused (fatal or not)
 * @throws ProtocolError MALFORMED_FRAME when the bytes end inside a frame
 */
export function decodeAll(bytes: Uint8Array, side: Side, options: DecodeAllOptions = {}): Frame[] {
  const collector = new FrameCollector();
  const decoder = new FrameDecoder(collector, {
    side,
    maxFrameSize: options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
    enforceHandshake: options.enforceHandshake ?? false,
  });
  decoder.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const first = collector.errors[0];
  if (first !== undefined) throw first;
  if (decoder.midFrame) throw new ProtocolError('MALFORMED_FRAME', 'the input ends inside a frame');
  return collector.frames;
}
