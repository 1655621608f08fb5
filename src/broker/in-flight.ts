/**
 * One queue consumer's unacked deliveries, by seq: an open-addressing hash table (linear probing,
 * backward-shift deletion) over typed arrays, so tracking and acking a delivery allocates nothing.
 * Acks may come in any order and a consumer's seqs are not sorted (redeliveries interleave), so a
 * list with a linear search would cost O(prefetch) per ack. The table starts small and doubles at
 * half load, so a consumer with a large prefetch but little traffic stays small.
 */

const INITIAL_BITS = 3;
/** Marks an empty slot; seqs start at 1. */
const EMPTY = 0;
/** 2^32 / golden ratio: Fibonacci hashing spreads seqs with a common stride (a consumer of a
 * round-robin over 4 gets every 4th seq), which a plain `seq & mask` would pile into few slots. */
const FIBONACCI = 0x9e3779b1;

/** Unacked deliveries of one subscription: seq -> (payload, deliveries so far). */
export class InFlightTable {
  size = 0;
  #keys = new Float64Array(1 << INITIAL_BITS);
  #deliveries = new Uint32Array(1 << INITIAL_BITS);
  #payloads = new Array<Uint8Array | undefined>(1 << INITIAL_BITS).fill(undefined);
  #mask = (1 << INITIAL_BITS) - 1;
  #shift = 32 - INITIAL_BITS;

  /** Records a delivery of `seq`; the caller guarantees it is not already in the table. */
  add(seq: number, payload: Uint8Array, deliveries: number): void {
    if ((this.size + 1) * 2 > this.#keys.length) this.#grow();
    const keys = this.#keys;
    let i = this.#home(seq);
    while (keys[i] !== EMPTY) i = (i + 1) & this.#mask;
    keys[i] = seq;
    this.#payloads[i] = payload;
    this.#deliveries[i] = deliveries;
    this.size++;
  }

  /** Whether `seq` is in flight. */
  has(seq: number): boolean {
    return this.#find(seq) >= 0;
  }

  /** Forgets `seq` (acked); false if it was not in flight. */
  delete(seq: number): boolean {
    let i = this.#find(seq);
    if (i < 0) return false;
    const keys = this.#keys;
    const mask = this.#mask;
    // Backward-shift deletion: pull later entries of the probe run into the hole, so lookups
    // never need tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j]!;
      if (k === EMPTY) break;
      const home = this.#home(k);
      // Move entry j into hole i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        keys[i] = k;
        this.#payloads[i] = this.#payloads[j];
        this.#deliveries[i] = this.#deliveries[j]!;
        i = j;
      }
    }
    keys[i] = EMPTY;
    this.#payloads[i] = undefined;
    this.size--;
    return true;
  }

  /**
   * Moves every entry out, sorted by seq, into the given arrays (appended) and empties the table.
   * Used when the consumer goes away and its deliveries return to the topic's line.
   */
  drainSorted(seqs: number[], payloads: Uint8Array[], deliveries: number[]): void {
    const order: number[] = [];
    for (let i = 0; i < this.#keys.length; i++) if (this.#keys[i] !== EMPTY) order.push(i);
    order.sort((a, b) => this.#keys[a]! - this.#keys[b]!);
    for (const i of order) {
      seqs.push(this.#keys[i]!);
      payloads.push(this.#payloads[i]!);
      deliveries.push(this.#deliveries[i]!);
    }
    this.#keys.fill(EMPTY);
    this.#payloads.fill(undefined);
    this.size = 0;
  }

  #find(seq: number): number {
    const keys = this.#keys;
    let i = this.#home(seq);
    for (;;) {
      const k = keys[i];
      if (k === seq) return i;
      if (k === EMPTY) return -1;
      i = (i + 1) & this.#mask;
    }
  }

  #home(seq: number): number {
    return Math.imul(seq | 0, FIBONACCI) >>> this.#shift;
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldPayloads = this.#payloads;
    const oldDeliveries = this.#deliveries;
    const capacity = oldKeys.length * 2;
    this.#keys = new Float64Array(capacity);
    this.#payloads = new Array<Uint8Array | undefined>(capacity).fill(undefined);
    this.#deliveries = new Uint32Array(capacity);
    this.#mask = capacity - 1;
    this.#shift--;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k !== EMPTY) this.add(k, oldPayloads[i]!, oldDeliveries[i]!);
    }
  }
}
