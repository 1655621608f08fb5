/**
 * Raw subscriber process: opens the job's connections, subscribes each (fanout, or the queue
 * group), proves each subscription is in place with a PING barrier, then only counts frames until
 * the parent says stop.
 */
import type { SubConnStats, SubJob } from '../types.ts';
import { loadWire } from '../wire/index.ts';
import { onCommand, openSocket, RawConn, report, withTimeout } from './io.ts';

/** Runs a raw subscriber job to completion (the process exits when the parent stops it). */
export async function runRawSub(job: SubJob): Promise<void> {
  const wire = await loadWire(job.system);
  const conns: RawConn[] = [];
  for (let i = 0; i < job.connections; i++) {
    const conn = new RawConn(await openSocket(job.endpoint), wire, false);
    conn.socket.write(
      Buffer.concat([wire.hello(`bench-sub-${i}`), wire.subscribe(job.topic, i + 1, job.queue)]),
    );
    conns.push(conn);
  }
  await withTimeout(Promise.all(conns.map((c) => c.barrier(wire.ping()))), 10_000, 'subscriptions');
  const broken = conns.find((c) => c.closedByBroker || c.errors.length > 0);
  if (broken) throw new Error(`subscribe failed: ${broken.errors.join('; ') || 'connection closed'}`);

  onCommand((command) => {
    if (command.type === 'poll') {
      let total = 0;
      for (const c of conns) total += c.reader.messages;
      report({ type: 'progress', messages: total });
    } else if (command.type === 'stop') {
      const stats: SubConnStats[] = conns.map((c) => ({
        messages: c.reader.messages,
        firstNs: c.firstNs,
        lastNs: c.lastNs,
        lagged: c.lagged,
        closedByBroker: c.closedByBroker,
        errors: c.errors,
      }));
      for (const c of conns) c.close();
      report({ type: 'sub-done', conns: stats });
    }
  });
  report({ type: 'ready' });
}
