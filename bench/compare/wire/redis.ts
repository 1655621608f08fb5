/**
 * Redis RESP2 pub/sub: `PUBLISH channel payload` (answered with the receiver count),
 * `SUBSCRIBE channel`, `PING`; the server pushes `*3 message <channel> <payload>` arrays.
 * Redis has no queue groups: the queue rows are n/a for it.
 */
import { CAPTURE_BYTES, type Wire, type WireHandler, type WireReader } from './types.ts';

const CR = 0x0d;
const LF = 0x0a;
const MAX_TEXT = 512;

/** Kinds of push array, told apart by the first element's length and first byte. */
const Kind = { Other: 0, Message: 1, Pong: 2 } as const;

function command(...parts: (string | Buffer)[]): Buffer {
  const out: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part) : part;
    out.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(out);
}

/** Counts `message` push arrays and integer replies. */
class RedisReader implements WireReader {
  messages = 0;
  readonly #handler: WireHandler;
  readonly #capture: boolean;
  readonly #captured = Buffer.alloc(CAPTURE_BYTES);
  #capturedLen = 0;
  /** 0: reading a type line; 1: skipping a bulk body (+ CRLF). */
  #state = 0;
  #lineLen = 0;
  #type = 0;
  #num = 0;
  #negative = false;
  #text = '';
  #bulkLeft = 0;
  #bulkLen = 0;
  #arrayLeft = 0;
  #elem = 0;
  #kind: number = Kind.Other;
  #base = 0;
  #frameStart = 0;
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
        const len = this.#frameLen;
        if (this.#lineLen === 0 && this.#arrayLeft === 0 && len > 0 && !this.#capture) {
          // Fast path: a run of `*3` message arrays as long as the last one. Payloads are 'x'
          // bytes, so a LF lands at the end of such a run only at a real frame end.
          let n = 0;
          while (
            pos + len <= end &&
            chunk[pos] === 0x2a &&
            chunk[pos + 1] === 0x33 &&
            chunk[pos + len - 1] === LF
          ) {
            pos += len;
            n++;
          }
          this.messages += n;
          if (pos >= end) break;
        }
        const b = chunk[pos]!;
        if (this.#lineLen === 0 && this.#arrayLeft === 0) this.#frameStart = this.#base + pos;
        pos++;
        if (b === LF) {
          this.#endLine(this.#base + pos);
          continue;
        }
        if (b === CR) continue;
        if (this.#lineLen === 0) this.#type = b;
        else if (this.#type === 0x2b || this.#type === 0x2d) {
          if (this.#text.length < MAX_TEXT) this.#text += String.fromCharCode(b);
        } else if (b === 0x2d) this.#negative = true;
        else this.#num = this.#num * 10 + (b - 0x30);
        this.#lineLen++;
      } else {
        const take = Math.min(this.#bulkLeft, end - pos);
        if (this.#elem === 0 && this.#bulkLeft === this.#bulkLen + 2 && take > 0) {
          this.#kind = classify(this.#bulkLen, chunk[pos]!);
        } else if (this.#capture && this.#elem === 2 && this.#kind === Kind.Message) {
          const want = Math.min(CAPTURE_BYTES - this.#capturedLen, take, this.#bulkLen - this.#capturedLen);
          if (want > 0) {
            chunk.copy(this.#captured, this.#capturedLen, pos, pos + want);
            this.#capturedLen += want;
          }
        }
        pos += take;
        this.#bulkLeft -= take;
        if (this.#bulkLeft === 0) {
          this.#state = 0;
          this.#endElement(this.#base + pos);
        }
      }
    }
    this.#base += end;
  }

  #endLine(offset: number): void {
    const type = this.#type;
    const num = this.#negative ? -this.#num : this.#num;
    const text = this.#text;
    this.#lineLen = 0;
    this.#num = 0;
    this.#negative = false;
    this.#text = '';
    if (type === 0x2a) {
      // Array header: pub/sub pushes are flat arrays.
      this.#arrayLeft = num;
      this.#elem = 0;
      this.#kind = Kind.Other;
      this.#capturedLen = 0;
      if (num <= 0) this.#arrayLeft = 0;
    } else if (type === 0x24) {
      if (num < 0) this.#endElement(offset);
      else {
        this.#state = 1;
        this.#bulkLen = num;
        this.#bulkLeft = num + 2;
        if (num === 0 && this.#elem === 0) this.#kind = Kind.Other;
      }
    } else if (type === 0x3a) {
      if (this.#arrayLeft > 0) this.#endElement(offset);
      else this.#handler.onReply(num);
    } else if (type === 0x2b) {
      if (this.#arrayLeft > 0) this.#endElement(offset);
      else if (text === 'PONG') this.#handler.onPong();
    } else if (type === 0x2d) {
      if (this.#arrayLeft > 0) this.#endElement(offset);
      this.#handler.onError(text);
    }
  }

  #endElement(offset: number): void {
    if (this.#arrayLeft === 0) return;
    this.#elem++;
    this.#arrayLeft--;
    if (this.#arrayLeft > 0) return;
    if (this.#kind === Kind.Message) {
      this.messages++;
      this.#frameLen = offset - this.#frameStart;
      if (this.#capture) this.#handler.onMessage(this.#captured, this.#capturedLen);
    } else if (this.#kind === Kind.Pong) this.#handler.onPong();
  }
}

function classify(length: number, firstByte: number): number {
  if (length === 7 && firstByte === 0x6d) return Kind.Message; // "message"
  if (length === 4 && firstByte === 0x70) return Kind.Pong; // "pong" (PING while subscribed)
  return Kind.Other;
}

/** The Redis raw protocol. */
export const redisWire: Wire = {
  hello: () => Buffer.alloc(0),
  subscribe: (topic: string) => command('SUBSCRIBE', topic),
  publish: (topic: string, payload: Buffer) => command('PUBLISH', topic, payload),
  ping: () => command('PING'),
  publishTrailer: 2,
  repliesToPublish: true,
  createReader: (handler, capture) => new RedisReader(handler, capture),
};
