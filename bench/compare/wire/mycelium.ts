/**
 * Mycelium's binary protocol (docs/protocol.md): frames are `u32 length | u8 op | body`. Frames
 * are built with the project's own pure encoders; the reader only walks length prefixes and
 * counts MSG frames, so the broker is what is measured.
 */
import { encodeHello, encodePing, encodePong, encodePub, encodeSub } from '../../../src/protocol/index.ts';
import { CAPTURE_BYTES, type Wire, type WireHandler, type WireReader } from './types.ts';

const OP_MSG = 0x30;
const OP_PING = 0x20;
const OP_PONG = 0x21;
const OP_PUBACK = 0x33;
const OP_LAGGED = 0x34;
const OP_ERR = 0x35;
/** MSG body before the payload: sid u32, seq u64, flags u8, delivery_count u16. */
const MSG_BODY_HEADER = 15;
/** Control frames are short; longer bodies are skipped past this many bytes. */
const MAX_CONTROL_BODY = 4096;
const PONG = encodePong();

/** Counts MSG frames; answers the server's heartbeat PING. */
class MyceliumReader implements WireReader {
  messages = 0;
  readonly #handler: WireHandler;
  readonly #capture: boolean;
  readonly #header = Buffer.alloc(5);
  #headerLen = 0;
  readonly #body = Buffer.alloc(MAX_CONTROL_BODY);
  #bodyLen = 0;
  #bodyLeft = 0;
  #op = 0;
  #inBody = false;
  /** Length of the last MSG frame, for the fast path. */
  #frameLen = 0;

  constructor(handler: WireHandler, capture: boolean) {
    this.#handler = handler;
    this.#capture = capture;
  }

  push(c: Buffer): void {
    const end = c.length;
    let pos = 0;
    while (pos < end) {
      if (!this.#inBody) {
        const len = this.#frameLen;
        if (this.#headerLen === 0 && len > 0 && !this.#capture) {
          // Fast path: whole MSG frames of the last length, checked by their prefix and op.
          const prefix = len - 4;
          let n = 0;
          while (
            pos + len <= end &&
            c[pos + 4] === OP_MSG &&
            ((c[pos]! << 24) | (c[pos + 1]! << 16) | (c[pos + 2]! << 8) | c[pos + 3]!) >>> 0 === prefix
          ) {
            pos += len;
            n++;
          }
          this.messages += n;
          if (pos >= end) break;
        }
        const take = Math.min(5 - this.#headerLen, end - pos);
        c.copy(this.#header, this.#headerLen, pos, pos + take);
        this.#headerLen += take;
        pos += take;
        if (this.#headerLen < 5) break;
        this.#headerLen = 0;
        this.#op = this.#header[4]!;
        this.#bodyLeft = this.#header.readUInt32BE(0) - 1;
        this.#bodyLen = 0;
        this.#inBody = true;
        if (this.#bodyLeft === 0) this.#endFrame();
        continue;
      }
      const take = Math.min(this.#bodyLeft, end - pos);
      const keep = Math.min(take, this.#keepLimit() - this.#bodyLen);
      if (keep > 0) {
        c.copy(this.#body, this.#bodyLen, pos, pos + keep);
        this.#bodyLen += keep;
      }
      pos += take;
      this.#bodyLeft -= take;
      if (this.#bodyLeft === 0) this.#endFrame();
    }
  }

  /** How many body bytes to keep: none of a MSG unless capturing, the whole of a control frame. */
  #keepLimit(): number {
    if (this.#op !== OP_MSG) return MAX_CONTROL_BODY;
    return this.#capture ? MSG_BODY_HEADER + CAPTURE_BYTES : 0;
  }

  #endFrame(): void {
    this.#inBody = false;
    const body = this.#body;
    switch (this.#op) {
      case OP_MSG:
        this.messages++;
        this.#frameLen = this.#header.readUInt32BE(0) + 4;
        if (this.#capture) {
          const length = Math.max(0, this.#bodyLen - MSG_BODY_HEADER);
          body.copy(body, 0, MSG_BODY_HEADER, MSG_BODY_HEADER + length);
          this.#handler.onMessage(body, length);
        }
        break;
      case OP_PING:
        this.#handler.send(PONG);
        break;
      case OP_PONG:
        this.#handler.onPong();
        break;
      case OP_PUBACK:
        this.#handler.onReply(1);
        break;
      case OP_LAGGED:
        // sid u32 | from_seq u64 | count u64
        this.#handler.onLagged(body.readUInt32BE(12) * 2 ** 32 + body.readUInt32BE(16));
        break;
      case OP_ERR: {
        // code u16 | ref_op u8 | ref u32 | text_len u16 | text
        const code = body.readUInt16BE(0);
        const textLen = Math.min(body.readUInt16BE(7), this.#bodyLen - 9);
        this.#handler.onError(`ERR ${code}: ${body.toString('utf8', 9, 9 + Math.max(0, textLen))}`);
        break;
      }
      // WELCOME, SUB_ACK and UNSUB_ACK need nothing: readiness is proven by the PONG that follows.
    }
  }
}

/** The Mycelium raw protocol. */
export const myceliumWire: Wire = {
  hello: (clientName: string) => encodeHello(clientName),
  subscribe: (topic: string, sid: number) => encodeSub(sid, topic),
  publish: (topic: string, payload: Buffer) => encodePub(topic, payload),
  ping: () => encodePing(),
  publishTrailer: 0,
  repliesToPublish: false,
  createReader: (handler, capture) => new MyceliumReader(handler, capture),
};
