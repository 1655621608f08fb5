/**
 * The waiting line of a queue topic: messages no consumer has taken yet, oldest first. A double
 * ended ring of parallel arrays (seq, payload, deliveries so far), so queueing a message allocates
 * nothing; it grows by doubling and can go past the topic's bound, because redeliveries return to
 * the front even when the line is full (nothing accepted is dropped to make room for them).
 */

const INITIAL_CAPACITY = 16;

/** A FIFO of `(seq, payload, deliveries)` entries with access at both ends. */
export class MessageFifo {
  length = 0;
  #head = 0;
  #seqs = new Float64Array(INITIAL_CAPACITY);
  #deliveries = new Uint32Array(INITIAL_CAPACITY);
  #payloads = new Array<Uint8Array | undefined>(INITIAL_CAPACITY).fill(undefined);
  #mask = INITIAL_CAPACITY - 1;

  /** Seq of the oldest entry; only when length > 0. */
  get headSeq(): number {
    return this.#seqs[this.#head]!;
  }

  /** Payload of the oldest entry; only when length > 0. */
  get headPayload(): Uint8Array {
    return this.#payloads[this.#head]!;
  }

  /** How many times the oldest entry was delivered already (0 for a fresh message). */
  get headDeliveries(): number {
    return this.#deliveries[this.#head]!;
  }

  /** Appends the newest entry. */
  push(seq: number, payload: Uint8Array, deliveries: number): void {
    if (this.length === this.#seqs.length) this.#grow();
    const i = (this.#head + this.length) & this.#mask;
    this.#seqs[i] = seq;
    this.#payloads[i] = payload;
    this.#deliveries[i] = deliveries;
    this.length++;
  }

  /** Puts an entry in front of all others. */
  unshift(seq: number, payload: Uint8Array, deliveries: number): void {
    if (this.length === this.#seqs.length) this.#grow();
    const i = (this.#head - 1) & this.#mask;
    this.#seqs[i] = seq;
    this.#payloads[i] = payload;
    this.#deliveries[i] = deliveries;
    this.#head = i;
    this.length++;
  }

  /** Removes the oldest entry (read it first with the head getters); only when length > 0. */
  shift(): void {
    this.#payloads[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.length--;
  }

  /** Empties the line, releasing every payload. */
  clear(): void {
    this.#payloads.fill(undefined);
    this.#head = 0;
    this.length = 0;
  }

  #grow(): void {
    const capacity = this.#seqs.length * 2;
    const seqs = new Float64Array(capacity);
    const deliveries = new Uint32Array(capacity);
    const payloads = new Array<Uint8Array | undefined>(capacity).fill(undefined);
    for (let k = 0; k < this.length; k++) {
      const i = (this.#head + k) & this.#mask;
      seqs[k] = this.#seqs[i]!;
      deliveries[k] = this.#deliveries[i]!;
      payloads[k] = this.#payloads[i];
    }
    this.#seqs = seqs;
    this.#deliveries = deliveries;
    this.#payloads = payloads;
    this.#head = 0;
    this.#mask = capacity - 1;
  }
}
