/**
 * The one place that writes to a connection's socket (STYLE.md principle 7).
 *
 * Frames are copied into pooled chunks and handed to the socket in one `write` (or one `writev`
 * through cork/uncork) per flush; a chunk goes back to the pool when the socket reports it
 * written. `write()`'s return value is honoured: after `false` with bytes left in the socket,
 * nothing more is written until 'drain'. While the socket holds bytes it has not taken, or
 * `channel_capacity` frames are queued, `writable` is false and the broker stops pushing. Pending
 * output (ours plus the socket's) over `max_pending_bytes` makes the owner close the connection as
 * a slow consumer.
 */
import type { Socket } from 'node:net';
import type { ChunkPool } from './chunk-pool.ts';
import type { Flushable, FlushScheduler } from './flush-scheduler.ts';

/**
 * The writer's limits, from `[performance]` and `[server]`. One object is shared by every writer
 * of a server and read at each use, so a reload changes it in place for every connection at once.
 */
export interface WriterLimits {
  /** Frames queued before the writer flushes on its own (`batch_size`). */
  batchSize: number;
  /** Frames queued before the writer tells the broker to stop pushing (`channel_capacity`). */
  channelCapacity: number;
  /** Our queued bytes plus the socket's before the connection is a slow consumer. */
  maxPendingBytes: number;
}

/** What the writer reports to the connection that owns it. */
export interface WriterOwner {
  /** Pending output went over max_pending_bytes; the owner closes the connection. */
  writerOverflow(pendingBytes: number): void;
  /** The writer refused deliveries and can take them again (called outside any broker call). */
  writerWritable(): void;
}

