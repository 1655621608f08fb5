/**
 * NATS client protocol (text lines): `CONNECT`, `SUB subject [queue] sid`, `PUB subject n`,
 * `PING`/`PONG`; the server delivers `MSG subject sid [reply] n\r\n<payload>\r\n`.
 */
import { QUEUE_GROUP } from '../types.ts';
import { CAPTURE_BYTES, type Wire, type WireHandler, type WireReader } from './types.ts';

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const PONG = Buffer.from('PONG\r\n');
/** Longest control line text kept for an error message. */
const MAX_TEXT = 512;

/** Counts `MSG` frames; answers the server's PING. */
class NatsReader implements WireReader {
  messages = 0;
  readonly #handler: WireHandler;
  readonly #capture: boolean;
  readonly #captured = Buffer.alloc(CAPTURE_BYTES);
  #capturedLen = 0;
  /** 0: reading a control line; 1: skipping a message body (payload + CRLF). */
  #state = 0;
  #lineLen = 0;
  #first = 0;
  #second = 0;
  /** Value of the digits since the last space: the byte count, once the MSG line ends. */
  #num = 0;
  #text = '';
  #bodyLeft = 0;
  #payloadLen = 0;
  /** Stream offset of the current chunk and of the current MSG frame (to learn its length). */
  #base = 0;
  #frameStart = 0;
  /** Length of the last MSG frame: the fast path skips frames of the same length whole. */
  #frameLen = 0;

  constructor(handler: WireHandler, capture: boolean) {
    this.#handler = handler;
    this.#capture = capture;
  }

  push(chunk: Buffer): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.#state === 0) {
        // Fast path: a run of MSG frames like the last one (same subject, sid, size) is skipped by
        // checking its first byte and final CRLF. Payloads are 'x' bytes, so a CRLF lands there
        // only at a real frame end.
        const len = this.#frameLen;
        if (this.#lineLen === 0 && len > 0 && !this.#capture) {
          let n = 0;
          while (pos + len <= end && chunk[pos] === 0x4d && chunk[pos + len - 1] === LF) {
            pos += len;
            n++;
          }
          this.messages += n;
          if (pos >= end) break;
        }
        const b = chunk[pos]!;
        if (this.#lineLen === 0) this.#frameStart = this.#base + pos;
        pos++;
        if (b === LF) {
          this.#endLine();
          continue;
        }
        if (b === CR) continue;
        if (this.#lineLen === 0) this.#first = b;
        else if (this.#lineLen === 1) this.#second = b;
        this.#lineLen++;
        if (b === SPACE) this.#num = 0;
        else if (b >= 0x30 && b <= 0x39) this.#num = this.#num * 10 + (b - 0x30);
        if (this.#first === 0x2d && this.#text.length < MAX_TEXT) this.#text += String.fromCharCode(b);
      } else {
        const take = Math.min(this.#bodyLeft, end - pos);
        if (this.#capture && this.#capturedLen < CAPTURE_BYTES) {
          const want = Math.min(
            CAPTURE_BYTES - this.#capturedLen,
            take,
            this.#payloadLen - this.#capturedLen,
          );
          if (want > 0) {
            chunk.copy(this.#captured, this.#capturedLen, pos, pos + want);
            this.#capturedLen += want;
          }
        }
        pos += take;
        this.#bodyLeft -= take;
        if (this.#bodyLeft === 0) {
          this.#state = 0;
          this.messages++;
          this.#frameLen = this.#base + pos - this.#frameStart;
          if (this.#capture) this.#handler.onMessage(this.#captured, this.#capturedLen);
        }
      }
    }
    this.#base += end;
  }

  #endLine(): void {
    const first = this.#first;
    const num = this.#num;
    const text = this.#text;
    this.#lineLen = 0;
    this.#num = 0;
    this.#text = '';
    if (first === 0x4d) {
      // MSG: the last number on the line is the payload size.
      this.#state = 1;
      this.#payloadLen = num;
      this.#bodyLeft = num + 2;
      this.#capturedLen = 0;
    } else if (first === 0x50 && this.#second === 0x49) this.#handler.send(PONG);
    else if (first === 0x50 && this.#second === 0x4f) this.#handler.onPong();
    else if (first === 0x2d) this.#handler.onError(text);
    // INFO and +OK need nothing.
  }
}

/** The NATS raw protocol. */
export const natsWire: Wire = {
  hello(clientName: string): Buffer {
    const opts = { verbose: false, pedantic: false, headers: false, protocol: 1, name: clientName };
    return Buffer.from(`CONNECT ${JSON.stringify(opts)}\r\n`);
  },
  subscribe(topic: string, sid: number, queue: boolean): Buffer {
    return Buffer.from(queue ? `SUB ${topic} ${QUEUE_GROUP} ${sid}\r\n` : `SUB ${topic} ${sid}\r\n`);
  },
  publish(topic: string, payload: Buffer): Buffer {
    return Buffer.concat([Buffer.from(`PUB ${topic} ${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
  },
  ping: () => Buffer.from('PING\r\n'),
  publishTrailer: 2,
  repliesToPublish: false,
  createReader: (handler, capture) => new NatsReader(handler, capture),
};
