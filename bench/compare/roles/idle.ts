/**
 * Idle-connection process for the memory rows: on each `open` command it brings its count of
 * connections up to the asked total, each with one subscription proven by a PING barrier, then
 * keeps them idle (answering heartbeats) until stopped.
 */
import type { IdleJob } from '../types.ts';
import { loadWire } from '../wire/index.ts';
import type { Wire } from '../wire/types.ts';
import { onCommand, openSocket, RawConn, report } from './io.ts';

/** Connections being opened at once: enough to be quick, few enough not to flood the backlog. */
const CONCURRENCY = 128;

async function openOne(wire: Wire, job: IdleJob, n: number): Promise<RawConn> {
  const conn = new RawConn(await openSocket(job.endpoint), wire, false);
  conn.socket.write(Buffer.concat([wire.hello(`bench-idle-${n}`), wire.subscribe(job.topic, 1, false)]));
  await conn.barrier(wire.ping());
  if (conn.closedByBroker) throw new Error(conn.errors.join('; ') || 'closed by the broker');
  return conn;
}

/** Runs an idle job: open, open, ..., stop. */
export async function runIdle(job: IdleJob): Promise<void> {
  const wire = await loadWire(job.system);
  const conns: RawConn[] = [];
  let failed = 0;
  let lastError = '';
  const openUpTo = async (total: number): Promise<void> => {
    while (conns.length < total && failed === 0) {
      const batch = Math.min(CONCURRENCY, total - conns.length);
      const results = await Promise.allSettled(
        Array.from({ length: batch }, (_, i) => openOne(wire, job, conns.length + i)),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') conns.push(r.value);
        else {
          failed++;
          lastError = String((r.reason as Error).message);
        }
      }
    }
  };
  onCommand((command) => {
    if (command.type === 'open') {
      openUpTo(command.total).then(
        () => {
          if (failed > 0) report({ type: 'fatal', message: `opening connections failed: ${lastError}` });
          else report({ type: 'opened', total: conns.length, failed });
        },
        (e: Error) => report({ type: 'fatal', message: e.message }),
      );
    } else if (command.type === 'stop') {
      for (const c of conns) c.close();
      report({ type: 'opened', total: 0, failed });
    }
  });
  report({ type: 'ready' });
}
