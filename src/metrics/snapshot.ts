/**
 * One reading of the broker per scrape. prom-client calls every metric's `collect` in one
 * synchronous run; the first call reads the broker and the rest reuse that reading, so all
 * topic series of a scrape describe the same instant and the broker is walked once, not once
 * per metric. The reading is dropped at the next microtask. Deleted topics' final counters reach
 * the ledger through a {@link TopicDeletionWatch} as they happen.
 */
import type { Broker, TopicStats } from '../broker/index.ts';
import { TopicDeletionWatch } from './topic-deletions.ts';
import { TopicLedger } from './topic-ledger.ts';

/** The broker as of this scrape. */
export class BrokerSnapshot {
  readonly #broker: Broker;
  readonly #ledger = new TopicLedger();
  readonly #deletions: TopicDeletionWatch;
  #current: readonly TopicStats[] | undefined;
  readonly #forget = (): void => {
    this.#current = undefined;
  };

  constructor(broker: Broker) {
    this.#broker = broker;
    this.#deletions = new TopicDeletionWatch(broker, (name, handle, final) =>
      this.#ledger.retire(name, handle, final),
    );
  }

  /** Live topics, read once per scrape; the ledger is brought up to date with the same reading. */
  topics(): readonly TopicStats[] {
    if (this.#current === undefined) {
      const stats = this.#broker.stats();
      this.#ledger.update(stats, (name) => this.#broker.getTopic(name));
      this.#current = stats;
      queueMicrotask(this.#forget);
    }
    return this.#current;
  }

  /** Monotonic totals per topic name, as of the last `topics()` reading. */
  get ledger(): TopicLedger {
    this.topics();
    return this.#ledger;
  }

  /** Stops watching for topic deletions. */
  close(): void {
    this.#deletions.close();
  }
}
