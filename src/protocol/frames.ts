/**
 * The shapes frames take once decoded: the allocation-free handler interfaces the server and
 * client implement, the plain objects tests and tools use, and the error a decoder reports.
 */
import { type ErrorCode, ProtocolError } from '../errors.ts';
import type { ReloadStatus, StartKind } from './ops.ts';

/**
 * A frame a decoder refused, with what an ERR reply needs to point at it (docs/protocol.md §3.13):
 * `refOp` is the op of the offending frame (0 when the frame was refused before its op byte was
 * read), `ref` its confirm id (PUB) or sid (SUB, UNSUB, ACK) when that much could be read, else 0.
 * `fatal` (from the catalog) says whether the decoder stopped.
 */
export class FrameError extends ProtocolError {
  readonly refOp: number;
  readonly ref: number;

  constructor(code: ErrorCode, message: string, refOp: number, ref: number) {
    super(code, message);
    this.name = 'FrameError';
    this.refOp = refOp;
    this.ref = ref;
  }
}

/** Calls both sides take: PING and PONG travel either way, and errors. */
export interface FrameHandlerBase {
  /** PING arrived; answer with PONG (§3.7). */
  onPing(): void;
  /** PONG arrived (§3.7). */
  onPong(): void;
  /**
   * The input broke a rule. When `err.fatal` the decoder has stopped and ignores further input;
   * otherwise (INVALID_TOPIC) it goes on with the next frame. Never called for anything else.
   */
  onError(err: FrameError): void;
}

/**
 * What a decoder running in the server calls, once per client frame, synchronously inside
 * `push`. Byte ranges point into `buf`, which is either the chunk given to `push` (when the whole
 * frame was inside it) or a buffer holding just that frame: no string is made and nothing is
 * copied for a frame that arrived whole. The decoder never writes to a buffer it handed out, so
 * the bytes stay valid as long as the pushed chunk's bytes do; do not modify them. Keeping a
 * range (a subarray) keeps the whole chunk alive: copy what you keep beyond the call.
 */
export interface ServerFrameHandler extends FrameHandlerBase {
  /** HELLO (§3.1): the version is always PROTOCOL_VERSION (others are UNSUPPORTED_VERSION). */
  onHello(version: number, name: string, token: Buffer): void;
  /**
   * PUB (§3.3). The topic is `buf[topicStart, topicStart + topicLen)`, valid by §3.14 unless the
   * decoder was made with `checkPubTopicBytes: false`; the payload is `buf[payloadStart,
   * payloadEnd)`. `confirmId` 0 means no confirm was asked for.
   */
  onPub(
    confirmId: number,
    buf: Buffer,
    topicStart: number,
    topicLen: number,
    payloadStart: number,
    payloadEnd: number,
  ): void;
  /** SUB (§3.4). `sid` >= 1; the topic is `buf[topicStart, topicStart + topicLen)`. */
  onSub(
    sid: number,
    startKind: StartKind,
    startValue: number,
    buf: Buffer,
    topicStart: number,
    topicLen: number,
  ): void;
  /** UNSUB (§3.5). */
  onUnsub(sid: number): void;
  /** ACK (§3.6). */
  onAck(sid: number, seq: number): void;
  /**
   * RELOAD (§3.15), an admin op. Optional: a handler without it refuses RELOAD as `UNKNOWN_OP`,
   * like a peer that takes no admin ops (§6.8).
   */
  onReload?(requestId: number): void;
}

/** What a decoder running in the client calls, once per server frame; byte ranges as above. */
export interface ClientFrameHandler extends FrameHandlerBase {
  /** WELCOME (§3.2). */
  onWelcome(version: number, maxFrameSize: number, heartbeatIntervalMs: number, serverName: string): void;
  /** MSG (§3.8): the payload is `buf[payloadStart, payloadEnd)`; `flags` holds MsgFlags bits. */
  onMsg(
    sid: number,
    seq: number,
    flags: number,
    deliveryCount: number,
    buf: Buffer,
    payloadStart: number,
    payloadEnd: number,
  ): void;
  /** SUB_ACK (§3.9). */
  onSubAck(sid: number, nextSeq: number): void;
  /** UNSUB_ACK (§3.10). */
  onUnsubAck(sid: number): void;
  /** PUBACK (§3.11): `confirmId` >= 1. */
  onPubAck(confirmId: number, seq: number): void;
  /** LAGGED (§3.12). */
  onLagged(sid: number, fromSeq: number, count: number): void;
  /** ERR (§3.13): `code` is the wire number (see codeFromWire); unknown numbers are passed on. */
  onErr(code: number, refOp: number, ref: number, text: string): void;
  /**
   * RELOAD_RESULT (§3.16): `code` is a wire number, 0 unless the reload was rejected. Optional:
   * only admin tools send RELOAD; a handler without it refuses RELOAD_RESULT as `UNKNOWN_OP`.
   */
  onReloadResult?(requestId: number, status: ReloadStatus, code: number, text: string): void;
}

