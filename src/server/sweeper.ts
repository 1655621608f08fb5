/**
 * One timer for the whole server that checks every connection's deadlines: the handshake
 * deadline, heartbeats and the write deadline. A timer per connection would cost 10 000 timers at
 * 10 000 connections; one sweep over a Map costs microseconds.
 */

/** Shortest sweep period: keeps a 100 ms deadline within ~10 %. */
const MIN_SWEEP_MS = 10;
/** Longest sweep period: deadlines of seconds are still checked to within 10 % or a second. */
const MAX_SWEEP_MS = 1000;
/** Sweeps per shortest deadline, so each deadline is met to within about 10 %. */
const SWEEPS_PER_DEADLINE = 10;

/** Something with deadlines to check. */
export interface Sweepable {
  /** Checks deadlines at `now` (performance.now() ms). */
  sweep(now: number): void;
}

/** How often to sweep, given the deadlines (ms) it must meet. */
export function sweepPeriodMs(...deadlinesMs: number[]): number {
  const shortest = Math.min(...deadlinesMs);
  return Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.floor(shortest / SWEEPS_PER_DEADLINE)));
}

/** Runs `sweep` on every item `items()` yields, every `periodMs`. */
export class Sweeper {
  #timer: NodeJS.Timeout | undefined;
  #periodMs: number;
  readonly #items: () => Iterable<Sweepable>;

  constructor(periodMs: number, items: () => Iterable<Sweepable>) {
    this.#periodMs = periodMs;
    this.#items = items;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.sweepNow(), this.#periodMs);
    // The listeners keep the process alive; the sweep alone must not.
    this.#timer.unref();
  }

  /** The sweep period (ms). */
  get periodMs(): number {
    return this.#periodMs;
  }

  /** Changes the period (a reload changed a deadline); a running sweep restarts at the new one. */
  setPeriod(periodMs: number): void {
    if (periodMs === this.#periodMs) return;
    this.#periodMs = periodMs;
    if (this.#timer === undefined) return;
    this.stop();
    this.start();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One sweep now. Items may close (and leave the collection) while it runs. */
  sweepNow(): void {
    const now = performance.now();
    for (const item of this.#items()) item.sweep(now);
  }
}
