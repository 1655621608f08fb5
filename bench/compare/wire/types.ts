/**
 * The raw-protocol seam: for each system, the bytes a load generator writes (pre-encoded once,
 * then written in chunks) and a tiny incremental reader that counts delivered messages without
 * decoding them. Readers are push-driven (any chunk boundary) and allocate nothing per message;
 * a pushed chunk is only valid during `push` (the generators reuse one read buffer), so what a
 * reader keeps across chunks it copies.
 */

/** How many payload bytes a reader hands to {@link WireHandler.onMessage} (latency rows use 8). */
export const CAPTURE_BYTES = 16;

/** What a reader reports. One object per connection, so no closure is made per message. */
export interface WireHandler {
  /** The broker answered a PING (our barrier: everything sent before it was processed). */
  onPong(): void;
  /** The broker reported an error (NATS -ERR, RESP error, Mycelium ERR). */
  onError(text: string): void;
  /** The broker skipped `count` messages for this subscriber (Mycelium LAGGED). */
  onLagged(count: number): void;
  /** One reply to a publish (Redis integer reply: the number of receivers). */
  onReply(value: number): void;
  /** Bytes the reader must send back (PONG to a broker's PING). */
  send(bytes: Buffer): void;
  /** Called per message only when the reader was created with capture on. */
  onMessage(payload: Buffer, length: number): void;
}

/** Counts messages from one connection. */
export interface WireReader {
  /** Messages delivered so far. */
  readonly messages: number;
  push(chunk: Buffer): void;
}

/** The raw protocol of one system. */
export interface Wire {
  /** Bytes a connection sends first (may be empty). */
  hello(clientName: string): Buffer;
  /** Subscribe to `topic` as subscription `sid`; `queue` joins the bench queue group (NATS). */
  subscribe(topic: string, sid: number, queue: boolean): Buffer;
  /** One publish frame. */
  publish(topic: string, payload: Buffer): Buffer;
  /** A PING whose answer proves the broker processed everything sent before it. */
  ping(): Buffer;
  /** Bytes that follow the payload inside a publish frame (to patch payloads in place). */
  readonly publishTrailer: number;
  /** Whether each publish is answered (Redis); the publisher must then read the replies. */
  readonly repliesToPublish: boolean;
  createReader(handler: WireHandler, capture: boolean): WireReader;
}

/** `count` copies of `frame`, back to back: the chunk a publisher writes repeatedly. */
export function repeatFrame(frame: Buffer, count: number): Buffer {
  const out = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(out, i * frame.length);
  return out;
}
