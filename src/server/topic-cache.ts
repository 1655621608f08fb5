/**
 * Per-connection topic handles keyed by the topic's bytes, so a PUB skips decoding its topic to a
 * string (86-138 ns, ARCHITECTURE.md §4) and the broker's name lookup. A publisher uses a handful
 * of topics: a few slots compared four bytes at a time (through DataViews, byte-copy.ts) cost
 * less than a decode. A handle goes stale when its topic is deleted; the PUB handler then calls
 * `forget` and looks the name up again.
 */
import type { Broker, TopicHandle } from '../broker/index.ts';
import { viewOf } from '../byte-copy.ts';

/** Topics remembered per connection; past this the oldest slot is reused. */
export const TOPIC_CACHE_SLOTS = 8;

/** Topic bytes -> broker handle, for one connection. */
export class TopicCache {
  readonly #broker: Broker;
  readonly #keys: DataView[] = [];
  /** Each key's length: DataView's byteLength is a call, not a field load, in optimised code. */
  readonly #lengths: number[] = [];
  readonly #handles: TopicHandle[] = [];
  #victim = 0;

  constructor(broker: Broker) {
    this.#broker = broker;
  }

  /** The handle for the topic `buf[start, start + len)`, or undefined when no such topic exists. */
  lookup(buf: Buffer, start: number, len: number): TopicHandle | undefined {
    const keys = this.#keys;
    if (keys.length !== 0) {
      const bytes = viewOf(buf);
      next: for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (this.#lengths[i] !== len) continue;
        let j = 0;
        for (; j + 4 <= len; j += 4) if (key.getUint32(j) !== bytes.getUint32(start + j)) continue next;
        for (; j < len; j++) if (key.getUint8(j) !== bytes.getUint8(start + j)) continue next;
        return this.#handles[i];
      }
    }
    // Topic bytes are ASCII (§3.14): latin1 is the cheapest exact decode.
    const handle = this.#broker.getTopic(buf.toString('latin1', start, start + len));
    if (handle !== undefined) {
      const key = Buffer.from(buf.subarray(start, start + len));
      this.#remember(new DataView(key.buffer, key.byteOffset, len), handle);
    }
    return handle;
  }

  /** Drops a handle that turned out stale (its topic was deleted). */
  forget(handle: TopicHandle): void {
    for (let i = 0; i < this.#handles.length; i++) {
      if (this.#handles[i] === handle) {
        this.#keys.splice(i, 1);
        this.#lengths.splice(i, 1);
        this.#handles.splice(i, 1);
        i--;
      }
    }
    this.#victim = 0;
  }

  #remember(key: DataView, handle: TopicHandle): void {
    if (this.#keys.length < TOPIC_CACHE_SLOTS) {
      this.#keys.push(key);
      this.#lengths.push(key.byteLength);
      this.#handles.push(handle);
      return;
    }
    this.#keys[this.#victim] = key;
    this.#lengths[this.#victim] = key.byteLength;
    this.#handles[this.#victim] = handle;
    this.#victim = (this.#victim + 1) % TOPIC_CACHE_SLOTS;
  }
}
