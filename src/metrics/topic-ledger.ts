/**
 * Per-topic counter totals that never go backwards. The broker's counters live on the topic
 * object: when a topic is deleted and a topic of the same name created again, the new one counts
 * from 0. Prometheus must not see a counter fall within one label set, so the ledger keeps what
 * every earlier instance of a name had counted (as last read) and adds the live instance on top.
 * A topic instance is told apart by its handle's identity (`Broker.getTopic`), not by its name.
 * A deleted instance's final counters come in through `retire` (see topic-deletions.ts), so what
 * it counted after the last reading is not lost.
 */
import type { TopicCounters, TopicHandle, TopicStats } from '../broker/index.ts';

/** Every field of {@link TopicCounters}; the Record type makes the compiler flag a new one. */
const COUNTER_FIELD_SET: Record<keyof TopicCounters, true> = {
  published: true,
  publishedBytes: true,
  delivered: true,
  redelivered: true,
  rejected: true,
  droppedOverflow: true,
  droppedLagged: true,
  slowConsumerEvictions: true,
  droppedDeleted: true,
  droppedDeliveryLimit: true,
  acked: true,
};

/** The names of the broker's monotonic per-topic counters. */
export const COUNTER_FIELDS = Object.keys(COUNTER_FIELD_SET) as readonly (keyof TopicCounters)[];

interface Entry {
  /** The instance last read under this name (undefined once it is gone and nothing replaced it). */
  handle: TopicHandle | undefined;
  /** Totals of earlier instances of this name. */
  readonly base: TopicCounters;
  /** The live (or last) instance's counters as last read. */
  readonly last: TopicCounters;
}

function zeroCounters(): TopicCounters {
  const c = {} as TopicCounters;
  for (const f of COUNTER_FIELDS) c[f] = 0;
  return c;
}

/** Moves the counts last read into the totals of finished instances. */
function foldLast(e: Entry): void {
  for (const f of COUNTER_FIELDS) {
    e.base[f] += e.last[f];
    e.last[f] = 0;
  }
}

/** Totals per topic name since the ledger was created, monotonic per name. */
export class TopicLedger {
  readonly #entries = new Map<string, Entry>();

  /**
   * Takes a new reading. `handleOf` must answer for the same broker state as `stats` (call both
   * in one synchronous run). Names missing from `stats` keep their totals.
   */
  update(stats: readonly TopicStats[], handleOf: (name: string) => TopicHandle | undefined): void {
    for (const s of stats) {
      const e = this.#entry(s.name);
      const handle = handleOf(s.name);
      let replaced = e.handle !== handle;
      // Same instance but a counter fell: cannot happen with today's broker; if it ever does,
      // keep the series monotonic by treating it as a new instance rather than going back.
      if (!replaced) for (const f of COUNTER_FIELDS) if (s[f] < e.last[f]) replaced = true;
      if (replaced) {
        foldLast(e);
        e.handle = handle;
      }
      for (const f of COUNTER_FIELDS) e.last[f] = s[f];
    }
  }

  /**
   * The instance `handle` of `name` was deleted having counted `final` in all: its final counts
   * join the name's totals, including what it counted after the last reading and an instance no
   * reading ever saw (created and deleted in between). A later instance of the name adds on top.
   */
  retire(name: string, handle: TopicHandle, final: TopicCounters): void {
    const e = this.#entry(name);
    // The instance last read is another one (only possible if its own deletion went unseen):
    // keep what was read of it before taking this one's final counts.
    if (e.handle !== handle) foldLast(e);
    // Final counts come after any reading of the same instance, so they are never lower; max()
    // keeps the total monotonic even if they were.
    for (const f of COUNTER_FIELDS) e.last[f] = Math.max(e.last[f], final[f]);
    foldLast(e);
    e.handle = undefined;
  }

  /** Topic names ever seen, in first-seen order. */
  names(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** The total of `field` for `name` (0 for a name never seen). */
  total(name: string, field: keyof TopicCounters): number {
    const e = this.#entries.get(name);
    return e === undefined ? 0 : e.base[field] + e.last[field];
  }

  #entry(name: string): Entry {
    let e = this.#entries.get(name);
    if (e === undefined) {
      e = { handle: undefined, base: zeroCounters(), last: zeroCounters() };
      this.#entries.set(name, e);
    }
    return e;
  }
}
