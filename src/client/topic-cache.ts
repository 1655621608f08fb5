import { encodeTopic } from '../protocol/index.ts';

/**
 * Most distinct topics a client keeps encoded. A publisher cycling through more names than this
 * pays the encoding again (the cache starts over) rather than growing without bound.
 */
export const TOPIC_CACHE_LIMIT = 1024;

/**
 * Topic names checked and encoded to wire bytes once each: publishing to a known topic costs one
 * Map lookup and no string work (ARCHITECTURE.md §4: encoding a topic costs more than the lookup).
 */
export class TopicCache {
  readonly #bytes = new Map<string, Buffer>();

  /**
   * The wire bytes of a topic name.
   * @throws MyceliumError INVALID_TOPIC naming the rule the name breaks
   */
  get(name: string): Buffer {
    let bytes = this.#bytes.get(name);
    if (bytes === undefined) {
      bytes = encodeTopic(name);
      if (this.#bytes.size >= TOPIC_CACHE_LIMIT) this.#bytes.clear();
      this.#bytes.set(name, bytes);
    }
    return bytes;
  }
}