const EMPTY = Buffer.alloc(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/**
 * Queued bytes at which a batch is written without waiting for `batch_size` frames (or a quarter
 * of max_pending_bytes, if that is less). Large messages reach max_pending_bytes in far fewer
 * frames than a batch holds: a queue handing its backlog of 256 KiB messages to a new consumer
 * queued 64 MiB before the first write, and the consumer was closed as a slow consumer before its
 * SUB_ACK. Writing by size as well lets the socket push back (the writer then reports not
 * writable) long before that. 1 MiB is about what a full batch of 1 KiB frames already wrote, so
 * small and mid-size frames go out exactly as before (a 256 KiB bound measured 0.90-0.93x on
 * 1 KiB fanout).
 */
export const FLUSH_BYTES = 1024 * 1024;

/** Outbound frames of one connection. Write a frame with `reserve`, fill `chunk`, then `commit`. */
export class OutboundWriter implements Flushable {
  /** The chunk being filled; valid from `reserve` until the matching `commit`. */
  chunk: Buffer = EMPTY;
  /** A DataView of `chunk` (offsets as in `chunk`), for writing headers and small payloads. */
  view: DataView = EMPTY_VIEW;
  #used = 0;
  /** Filled chunks of this batch before `chunk`, and how much of each is used. */
  #parts: Buffer[] = [];
  readonly #partLens: number[] = [];
  /** Chunk lists handed to the socket, oldest first, released as their writes complete. */
  readonly #inflight: Buffer[][] = [];
  #bytes = 0;
  /** The socket's pending bytes when last looked at (kept so a commit need not ask the socket). */
  #socketPending = 0;
  #frames = 0;
  #marked = false;
  #waitDrain = false;
  #backedUp = false;
  #starved = false;
  #resumeQueued = false;
  #closed = false;
  #progressAt = 0;
  readonly #socket: Socket;
  readonly #pool: ChunkPool;
  readonly #scheduler: FlushScheduler;
  readonly #limits: WriterLimits;
  readonly #owner: WriterOwner;

  readonly #onWritten = (err?: Error | null): void => {
    const chunks = this.#inflight.shift();
    this.#progressAt = performance.now();
    // After an error the socket may still hold some views: leave those chunks to the GC.
    if (err || chunks === undefined) return;
    for (let i = 0; i < chunks.length; i++) this.#pool.release(chunks[i]!);
    // 'drain' only follows a write() that returned false; a backlog left by one that returned
    // true ends here, when the socket has written everything.
    if (this.#backedUp && this.#socket.writableLength === 0) this.#onDrain();
  };

  readonly #onDrain = (): void => {
    if (this.#closed) return;
    this.#waitDrain = false;
    this.#backedUp = false;
    this.#socketPending = 0;
    this.#progressAt = performance.now();
    if (this.#bytes > 0) this.flush();
    this.#maybeResume();
  };

  readonly #resume = (): void => {
    this.#resumeQueued = false;
    if (this.#closed || this.#backedUp || this.#frames >= this.#limits.channelCapacity) return;
    this.#starved = false;
    this.#owner.writerWritable();
  };

  constructor(
    socket: Socket,
    pool: ChunkPool,
    scheduler: FlushScheduler,
    limits: WriterLimits,
    owner: WriterOwner,
  ) {
    this.#socket = socket;
    this.#pool = pool;
    this.#scheduler = scheduler;
    this.#limits = limits;
    this.#owner = owner;
    socket.on('drain', this.#onDrain);
  }

  /**
   * Makes room for a frame of `size` bytes and returns the offset in `chunk` to write it at.
   * Nothing is queued until `commit(size)`.
   */
  reserve(size: number): number {
    if (this.chunk.length - this.#used < size) this.#nextChunk(size);
    return this.#used;
  }

  /** Queues the `size` bytes written at the offset `reserve` returned. */
  commit(size: number): void {
    if (this.#closed) {
      // A frame written after a close (e.g. a PUBACK for a publish that evicted this very
      // connection): drop it and give the chunk back.
      this.#pool.release(this.chunk);
      this.chunk = EMPTY;
      this.view = EMPTY_VIEW;
      this.#used = 0;
      return;
    }
    this.#used += size;
    this.#bytes += size;
    if (!this.#marked) {
      this.#marked = true;
      this.#scheduler.mark(this);
    }
    // The cap is checked before writing (a frame larger than max_pending_bytes is refused as it
    // is queued, as before) and again by flush() after writing; a flush while the socket waits
    // for 'drain' writes nothing, so this check is what catches a reader that never reads.
    if (this.#bytes + this.#socketPending > this.#limits.maxPendingBytes) this.#checkPending();
    if (++this.#frames >= this.#limits.batchSize || this.#bytes >= this.#flushBytes()) this.flush();
  }

  /** Copies a whole encoded frame into the queue. */
  writeFrame(frame: Uint8Array): void {
    const at = this.reserve(frame.length);
    this.chunk.set(frame, at);
    this.commit(frame.length);
  }

  /**
   * False while the broker should not push deliveries: too many frames queued or the socket
   * backed up. Reading it as false is remembered, so the owner is told when that changes.
   */
  get writable(): boolean {
    if (this.#backedUp || this.#closed || this.#frames >= this.#limits.channelCapacity) {
      this.#starved = true;
      return false;
    }
    return true;
  }

  /** Bytes not yet written to the kernel: ours plus the socket's. */
  get pendingBytes(): number {
    return this.#bytes + this.#socket.writableLength;
  }

  /** Frames queued and not yet handed to the socket. */
  get queuedFrames(): number {
    return this.#frames;
  }

  /** True when nothing is queued here or in the socket. */
  get idle(): boolean {
    return this.#bytes === 0 && this.#socket.writableLength === 0;
  }

  /** How long (ms) output has been pending with the socket accepting nothing; 0 when not stalled. */
  stalledFor(now: number): number {
    if (!this.#waitDrain && !this.#backedUp) return 0;
    if (this.#socket.writableLength === 0 && this.#bytes === 0) return 0;
    return now - this.#progressAt;
  }

  /** Called by the scheduler at the end of a tick. */
  flushScheduled(): void {
    this.#marked = false;
    this.flush();
  }

  /** Hands everything queued to the socket in one write, unless the socket asked us to wait. */
  flush(): void {
    if (this.#bytes === 0 || this.#waitDrain || this.#closed) return;
    this.#write();
    this.#checkPending();
    if (!this.#backedUp) this.#maybeResume();
  }

  /** Writes everything queued even if the socket asked to wait (the last frames before a close). */
  finish(): void {
    if (this.#bytes > 0 && !this.#closed) this.#write();
    this.close();
  }

  /** Drops what is still queued here; the writer takes nothing more. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.off('drain', this.#onDrain);
    for (let i = 0; i < this.#parts.length; i++) this.#pool.release(this.#parts[i]!);
    if (this.chunk.length > 0) this.#pool.release(this.chunk);
    this.#emptyBatch();
  }

  /** Starts an empty batch; the chunks of the last one were released or handed to the socket. */
  #emptyBatch(): void {
    this.#parts = [];
    this.#partLens.length = 0;
    this.chunk = EMPTY;
    this.view = EMPTY_VIEW;
    this.#used = 0;
    this.#bytes = 0;
    this.#frames = 0;
  }

  #nextChunk(size: number): void {
    const first = this.#parts.length === 0 && this.#used === 0;
    if (this.#used > 0) {
      this.#parts.push(this.chunk);
      this.#partLens.push(this.#used);
    } else if (this.chunk.length > 0) {
      this.#pool.release(this.chunk);
    }
    const chunk = this.#pool.take(size, first);
    this.chunk = chunk;
    this.view = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
    this.#used = 0;
  }

  #write(): void {
    const socket = this.#socket;
    if (socket.writableLength === 0) this.#progressAt = performance.now();
    const parts = this.#parts;
    parts.push(this.chunk);
    this.#partLens.push(this.#used);
    let ok: boolean;
    if (parts.length === 1) {
      ok = socket.write(this.chunk.subarray(0, this.#used), this.#onWritten);
    } else {
      // One writev for the whole batch; the callback on the last write fires after all of them.
      socket.cork();
      const last = parts.length - 1;
      for (let i = 0; i < last; i++) socket.write(parts[i]!.subarray(0, this.#partLens[i]!));
      ok = socket.write(parts[last]!.subarray(0, this.#partLens[last]!), this.#onWritten);
      socket.uncork();
    }
    this.#inflight.push(parts);
    this.#emptyBatch();
    // A write larger than the socket's high-water mark returns false even when the kernel took
    // it whole at once (Node decides before trying). Only bytes still pending mean the peer is
    // behind: then nothing more is written until 'drain', and the broker is told to stop pushing.
    // Waiting for 'drain' after every large write instead made frames pile up to
    // channel_capacity and go out in multi-megabyte bursts.
    this.#socketPending = socket.writableLength;
    if (this.#socketPending > 0) {
      this.#backedUp = true;
      if (!ok) this.#waitDrain = true;
    }
  }

  #flushBytes(): number {
    return Math.min(this.#limits.maxPendingBytes >>> 2, FLUSH_BYTES);
  }

  #checkPending(): void {
    this.#socketPending = this.#socket.writableLength;
    const pending = this.#bytes + this.#socketPending;
    if (pending > this.#limits.maxPendingBytes && !this.#closed) this.#owner.writerOverflow(pending);
  }

  #maybeResume(): void {
    if (this.#starved && !this.#resumeQueued && !this.#closed) {
      this.#resumeQueued = true;
      queueMicrotask(this.#resume);
    }
  }
}
