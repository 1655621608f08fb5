/**
 * The push-driven frame decoder (docs/protocol.md §1.7): a state machine that knows nothing of
 * sockets. `push(chunk)` takes bytes cut anywhere and calls one handler method per frame. It
 * checks a frame's declared length against the limit from the 4 length bytes alone, and the op,
 * direction, handshake order and the op's length bounds from the 5th, so nothing is buffered
 * for a frame that cannot be valid. A frame that arrived whole is handed out as ranges of the
 * pushed chunk (no copy, no string); only a frame cut across chunks is copied, into a buffer
 * that grows to exactly that frame's size.
 *
 * The decoder keeps no reference to a pushed chunk once `push` returns: what it must keep (a cut
 * frame, input held while paused) it copies. A server reads every socket into one reused buffer
 * (src/server/shared-reads.ts), which is only valid until `push` returns.
 */
import { type ErrorCode, MyceliumError } from '../errors.ts';
import { type BodyContext, parseBody } from './bodies.ts';
import { FrameError, type ClientFrameHandler, type FrameHandler, type ServerFrameHandler } from './frames.ts';
import { ALLOWED, lengthBoundsMessage, MAX_LENGTH, MIN_LENGTH, opRefusal } from './header.ts';
import {
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_HEADER_SIZE,
  MAX_FRAME_LENGTH_FIELD,
  REASSEMBLY_INITIAL_SIZE,
} from './limits.ts';
import type { Side } from './ops.ts';

/** How a decoder is set up. */
export interface DecoderOptions {
  /** Where the decoder runs: 'server' decodes client frames, 'client' decodes server frames. */
  readonly side: Side;
  /** Largest frame `length` (op + body) accepted; more is FRAME_TOO_LARGE. Default 8 MiB. */
  readonly maxFrameSize?: number;
  /**
   * Enforce the handshake order of §2 (default true): the server side needs HELLO first and
   * refuses a second one; the client side needs WELCOME (or ERR) first and refuses a second
   * WELCOME. False decodes frames out of context, for tools and tests.
   */
  readonly enforceHandshake?: boolean;
  /**
   * Check the topic bytes of each PUB against §3.14 (default true). False hands PUBs on with
   * only their topic_len checked, for a handler that checks the bytes itself when they are new to
   * it (the server: a topic its per-connection cache already holds is known to be valid, so the
   * check per message is saved). Such a handler answers a bad name with INVALID_TOPIC.
   */
  readonly checkPubTopicBytes?: boolean;
}

const EMPTY = Buffer.alloc(0);

function checkMaxFrameSize(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_FRAME_LENGTH_FIELD) {
    throw new MyceliumError(
      'INVALID_ARGUMENT',
      `maxFrameSize must be an integer in 1..${MAX_FRAME_LENGTH_FIELD} (got ${value})`,
    );
  }
  return value;
}

/**
 * Decodes one direction of one connection. Never throws for bad input: every problem goes to
 * `handler.onError` as a {@link FrameError}; after a fatal one the decoder stops for good. An
 * exception thrown by a handler method propagates out of `push` and also stops the decoder.
 */
export class FrameDecoder {
  readonly #handler: FrameHandler;
  readonly #side: Side;
  readonly #enforceHandshake: boolean;
  #allowed: Uint8Array;
  #maxFrameSize: number;
  #handshakeDone = false;

  /** Header bytes of a frame whose header was cut across chunks. */
  readonly #head = new Uint8Array(FRAME_HEADER_SIZE);
  #headHave = 0;
  /** Body of a frame cut across chunks, with its op, full length and bytes received so far. */
  #inBody = false;
  #body: Buffer = EMPTY;
  #bodyOp = 0;
  #bodyLength = 0;
  #bodyHave = 0;

  /** True when the frame loop must stop: paused, stopped or failed. One check per frame. */
  #halt = false;
  #paused = false;
  #stopped = false;
  #running = false;
  /** Input pushed while paused (or from inside a handler), decoded in order later. */
  readonly #held: Buffer[] = [];
  /** What the body parsers may do to and know of the decoder; made once, so no closure per frame. */
  readonly #context: BodyContext;

