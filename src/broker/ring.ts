/**
 * The fanout ring: the last `limit` payloads of a topic, by seq. It holds references, so each
 * message exists once however many subscribers read it; each subscription only keeps a cursor.
 *
 * The slot array has a power-of-two length so a seq maps to its slot with one `&`. It starts
 * small and doubles as messages arrive, up to the first power of two >= limit, so an idle topic
 * declared with a million-message buffer costs a few hundred bytes, not 8 MiB.
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
  #slots: (Uint8Array | undefined)[];
  #mask: number;

  /** @param firstSeq the seq of the first payload to be pushed */
  constructor(limit: number, firstSeq = 1) {
    this.#limit = limit;
    this.head = firstSeq;
    this.#slots = new Array<Uint8Array | undefined>(INITIAL_CAPACITY).fill(undefined);
    this.#mask = INITIAL_CAPACITY - 1;
  }

  /** Most payloads held. */
  get limit(): number {
    return this.#limit;
  }

  /** Length of the slot array now (it grows lazily). */
  get capacity(): number {
    return this.#slots.length;
  }

  /** The oldest seq still held (equals `head` when nothing is held). */
  get oldest(): number {
    return this.head - this.size;
  }

  /** Appends the payload of seq `head`, forgetting the oldest one if the ring is at its limit. */
  push(payload: Uint8Array): void {
    const seq = this.head;
    if (this.size < this.#limit) {
      if (this.size === this.#slots.length) this.#grow();
      this.size++;
    } else {
      // Drop the reference now: with a slot array longer than limit, the slot would otherwise
      // keep the payload alive until it is reused.
      this.#slots[(seq - this.#limit) & this.#mask] = undefined;
    }
    this.#slots[seq & this.#mask] = payload;
    this.head = seq + 1;
  }

  /** The payload of `seq`; the caller checks `oldest <= seq < head`. */
  get(seq: number): Uint8Array {
    return this.#slots[seq & this.#mask]!;
  }

  /**
   * Changes the limit. Shrinking forgets the payloads that no longer fit and gives the slot
   * array back down to the size the held payloads need.
   */
  resize(limit: number): void {
    this.#limit = limit;
    if (this.size <= limit) return;
    this.size = limit;
    this.#rebuild(nextPowerOfTwo(limit));
  }

  #grow(): void {
    this.#rebuild(Math.min(this.#slots.length * 2, nextPowerOfTwo(this.#limit)));
  }

  #rebuild(capacity: number): void {
    const slots = new Array<Uint8Array | undefined>(capacity).fill(undefined);
    const mask = capacity - 1;
    for (let seq = this.head - this.size; seq < this.head; seq++) {
      slots[seq & mask] = this.#slots[seq & this.#mask];
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}
