/**
 * Queue consumers as child processes (fixtures/queue-consumer.ts) and the ledger of what they
 * reported: every delivery (seq, redelivered flag, delivery count) in arrival order, acked by the
 * child right after the report reached us.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnFixture } from './child.ts';
import { guard, type Target } from './wire-client.ts';

/** One delivery a consumer reported (and then acked). */
export interface Delivery {
  readonly consumer: string;
  readonly seq: number;
  readonly flags: number;
  readonly deliveryCount: number;
  readonly at: number;
}

export class ConsumerLedger {
  readonly deliveries: Delivery[] = [];
  /** seq -> number of reports. */
  readonly count = new Map<number, number>();

  add(consumer: string, triples: number[]): void {
    const at = performance.now();
    for (let i = 0; i < triples.length; i += 3) {
      const seq = triples[i]!;
      this.deliveries.push({ consumer, seq, flags: triples[i + 1]!, deliveryCount: triples[i + 2]!, at });
      this.count.set(seq, (this.count.get(seq) ?? 0) + 1);
    }
  }

  /** Accepted seqs no consumer ever reported. */
  lost(accepted: Iterable<number>): number {
    let n = 0;
    for (const seq of accepted) if (!this.count.has(seq)) n++;
    return n;
  }

  /**
   * Redeliveries and how many carry the redelivered flag with a delivery count >= 2. A delivery is
   * a redelivery when its seq was reported before, or when the broker flagged it (the first copy
   * may have died unreported in a killed consumer).
   */
  redeliveries(): { total: number; flagged: number; unflaggedRepeats: number } {
    const seen = new Set<number>();
    let total = 0;
    let flagged = 0;
    let unflaggedRepeats = 0;
    for (const d of this.deliveries) {
      const repeat = seen.has(d.seq);
      const flag = (d.flags & 1) === 1;
      if (repeat || flag) {
        total++;
        if (flag && d.deliveryCount >= 2) flagged++;
        else if (repeat) unflaggedRepeats++;
      } else if (d.deliveryCount !== 1) unflaggedRepeats++;
      seen.add(d.seq);
    }
    return { total, flagged, unflaggedRepeats };
  }
}

/** A running consumer child. */
export interface ConsumerChild {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
}

/** Spawns a consumer child and resolves once it has its SUB_ACK. */
export async function spawnConsumer(
  target: Target,
  topic: string,
  name: string,
  ledger: ConsumerLedger,
): Promise<ConsumerChild> {
  const proc = spawnFixture('queue-consumer.ts', [JSON.stringify(target), topic, name]);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    proc.on('message', (m: unknown) => {
      if (m === 'ready') resolve();
      else ledger.add(name, m as number[]);
    });
    proc.once('exit', (code) => reject(new Error(`consumer ${name} exited (${code}) before subscribing`)));
  });
  try {
    await guard(ready, 60_000, `consumer ${name} ready`);
  } catch (err) {
    // Not handed to the caller, so nobody else would end it.
    proc.kill('SIGKILL');
    throw err;
  }
  return { name, proc, exited };
}