/** Both handler sets: what a tool that decodes either direction implements. */
export interface FrameHandler extends ServerFrameHandler, ClientFrameHandler {}

/** HELLO as a plain object (§3.1). */
export interface HelloFrame {
  readonly op: 'HELLO';
  readonly version: number;
  readonly name: string;
  readonly token: Buffer;
}
/** WELCOME as a plain object (§3.2). */
export interface WelcomeFrame {
  readonly op: 'WELCOME';
  readonly version: number;
  readonly maxFrameSize: number;
  readonly heartbeatIntervalMs: number;
  readonly serverName: string;
}
/** PUB as a plain object (§3.3). */
export interface PubFrame {
  readonly op: 'PUB';
  readonly confirmId: number;
  readonly topic: string;
  readonly payload: Buffer;
}
/** SUB as a plain object (§3.4). */
export interface SubFrame {
  readonly op: 'SUB';
  readonly sid: number;
  readonly startKind: StartKind;
  readonly startValue: number;
  readonly topic: string;
}
/** UNSUB as a plain object (§3.5). */
export interface UnsubFrame {
  readonly op: 'UNSUB';
  readonly sid: number;
}
/** ACK as a plain object (§3.6). */
export interface AckFrame {
  readonly op: 'ACK';
  readonly sid: number;
  readonly seq: number;
}
/** PING as a plain object (§3.7). */
export interface PingFrame {
  readonly op: 'PING';
}
/** PONG as a plain object (§3.7). */
export interface PongFrame {
  readonly op: 'PONG';
}
/** MSG as a plain object (§3.8). */
export interface MsgFrame {
  readonly op: 'MSG';
  readonly sid: number;
  readonly seq: number;
  readonly flags: number;
  readonly deliveryCount: number;
  readonly payload: Buffer;
}
/** SUB_ACK as a plain object (§3.9). */
export interface SubAckFrame {
  readonly op: 'SUB_ACK';
  readonly sid: number;
  readonly nextSeq: number;
}
/** UNSUB_ACK as a plain object (§3.10). */
export interface UnsubAckFrame {
  readonly op: 'UNSUB_ACK';
  readonly sid: number;
}
/** PUBACK as a plain object (§3.11). */
export interface PubAckFrame {
  readonly op: 'PUBACK';
  readonly confirmId: number;
  readonly seq: number;
}
/** LAGGED as a plain object (§3.12). */
export interface LaggedFrame {
  readonly op: 'LAGGED';
  readonly sid: number;
  readonly fromSeq: number;
  readonly count: number;
}
/** ERR as a plain object (§3.13); `code` is the wire number. */
export interface ErrFrame {
  readonly op: 'ERR';
  readonly code: number;
  readonly refOp: number;
  readonly ref: number;
  readonly text: string;
}

/** RELOAD as a plain object (§3.15). */
export interface ReloadFrame {
  readonly op: 'RELOAD';
  readonly requestId: number;
}
/** RELOAD_RESULT as a plain object (§3.16); `code` is the wire number (0 unless rejected). */
export interface ReloadResultFrame {
  readonly op: 'RELOAD_RESULT';
  readonly requestId: number;
  readonly status: ReloadStatus;
  readonly code: number;
  readonly text: string;
}

/** Any frame as a plain object, discriminated by `op` (for tests and tools, not the hot path). */
export type Frame =
  | HelloFrame
  | WelcomeFrame
  | PubFrame
  | SubFrame
  | UnsubFrame
  | AckFrame
  | PingFrame
  | PongFrame
  | MsgFrame
  | SubAckFrame
  | UnsubAckFrame
  | PubAckFrame
  | LaggedFrame
  | ErrFrame
  | ReloadFrame
  | ReloadResultFrame;
