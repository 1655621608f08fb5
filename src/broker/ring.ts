/**
 * The fanout ring: the last `limit` payloads of a topic, by seq. Each message exists once however
 * many subscribers read it; each subscription only keeps a cursor.
 *
 * The ring copies each payload into its own byte arena, once, on push. A server reads every
 * socket into one reused buffer (src/server/shared-reads.ts), so a publish's bytes are only
 * valid during the call: keeping them means copying them. Copying into one arena that is reused
 * in place is what makes the shared read buffer pay: fresh read buffers, each kept alive by the
 * few messages in it, made V8 run a full mark-compact every 25 ms at 1 KiB (external-memory
 * pressure), over a quarter of the broker's CPU. The arena allocates nothing once it has
 * reached its working size, and holds no object per message (the slots are typed arrays), so
 * young-generation GCs have nothing to copy either.
 *
 * The arena is a circular byte buffer: payloads sit end to end in push order, and one that would
 * run past the end starts again at 0 (the tail gap is left unused). When the next payload does
 * not fit in the free space, the arena doubles and the held payloads are packed at its start.
 * Eviction is by count only (`limit`), as before: the arena grows to what `limit` payloads need.
 *
 * The slot arrays have a power-of-two length so a seq maps to its slot with one `&`. They start
 * small and double as messages arrive, up to the first power of two >= limit, so an idle topic
 * declared with a million-message buffer costs a few hundred bytes, not 12 MiB.
 */

import { BYTE_LOOP_MAX, copySmall, rangeView, SMALL_COPY_MAX, viewOf } from '../byte-copy.ts';

const INITIAL_CAPACITY = 16;
/** First arena size; it doubles from here as payloads need. */
const INITIAL_ARENA_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

function nextPowerOfTwo(n: number, from: number): number {
  let p = from;
  while (p < n) p *= 2;
  return p;
}

/** A window of consecutive seqs `[oldest, head)` with their payloads. */
export class PayloadRing {
  /** Seq the next pushed payload gets; everything below it was pushed. */
  head: number;
  /** How many of the most recent payloads are held (at most `limit`). */
  size = 0;
  #limit: number;
  /** Where each held payload starts in the arena. */
  #starts: Float64Array;
  /** Byte lengths (at most max_message_size, 64 MiB). */
  #lengths: Uint32Array;
  #mask: number;
  #arena: Uint8Array = EMPTY;
  /** A DataView of `#arena`, for small copies. */
  #arenaView: DataView = EMPTY_VIEW;
  /** Where the next payload goes if it fits there: the end of the newest one. */
  #writeAt = 0;

  /** @param firstSeq the seq of the first payload to be pushed */
  constructor(limit: number, firstSeq = 1) {
    this.#limit = limit;
    this.head = firstSeq;
    this.#starts = new Float64Array(INITIAL_CAPACITY);
    this.#lengths = new Uint32Array(INITIAL_CAPACITY);
    this.#mask = INITIAL_CAPACITY - 1;
  }

  /** Most payloads held. */
  get limit(): number {
    return this.#limit;
  }

  /** Length of the slot arrays now (they grow lazily). */
  get capacity(): number {
    return this.#starts.length;
  }

  /** Bytes of the payload arena now (it grows lazily). */
  get arenaBytes(): number {
    return this.#arena.length;
  }

  /** The oldest seq still held (equals `head` when nothing is held). */
  get oldest(): number {
    return this.head - this.size;
  }

  /**
   * Appends a copy of `payload` as seq `head`, forgetting the oldest one if the ring is at its
   * limit. Each payload is usually its own array (an in-process publish), so a small one is
   * copied with a byte loop rather than given a DataView (byte-copy.ts).
   */
  push(payload: Uint8Array): void {
    const n = payload.length;
    const at = this.#claim(n);
    if (at < 0) return;
    const arena = this.#arena;
    if (n <= BYTE_LOOP_MAX) {
      for (let i = 0; i < n; i++) arena[at + i] = payload[i]!;
    } else {
      arena.set(payload, at);
    }
  }

