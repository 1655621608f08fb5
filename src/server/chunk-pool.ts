/**
 * Reusable output chunks shared by every connection of a server.
 *
 * A connection takes chunks only while it has output queued and gives them back once the socket
 * has written them, so an idle connection holds no output memory (ARCHITECTURE.md §4). The first
 * chunk of a batch is small, so a broadcast to 10 000 mostly idle connections costs a few KiB
 * each for the tick, not 64 KiB each; a connection that keeps filling chunks switches to large ones
 * so one write carries thousands of small frames.
 *
 * The free lists keep what the busiest recent moment needed, and `sweep` (called by the server's
 * sweep) lets go of chunks no take needed for a whole TRIM_PERIOD_MS, so a burst does not leave
 * its memory behind for good.
 */
import type { Sweepable } from './sweeper.ts';

/** Size of the first chunk a connection takes in a batch. */
export const SMALL_CHUNK_SIZE = 2048;
/** Size of every further chunk in a batch: ~2 000 small frames per write. */
export const LARGE_CHUNK_SIZE = 65536;
/** Free small chunks kept for reuse (2 MiB); more are left to the GC. */
export const MAX_FREE_SMALL = 1024;
/**
 * Free large chunks kept for reuse (32 MiB); more are left to the GC. Four subscribers taking
 * 1 KiB fanout over TCP keep well over a hundred chunks in flight: with 64 kept, the chunks
 * allocated past them (gone again at once) had V8 run a mark-compact every ~70 ms on external
 * memory, and 512 made the broker 1.19x faster at 0.79x the CPU there (bench/README.md).
 */
export const MAX_FREE_LARGE = 512;
/** A free chunk that no take needed for this long is let go by `sweep`. */
export const TRIM_PERIOD_MS = 5000;

/** A free list of output chunks in two sizes; frames larger than a large chunk get their own buffer. */
export class ChunkPool implements Sweepable {
  readonly #small: Buffer[] = [];
  readonly #large: Buffer[] = [];
  /** The fewest free chunks of each size since the last trim (sweep): that many went unneeded. */
  #smallLow = 0;
  #largeLow = 0;
  #trimmedAt = 0;

  /**
   * A chunk with room for at least `need` bytes: small when `small` is asked and it fits, large
   * when it fits, else a buffer of exactly `need` bytes that is not pooled.
   */
  take(need: number, small: boolean): Buffer {
    if (small && need <= SMALL_CHUNK_SIZE) {
      const chunk = this.#small.pop() ?? Buffer.allocUnsafeSlow(SMALL_CHUNK_SIZE);
      if (this.#small.length < this.#smallLow) this.#smallLow = this.#small.length;
      return chunk;
    }
    if (need <= LARGE_CHUNK_SIZE) {
      const chunk = this.#large.pop() ?? Buffer.allocUnsafeSlow(LARGE_CHUNK_SIZE);
      if (this.#large.length < this.#largeLow) this.#largeLow = this.#large.length;
      return chunk;
    }
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

  /**
   * The server's sweep. Once per TRIM_PERIOD_MS, lets go of as many free chunks of each size as
   * stayed free through the whole period (the lowest the free list got), leaving the GC to
   * reclaim them.
   */
  sweep(now: number): void {
    if (now - this.#trimmedAt < TRIM_PERIOD_MS) return;
    this.#trimmedAt = now;
    this.#small.length -= this.#smallLow;
    this.#large.length -= this.#largeLow;
    this.#smallLow = this.#small.length;
    this.#largeLow = this.#large.length;
  }

  /** Free chunks held, for tests and stats. */
  get free(): { small: number; large: number } {
    return { small: this.#small.length, large: this.#large.length };
  }
}
