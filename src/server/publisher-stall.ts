/**
 * The bounded publisher stall (`performance.publisher_stall_ms`): a publish that finds a fanout
 * subscriber unable to keep up pauses reading its publisher until that subscriber drains, for at
 * most publisher_stall_ms. Each connection has one PublisherStall and may play both parts: the
 * publisher that waits and the subscriber waited on. A subscriber that stays stuck the whole time
 * pauses no publisher again until it drains, so a frozen one costs each publisher one pause;
 * write_deadline_ms and the slow-consumer policy deal with it as before.
 */

/** What a stall pauses and resumes: reading from the publisher's socket. */
export interface StallReader {
  /** Stops decoding and reading the peer. */
  pauseReading(): void;
  /** The pause ended: reads the rest (a reader that is closing ignores this). */
  resumeReading(): void;
}

export class PublisherStall {
  readonly #reader: StallReader;
  // As a publisher:
  /** The subscriber this publisher is paused for, or null. */
  #waitingOn: PublisherStall | null = null;
  /** One timer per publisher, re-armed for each pause; a firing after the pause ended does nothing. */
  #timer: NodeJS.Timeout | undefined;
  #timerMs = 0;
  #pauses = 0;
  /** The peer sent FIN (`end`): this publisher is never paused again. */
  #ended = false;
  // As a subscriber:
  /** Publishers paused until this subscriber drains (made on first use: most never have any). */
  #waiters: PublisherStall[] | null = null;
  /** A publisher waited the whole stall for this subscriber: none waits again until it drains. */
  #expired = false;

  constructor(reader: StallReader) {
    this.#reader = reader;
  }

  /** True while this publisher is paused for a backed-up subscriber. */
  get paused(): boolean {
    return this.#waitingOn !== null;
  }

  /** Times this publisher was paused. */
  get pauses(): number {
    return this.#pauses;
  }

  /**
   * Pauses this publisher until `subscriber` drains, for at most `ms` (0: never pauses). Does
   * nothing while already paused, after `end`, or once `subscriber` used up a whole stall.
   */
  pauseFor(subscriber: PublisherStall, ms: number): void {
    if (ms === 0 || this.#ended || subscriber.#expired || this.#waitingOn !== null) return;
    this.#waitingOn = subscriber;
    this.#pauses++;
    if (subscriber.#waiters === null) subscriber.#waiters = [this];
    else subscriber.#waiters.push(this);
    this.#reader.pauseReading();
    const timer = this.#timer;
    if (timer !== undefined && this.#timerMs === ms) {
      timer.refresh();
    } else {
      if (timer !== undefined) clearTimeout(timer);
      this.#timer = setTimeout(this.#onTimeout, ms);
      this.#timer.unref();
      this.#timerMs = ms;
    }
  }

  /** The subscriber drained: publishers paused for it go on, and may pause for it again. */
  drained(): void {
    this.#expired = false;
    this.releaseWaiters();
  }

  /** Lets every publisher paused for this subscriber read again (it drained or closed). */
  releaseWaiters(): void {
    const list = this.#waiters;
    if (list === null || list.length === 0) return;
    this.#waiters = null;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p.#waitingOn === this) p.#unpause();
    }
  }

  /**
   * Ends this publisher's pause without reading on, and pauses it no more: its peer sent FIN and
   * the caller decodes what is held itself. The subscriber's list may still name it, but a release
   * skips a publisher that is no longer waiting on it.
   */
  end(): void {
    this.#ended = true;
    this.#waitingOn = null;
    this.stopTimer();
  }

  /** Stops this publisher's timer (its connection closed). */
  stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #unpause(): void {
    this.#waitingOn = null;
    this.#reader.resumeReading();
  }

  readonly #onTimeout = (): void => {
    const subscriber = this.#waitingOn;
    if (subscriber === null) return; // the pause ended before the timer
    subscriber.#expired = true;
    subscriber.releaseWaiters();
  };
}