  /**
   * `push` of bytes `start .. end` of `buf`, copied: `buf` may change once this returns. `buf` is
   * usually the same array for many calls (one read of the shared read buffer), so small ranges
   * are copied through its DataView, and a large one through a view its subscribers reuse.
   */
  pushRange(buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    const at = this.#claim(n);
    if (at < 0) return;
    if (n <= SMALL_COPY_MAX) {
      copySmall(viewOf(buf), start, this.#arenaView, at, n);
    } else {
      this.#arena.set(rangeView(buf, start, n), at);
    }
  }

  /**
   * Takes seq `head` for a payload of `n` bytes and returns where in the arena to copy it, or -1
   * when the ring holds nothing (limit 0), forgetting the oldest payload at the limit.
   */
  #claim(n: number): number {
    const seq = this.head;
    if (this.#limit === 0) {
      this.head = seq + 1;
      return -1;
    }
    // Forget the oldest at the limit: its bytes are free space from here on.
    if (this.size === this.#limit) this.size--;
    else if (this.size === this.#starts.length) this.#grow();
    let at = this.#place(n);
    if (at < 0) {
      this.#pack(n, true);
      at = this.#writeAt;
    }
    const i = seq & this.#mask;
    this.#starts[i] = at;
    this.#lengths[i] = n;
    this.#writeAt = at + n;
    this.size++;
    this.head = seq + 1;
    return at;
  }

  /**
   * The arena the held payloads live in: the payload of `seq` is bytes `startOf(seq) ..
   * endOf(seq)` of it (the caller checks `oldest <= seq < head`). Valid until the next push or
   * resize, as `get`'s view is; one object for every seq, so a subscriber taking ranges of it
   * can reuse what it made for the last one (byte-copy.ts).
   */
  get bytes(): Uint8Array {
    return this.#arena;
  }

  /** Where the payload of `seq` starts in `bytes`. */
  startOf(seq: number): number {
    return this.#starts[seq & this.#mask]!;
  }

  /** Where the payload of `seq` ends in `bytes`. */
  endOf(seq: number): number {
    const i = seq & this.#mask;
    return this.#starts[i]! + this.#lengths[i]!;
  }

  /**
   * A view of the payload of `seq`; the caller checks `oldest <= seq < head`. It is valid until
   * the next push or resize, which may reuse those bytes: copy it out before either.
   */
  get(seq: number): Uint8Array {
    const i = seq & this.#mask;
    const start = this.#starts[i]!;
    return this.#arena.subarray(start, start + this.#lengths[i]!);
  }

  /**
   * Changes the limit. Shrinking forgets the payloads that no longer fit and gives the slot
   * arrays and the arena back down to the size the held payloads need.
   */
  resize(limit: number): void {
    const shrinking = limit < this.#limit;
    this.#limit = limit;
    if (this.size > limit) {
      this.size = limit;
      this.#rebuild(nextPowerOfTwo(limit, INITIAL_CAPACITY));
    }
    if (shrinking) this.#pack(0, false);
  }

  /**
   * Where `n` more bytes fit in free space, or -1. The held payloads (seqs `oldest .. head-1`;
   * the one being pushed is not yet among them) run from the oldest one's start to `#writeAt`, in push
   * order, wrapping past the end of the arena at most once.
   */
  #place(n: number): number {
    const arenaLength = this.#arena.length;
    if (this.size === 0) return n <= arenaLength ? 0 : -1;
    const w = this.#writeAt;
    const tail = this.#starts[(this.head - this.size) & this.#mask]!;
    if (w > tail) {
      if (w + n <= arenaLength) return w;
      return n <= tail ? 0 : -1; // start again at 0; the end's gap stays unused for this lap
    }
    return w + n <= tail ? w : -1;
  }

  /**
   * Moves the held payloads to the start of a new arena with room for `n` more bytes: at least
   * twice what they need together, and, when growing, at least twice the old arena. A push only
   * gets here when the held bytes plus `n` fill over half the arena (a gap at the end is always
   * smaller than the payload that wrapped past it), so arenas only grow with the working set.
   *
   * The held payloads lie end to end from the oldest one's start, in at most two runs: up to
   * the gap the last wrap left, then from 0 to `#writeAt`. Each run moves in one copy, and only
   * the starts are rewritten per payload: moving payloads one by one took 5-12 ms (a subarray and
   * a copy each) when a ring of small messages grew past 16 k-256 k of them, a stall every
   * connection of the server waited through.
   */
  #pack(n: number, growing: boolean): void {
    const old = this.#arena;
    const mask = this.#mask;
    const starts = this.#starts;
    const lengths = this.#lengths;
    const first = this.head - this.size;
    const last = this.head;
    const tail = this.size === 0 ? 0 : starts[first & mask]!;
    // Each payload starts where the one before it ended, except the one that wrapped to 0.
    let wrapSeq = last;
    let firstRunEnd = tail;
    let bytes = n;
    for (let seq = first; seq < last; seq++) {
      const i = seq & mask;
      if (wrapSeq === last && starts[i] !== firstRunEnd) wrapSeq = seq;
      if (wrapSeq === last) firstRunEnd += lengths[i]!;
      bytes += lengths[i]!;
    }
    let size = bytes === 0 ? 0 : nextPowerOfTwo(bytes * 2, INITIAL_ARENA_BYTES);
    if (growing) size = Math.max(size, old.length * 2);
    const arena = size === 0 ? EMPTY : new Uint8Array(size);
    const firstRun = firstRunEnd - tail;
    // The second run is the wrapped payloads, from 0 to the end of the newest.
    const secondRun = wrapSeq < last ? this.#writeAt : 0;
    if (firstRun > 0) arena.set(old.subarray(tail, firstRunEnd), 0);
    if (secondRun > 0) arena.set(old.subarray(0, secondRun), firstRun);
    for (let seq = first; seq < wrapSeq; seq++) {
      const i = seq & mask;
      starts[i] = starts[i]! - tail;
    }
    for (let seq = wrapSeq; seq < last; seq++) {
      const i = seq & mask;
      starts[i] = starts[i]! + firstRun;
    }
    this.#arena = arena;
    this.#arenaView = size === 0 ? EMPTY_VIEW : new DataView(arena.buffer);
    this.#writeAt = firstRun + secondRun;
  }

  #grow(): void {
    this.#rebuild(Math.min(this.#starts.length * 2, nextPowerOfTwo(this.#limit, INITIAL_CAPACITY)));
  }

  /**
   * New slot arrays of `capacity` with the held seqs in their new slots. Slots are copied in
   * runs that are consecutive in both arrays (at most three), not one by one: a ring of a
   * million small messages has that many slots to move.
   */
  #rebuild(capacity: number): void {
    const starts = new Float64Array(capacity);
    const lengths = new Uint32Array(capacity);
    const mask = capacity - 1;
    const oldStarts = this.#starts;
    const oldLengths = this.#lengths;
    const oldCapacity = oldStarts.length;
    for (let seq = this.head - this.size; seq < this.head; ) {
      const from = seq & this.#mask;
      const to = seq & mask;
      const run = Math.min(this.head - seq, oldCapacity - from, capacity - to);
      starts.set(oldStarts.subarray(from, from + run), to);
      lengths.set(oldLengths.subarray(from, from + run), to);
      seq += run;
    }
    this.#starts = starts;
    this.#lengths = lengths;
    this.#mask = mask;
  }
}
