/** Client subscriber process: the system's own client, one connection per subscriber, counting. */
import { loadClient } from '../clients/index.ts';
import type { ClientSink, ClientSubscriber } from '../clients/types.ts';
import type { SubConnStats, SubJob } from '../types.ts';
import { nowNs, onCommand, report, withTimeout } from './io.ts';

/** Counts one subscriber's deliveries. */
class Counter implements ClientSink {
  messages = 0;
  firstNs = 0;
  lastNs = 0;
  closedByBroker = false;
  lagged = 0;
  readonly errors: string[] = [];
  onMessage(): void {
    const t = nowNs();
    if (this.messages++ === 0) this.firstNs = t;
    this.lastNs = t;
  }
  onLagged(count: number): void {
    this.lagged += count;
  }
  onClosed(reason: string): void {
    this.closedByBroker = true;
    if (this.errors.length < 5) this.errors.push(reason);
  }
}

/** Runs a client subscriber job (the process exits when the parent stops it). */
export async function runClientSub(job: SubJob): Promise<void> {
  const client = await loadClient(job.system);
  const counters: Counter[] = [];
  const subs: ClientSubscriber[] = [];
  for (let i = 0; i < job.connections; i++) {
    const counter = new Counter();
    counters.push(counter);
    subs.push(
      await withTimeout(client.subscriber(job.endpoint, job.topic, job.queue, counter), 10_000, 'subscribe'),
    );
  }
  onCommand((command) => {
    if (command.type === 'poll') {
      report({ type: 'progress', messages: counters.reduce((n, c) => n + c.messages, 0) });
    } else if (command.type === 'stop') {
      const conns: SubConnStats[] = counters.map((c) => ({
        messages: c.messages,
        firstNs: c.firstNs,
        lastNs: c.lastNs,
        lagged: c.lagged,
        closedByBroker: c.closedByBroker,
        errors: c.errors,
      }));
      report({ type: 'sub-done', conns });
      for (const s of subs) s.close().catch(() => {});
    }
  });
  report({ type: 'ready' });
}