  constructor(handler: ServerFrameHandler, options: DecoderOptions & { readonly side: 'server' });
  constructor(handler: ClientFrameHandler, options: DecoderOptions & { readonly side: 'client' });
  constructor(handler: FrameHandler, options: DecoderOptions);
  constructor(handler: ServerFrameHandler | ClientFrameHandler, options: DecoderOptions) {
    // The side picks which methods are ever called (§1.4), so a one-sided handler is enough.
    this.#handler = handler as FrameHandler;
    this.#side = options.side;
    this.#enforceHandshake = options.enforceHandshake ?? true;
    this.#maxFrameSize = checkMaxFrameSize(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
    this.#allowed = this.#enforceHandshake ? ALLOWED[this.#side].before : ALLOWED[this.#side].any;
    this.#context = {
      fail: (code, message, refOp, ref) => this.#fail(code, message, refOp, ref),
      handshakeComplete: () => this.#handshakeComplete(),
      checkPubTopicBytes: options.checkPubTopicBytes ?? true,
    };
  }

  /** Largest frame `length` accepted; a change applies from the next frame header on. */
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }
  set maxFrameSize(value: number) {
    this.#maxFrameSize = checkMaxFrameSize(value);
  }

  /** True once HELLO (server side) or WELCOME (client side) has been decoded. */
  get handshakeDone(): boolean {
    return this.#handshakeDone;
  }
  /** True between `pause()` and `resume()`. */
  get paused(): boolean {
    return this.#paused;
  }
  /** True after `stop()` or a fatal error: input is ignored from then on. */
  get stopped(): boolean {
    return this.#stopped;
  }
  /** True while part of a frame has been received and the rest has not. */
  get midFrame(): boolean {
    return this.#headHave > 0 || this.#inBody;
  }
  /** Memory held for later, in bytes: input waiting while paused plus a partial frame's buffer. */
  get pendingBytes(): number {
    let n = this.#headHave + this.#body.length;
    for (const chunk of this.#held) n += chunk.length;
    return n;
  }

  /** Decodes `chunk`, calling the handler for every complete frame in it. */
  push(chunk: Buffer): void {
    if (this.#stopped || chunk.length === 0) return;
    if (this.#paused || this.#running) {
      this.#held.push(Buffer.from(chunk));
      return;
    }
    this.#run(chunk);
  }

  /**
   * Stops decoding after the frame being handled (e.g. from onPub while a queue topic with
   * overflow "block" is full) or, called between pushes, before the next one. The rest of the
   * input is copied and kept until `resume()`; pause the socket too so it stays small.
   */
  pause(): void {
    if (this.#stopped) return;
    this.#paused = true;
    this.#halt = true;
  }

  /** Decodes what was held since `pause()`, now, then goes on as usual. */
  resume(): void {
    if (this.#stopped || !this.#paused) return;
    this.#paused = false;
    this.#halt = false;
    if (!this.#running && this.#held.length > 0) this.#run(this.#held.shift()!);
  }

  /** Ends decoding for good (e.g. after AUTH_FAILED): held input is dropped, later input ignored. */
  stop(): void {
    this.#stopped = true;
    this.#halt = true;
    this.#held.length = 0;
    this.#inBody = false;
    this.#body = EMPTY;
    this.#headHave = 0;
  }

  #run(first: Buffer): void {
    this.#running = true;
    try {
      this.#consume(first);
      while (!this.#halt && this.#held.length > 0) this.#consume(this.#held.shift()!);
    } catch (err) {
      this.stop();
      throw err;
    } finally {
      this.#running = false;
    }
  }

  #consume(c: Buffer): void {
    let pos = 0;
    if (this.#headHave > 0 || this.#inBody) {
      pos = this.#continuePartial(c);
      if (pos < 0) return;
    }
    const end = c.length;
    while (pos < end) {
      if (end - pos < FRAME_HEADER_SIZE) {
        this.#takeHead(c, pos, end);
        return;
      }
      // docs/protocol.md §1.2: u32 length (op + body), then the op byte.
      const length = c[pos]! * 0x1000000 + ((c[pos + 1]! << 16) | (c[pos + 2]! << 8) | c[pos + 3]!);
      const op = c[pos + 4]!;
      if (!this.#checkHeader(length, op)) return;
      const frameEnd = pos + 4 + length;
      if (frameEnd > end) {
        this.#startBody(op, length - 1, c, pos + FRAME_HEADER_SIZE, end);
        return;
      }
      parseBody(this.#context, this.#handler, op, c, pos + FRAME_HEADER_SIZE, frameEnd);
      pos = frameEnd;
      if (this.#halt) {
        this.#holdRest(c, pos);
        return;
      }
    }
  }

  /** Continues a frame cut by the previous chunk; the position after it, or -1 if none is left. */
  #continuePartial(c: Buffer): number {
    const end = c.length;
    let pos = 0;
    if (!this.#inBody) {
      const had = this.#headHave;
      const take = Math.min(FRAME_HEADER_SIZE - had, end);
      this.#head.set(c.subarray(0, take), had);
      this.#headHave = had + take;
      pos = take;
      if (this.#headHave < FRAME_HEADER_SIZE) {
        if (this.#headHave === 4) this.#checkLength(this.#headLength());
        return -1;
      }
      this.#headHave = 0;
      const length = this.#headLength();
      const op = this.#head[4]!;
      if (!this.#checkHeader(length, op)) return -1;
      const bodyEnd = pos + length - 1;
      if (bodyEnd > end) {
        this.#startBody(op, length - 1, c, pos, end);
        return -1;
      }
      parseBody(this.#context, this.#handler, op, c, pos, bodyEnd);
      pos = bodyEnd;
    } else if (this.#bodyHave === 0 && this.#bodyLength <= end) {
      // Only the header came before: the body is whole in this chunk, so hand out a range of it.
      this.#inBody = false;
      pos = this.#bodyLength;
      parseBody(this.#context, this.#handler, this.#bodyOp, c, 0, pos);
    } else {
      const need = this.#bodyLength - this.#bodyHave;
      const take = Math.min(need, end);
      this.#reserve(this.#bodyHave + take);
      c.copy(this.#body, this.#bodyHave, 0, take);
      this.#bodyHave += take;
      pos = take;
      if (this.#bodyHave < this.#bodyLength) return -1;
      const body = this.#body;
      this.#inBody = false;
      this.#body = EMPTY;
      parseBody(this.#context, this.#handler, this.#bodyOp, body, 0, body.length);
    }
    if (this.#halt) {
      this.#holdRest(c, pos);
      return -1;
    }
    return pos;
  }

  #headLength(): number {
    const h = this.#head;
    return h[0]! * 0x1000000 + ((h[1]! << 16) | (h[2]! << 8) | h[3]!);
  }

  /** Keeps the first bytes of a frame header that a chunk cut short. */
  #takeHead(c: Buffer, pos: number, end: number): void {
    this.#head.set(c.subarray(pos, end), 0);
    this.#headHave = end - pos;
    // §1.3: the length alone is enough to refuse an oversized frame.
    if (this.#headHave === 4) this.#checkLength(this.#headLength());
  }

  /** Starts reassembling a body of `bodyLength` bytes from `c[start, end)`. */
  #startBody(op: number, bodyLength: number, c: Buffer, start: number, end: number): void {
    this.#inBody = true;
    this.#bodyOp = op;
    this.#bodyLength = bodyLength;
    this.#bodyHave = 0;
    this.#reserve(end - start);
    c.copy(this.#body, 0, start, end);
    this.#bodyHave = end - start;
  }

  /**
   * Grows the partial body's buffer to hold `size` bytes. Small frames get their full size at
   * once; big ones start at REASSEMBLY_INITIAL_SIZE and double, never past the frame's size, so
   * memory follows what actually arrived (§1.7).
   */
  #reserve(size: number): void {
    const body = this.#body;
    if (size <= body.length) return;
    let capacity = Math.max(size, body.length * 2, REASSEMBLY_INITIAL_SIZE);
    if (capacity > this.#bodyLength) capacity = this.#bodyLength;
    const grown = Buffer.allocUnsafe(capacity);
    body.copy(grown, 0, 0, this.#bodyHave);
    this.#body = grown;
  }

  #holdRest(c: Buffer, pos: number): void {
    if (!this.#stopped && pos < c.length) this.#held.unshift(Buffer.from(c.subarray(pos)));
  }

  /** §1.3: length 0 is malformed; over maxFrameSize is too large. False when refused. */
  #checkLength(length: number): boolean {
    if (length === 0) {
      this.#fail('MALFORMED_FRAME', 'frame length is 0; a frame holds at least its op byte', 0, 0);
      return false;
    }
    if (length > this.#maxFrameSize) {
      this.#fail(
        'FRAME_TOO_LARGE',
        `frame length ${length} is over the limit of ${this.#maxFrameSize}`,
        0,
        0,
      );
      return false;
    }
    return true;
  }

  /** Everything the 5 header bytes can tell (§1.3, §1.4, §2, §3). False when refused. */
  #checkHeader(length: number, op: number): boolean {
    if (length === 0 || length > this.#maxFrameSize) return this.#checkLength(length);
    if (this.#allowed[op] !== 1) {
      this.#refuseOp(op);
      return false;
    }
    if (length < MIN_LENGTH[op]! || length > MAX_LENGTH[op]!) {
      this.#fail('MALFORMED_FRAME', lengthBoundsMessage(op, length), op, 0);
      return false;
    }
    return true;
  }

  /** An op the current (side, handshake state) does not take: say which rule it broke. */
  #refuseOp(op: number): void {
    const { code, message } = opRefusal(this.#side, this.#handshakeDone, op);
    this.#fail(code, message, op, 0);
  }

  /** HELLO or WELCOME has been decoded (§2): from now on only the post-handshake ops pass. */
  #handshakeComplete(): void {
    this.#handshakeDone = true;
    if (this.#enforceHandshake) this.#allowed = ALLOWED[this.#side].after;
  }

  /** Reports a refused frame; a fatal code stops the decoder first, so nothing follows it. */
  #fail(code: ErrorCode, message: string, refOp: number, ref: number): void {
    const err = new FrameError(code, message, refOp, ref);
    if (err.fatal) this.stop();
    this.#handler.onError(err);
  }
}
