/**
 * Decides when queued output is written, for every connection of a server at once.
 *
 * Frames queued during a tick are written together at the end of it (one `setImmediate` for the
 * whole server, so one read batch that fans out to many connections costs one write per
 * connection, not one per frame). A writer also flushes on its own when `batch_size` frames are
 * queued. `flush_interval_ms` bounds how long a frame may wait while a long tick keeps reading
 * (many read batches in one poll phase): after each read batch, if the oldest queued frame is that
 * old, everything is written at once. With 0 the end of the tick is the only flush point.
 */

/** What the scheduler needs from a writer. */
export interface Flushable {
  /** Writes what is queued (the writer knows whether its socket may take it now). */
  flushScheduled(): void;
}

/** One per server: batches flushes across connections. */
export class FlushScheduler {
  #dirty: Flushable[] = [];
  #spare: Flushable[] = [];
  #scheduled = false;
  #batchStart = 0;
  #intervalMs: number;
  readonly #run = (): void => {
    this.#scheduled = false;
    this.flushAll();
  };

  /** @param flushIntervalMs `performance.flush_interval_ms` */
  constructor(flushIntervalMs: number) {
    this.#intervalMs = flushIntervalMs;
  }

  /** `flush_interval_ms`; a reload sets it, and it applies from the next read batch on. */
  get intervalMs(): number {
    return this.#intervalMs;
  }
  set intervalMs(value: number) {
    this.#intervalMs = value;
  }

  /** A writer queued its first frame since it was last flushed by the scheduler. */
  mark(writer: Flushable): void {
    if (this.#dirty.length === 0) {
      // Only read the clock when an interval is in force, once per batch.
      if (this.#intervalMs > 0) this.#batchStart = performance.now();
    }
    this.#dirty.push(writer);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  }

  /** Called after each read batch: flushes everything if the batch has waited flush_interval_ms. */
  afterRead(): void {
    if (this.#intervalMs > 0 && this.#dirty.length > 0) {
      if (performance.now() - this.#batchStart >= this.#intervalMs) this.flushAll();
    }
  }

  /** Writes every dirty writer's output now. */
  flushAll(): void {
    const list = this.#dirty;
    if (list.length === 0) return;
    // Swap lists first: a writer flushed below may queue again (e.g. a resumed subscription).
    this.#dirty = this.#spare;
    this.#spare = list;
    for (let i = 0; i < list.length; i++) list[i]!.flushScheduled();
    list.length = 0;
  }

  /** Writers waiting for a flush, for tests. */
  get pending(): number {
    return this.#dirty.length;
  }
}
