/**
 * What a graceful shutdown waits for (ARCHITECTURE.md §2, RELIABILITY.md §4.1): every accepted
 * message delivered, queue deliveries acked and no queue message left waiting, all output
 * written, or the grace period over, whichever comes first.
 */
import type { Broker } from '../broker/index.ts';
import type { Connection } from './connection.ts';

/** How often a drain re-checks the broker and the connections. */
export const DRAIN_POLL_MS = 10;

/** Why the drain check is not done yet, or undefined when everything is delivered. */
export function undrained(broker: Broker, connections: Iterable<Connection>): string | undefined {
  for (const t of broker.stats()) {
    if (t.routing === 'Queue') {
      if (t.depth > 0) return `topic ${t.name}: ${t.depth} messages waiting`;
      if (t.inFlight > 0) return `topic ${t.name}: ${t.inFlight} deliveries unacked`;
    } else if (t.maxLag > 0) {
      return `topic ${t.name}: a subscriber is ${t.maxLag} messages behind`;
    }
  }
  for (const c of connections) {
    if (!c.writer.idle) return `connection ${c.id}: output not yet written`;
  }
  return undefined;
}

/**
 * Resolves with undefined once `check()` returns undefined, or with its last answer once
 * `graceMs` have passed (or `stop()` says to give up).
 */
export function waitUntil(
  check: () => string | undefined,
  graceMs: number,
  stop: () => boolean,
): Promise<string | undefined> {
  const deadline = performance.now() + graceMs;
  return new Promise((resolve) => {
    const poll = (): void => {
      const why = check();
      if (why === undefined || stop() || performance.now() >= deadline) {
        resolve(why);
        return;
      }
      setTimeout(poll, DRAIN_POLL_MS);
    };
    poll();
  });
}
