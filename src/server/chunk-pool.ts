/**
 * Reusable output chunks shared by every connection of a server.
 *
 * A connection takes chunks only while it has output queued and gives them back once the socket
 * has written them, so an idle connection holds no output memory (ARCHITECTURE.md §4). The first
 * chunk of a batch is small, so a broadcast to 10 000 mostly idle connections costs a few KiB
 * each for the tick, not 64 KiB each; a connection that keeps filling chunks switches to large ones
 * so one write carries thousands of small frames.
 */

/** Size of the first chunk a connection takes in a batch. */
export const SMALL_CHUNK_SIZE = 2048;
/** Size of every further chunk in a batch: ~2 000 small frames per write. */
export const LARGE_CHUNK_SIZE = 65536;
/** Free small chunks kept for reuse (2 MiB); more are left to the GC. */
const MAX_FREE_SMALL = 1024;
/** Free large chunks kept for reuse (4 MiB); more are left to the GC. */
const MAX_FREE_LARGE = 64;

/** A free list of output chunks in two sizes; frames larger than a large chunk get their own buffer. */
export class ChunkPool {
  readonly #small: Buffer[] = [];
  readonly #large: Buffer[] = [];

  /**
   * A chunk with room for at least `need` bytes: small when `small` is asked and it fits, large
   * when it fits, else a buffer of exactly `need` bytes that is not pooled.
   */
  take(need: number, small: boolean): Buffer {
    if (small && need <= SMALL_CHUNK_SIZE)
      return this.#small.pop() ?? Buffer.allocUnsafeSlow(SMALL_CHUNK_SIZE);
    if (need <= LARGE_CHUNK_SIZE) return this.#large.pop() ?? Buffer.allocUnsafeSlow(LARGE_CHUNK_SIZE);
    return Buffer.allocUnsafeSlow(need);
  }

  /** Gives a chunk back once nothing (the socket included) refers to it any more. */
  release(chunk: Buffer): void {
    if (chunk.length === SMALL_CHUNK_SIZE) {
      if (this.#small.length < MAX_FREE_SMALL) this.#small.push(chunk);
    } else if (chunk.length === LARGE_CHUNK_SIZE) {
      if (this.#large.length < MAX_FREE_LARGE) this.#large.push(chunk);
    }
  }

  /** Free chunks held, for tests and stats. */
  get free(): { small: number; large: number } {
    return { small: this.#small.length, large: this.#large.length };
  }
}
