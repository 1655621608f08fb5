/**
 * The fanout ring: the last `limit` payloads of a topic, by seq. Each message exists once however
 * many subscribers read it; each subscription only keeps a cursor.
 *
 * A slot keeps where the payload's bytes are (its ArrayBuffer, offset and length), not the view
 * object it arrived as. The views a server makes of its read buffers share a handful of
 * ArrayBuffers, so the ring holds no object per message: holding a million view objects made
 * every young-generation GC copy and promote each one, which cost the server half its publish
 * throughput at 16 B. `get` makes a fresh view (only a lagging subscriber's catch-up needs one;
 * a publish hands its own view to the caught-up subscribers).
 *
 * The slot arrays have a power-of-two length so a seq maps to its slot with one `&`. They start
 * small and double as messages arrive, up to the first power of two >= limit, so an idle topic
 * declared with a million-message buffer costs a few hundred bytes, not 20 MiB.
 */

const INITIAL_CAPACITY = 16;

function nextPowerOfTwo(n: number): number {
  let p = INITIAL_CAPACITY;
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
  #buffers: (ArrayBufferLike | undefined)[];
  /** Byte offsets (a view may start anywhere in a buffer of up to 2^53 bytes). */
  #offsets: Float64Array;
  /** Byte lengths (at most max_message_size, 64 MiB). */
  #lengths: Uint32Array;
  #mask: number;

  /** @param firstSeq the seq of the first payload to be pushed */
  constructor(limit: number, firstSeq = 1) {
    this.#limit = limit;
    this.head = firstSeq;
    this.#buffers = new Array<ArrayBufferLike | undefined>(INITIAL_CAPACITY).fill(undefined);
    this.#offsets = new Float64Array(INITIAL_CAPACITY);
    this.#lengths = new Uint32Array(INITIAL_CAPACITY);
    this.#mask = INITIAL_CAPACITY - 1;
  }

  /** Most payloads held. */
  get limit(): number {
    return this.#limit;
  }

  /** Length of the slot arrays now (they grow lazily). */
  get capacity(): number {
    return this.#buffers.length;
  }

  /** The oldest seq still held (equals `head` when nothing is held). */
  get oldest(): number {
    return this.head - this.size;
  }

  /**
   * Appends the payload of seq `head`, forgetting the oldest one if the ring is at its limit.
   * The payload's bytes are kept where they are, not copied: they must not change afterwards.
   */
  push(payload: Uint8Array): void {
    this.pushRange(payload.buffer, payload.byteOffset, payload.length);
  }

  /**
   * `push` for the `length` bytes at `offset` of `buffer`, so a caller holding a range of a larger
   * buffer need not make a view object for it. The same rule holds: those bytes must not change.
   */
  pushRange(buffer: ArrayBufferLike, offset: number, length: number): void {
    const seq = this.head;
    if (this.size < this.#limit) {
      if (this.size === this.#buffers.length) this.#grow();
      this.size++;
    } else {
      // Drop the reference now: with slot arrays longer than limit, the slot would otherwise
      // keep the buffer alive until it is reused.
      this.#buffers[(seq - this.#limit) & this.#mask] = undefined;
    }
    const i = seq & this.#mask;
    this.#buffers[i] = buffer;
    this.#offsets[i] = offset;
    this.#lengths[i] = length;
    this.head = seq + 1;
  }

  /** A view of the payload of `seq` (the bytes pushed, not a copy); the caller checks `oldest <= seq < head`. */
  get(seq: number): Uint8Array {
    const i = seq & this.#mask;
    return new Uint8Array(this.#buffers[i]!, this.#offsets[i]!, this.#lengths[i]!);
  }

  /**
   * Changes the limit. Shrinking forgets the payloads that no longer fit and gives the slot
   * arrays back down to the size the held payloads need.
   */
  resize(limit: number): void {
    this.#limit = limit;
    if (this.size <= limit) return;
    this.size = limit;
    this.#rebuild(nextPowerOfTwo(limit));
  }

  #grow(): void {
    this.#rebuild(Math.min(this.#buffers.length * 2, nextPowerOfTwo(this.#limit)));
  }

  #rebuild(capacity: number): void {
    const buffers = new Array<ArrayBufferLike | undefined>(capacity).fill(undefined);
    const offsets = new Float64Array(capacity);
    const lengths = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let seq = this.head - this.size; seq < this.head; seq++) {
      const from = seq & this.#mask;
      const to = seq & mask;
      buffers[to] = this.#buffers[from];
      offsets[to] = this.#offsets[from]!;
      lengths[to] = this.#lengths[from]!;
    }
    this.#buffers = buffers;
    this.#offsets = offsets;
    this.#lengths = lengths;
    this.#mask = mask;
  }
}
