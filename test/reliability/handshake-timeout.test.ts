/**
 * A3: connections that never complete the handshake are closed with HANDSHAKE_TIMEOUT, and the
 * deadline is absolute: a client dribbling a valid HELLO one byte at a time is closed before it
 * finishes (docs/protocol.md §2.2), however many bytes it still sends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHello } from '../../src/protocol/index.ts';
import { startInProcess } from './helpers/in-process.ts';
import { percentile, recordEq, recordInfo, SOAK } from './helpers/results.ts';
import { guard, until, WireClient } from './helpers/wire-client.ts';

const SILENT = SOAK ? 1000 : 300;
const DRIBBLERS = SOAK ? 100 : 30;
const TIMEOUT_MS = 1000;
/** One byte every this many ms: a 263-byte HELLO would take 13 s, far past the deadline. */
const DRIBBLE_EVERY_MS = 50;

test(`A3: ${SILENT} silent and ${DRIBBLERS} dribbling connections are all closed with HANDSHAKE_TIMEOUT`, async () => {
  const h = await startInProcess({
    server: { connection_timeout_ms: TIMEOUT_MS, max_connections: SILENT + DRIBBLERS + 10 },
  });
  try {
    const opened = new Map<WireClient, number>();
    const silent: WireClient[] = [];
    for (let i = 0; i < SILENT; i++) {
      const c = await WireClient.open(h.target(i));
      opened.set(c, performance.now());
      silent.push(c);
    }
    const hello = encodeHello('d'.repeat(256));
    const dribblers = await Promise.all(
      Array.from({ length: DRIBBLERS }, async (_, i) => {
        const c = await WireClient.open(h.target(i));
        opened.set(c, performance.now());
        let sent = 0;
        const timer = setInterval(() => {
          if (c.isClosed || sent >= hello.length) {
            clearInterval(timer);
            return;
          }
          c.send(hello.subarray(sent, sent + 1));
          sent++;
        }, DRIBBLE_EVERY_MS);
        await guard(c.closed, 60_000, 'a dribbler is closed');
        clearInterval(timer);
        return { c, sent };
      }),
    );
    await guard(Promise.all(silent.map((c) => c.closed)), 60_000, 'every silent connection is closed');
    await until(() => h.closes.length >= SILENT + DRIBBLERS, 'the server reports every close', 30_000);
    const all = [...silent, ...dribblers.map((d) => d.c)];
    const closeMs = all.map((c) => performance.now() - opened.get(c)!);
    const timedOut = h.closes.filter((c) => c.reason === 'HANDSHAKE_TIMEOUT').length;
    const sawErr = all.filter((c) => c.errors.some((e) => e.code === 'HANDSHAKE_TIMEOUT')).length;
    const finished = dribblers.filter((d) => d.sent >= hello.length || d.c.welcomed).length;
    const total = SILENT + DRIBBLERS;
    const okReason = recordEq('A3', 'connections closed with reason HANDSHAKE_TIMEOUT', timedOut, total);
    const okErr = recordEq('A3', 'clients that received ERR HANDSHAKE_TIMEOUT', sawErr, total);
    const okDribble = recordEq('A3', 'dribblers kept alive long enough to finish their HELLO', finished, 0);
    recordInfo(
      'A3',
      `close time p50 / p99 / max (timeout ${TIMEOUT_MS} ms, upper bounds)`,
      `${Math.round(percentile(closeMs, 50))} / ${Math.round(percentile(closeMs, 99))} / ${Math.round(Math.max(...closeMs))}`,
      'ms',
    );
    assert.ok(
      okReason,
      `${timedOut}/${total} closes were HANDSHAKE_TIMEOUT: ${JSON.stringify([...new Set(h.closes.map((c) => c.reason))])}`,
    );
    assert.ok(okErr && okDribble);
    assert.equal(h.server.connections.count, 0);
  } finally {
    await h.stop();
  }
});
