/**
 * Raw publisher process: one frame is encoded once, copied 4,096 times into a chunk, and the
 * chunk is written again and again (honouring `write()` backpressure) until the job's count or
 * time cap is reached. A final PING barrier proves the broker has processed every publish.
 */
import type { PubJob } from '../types.ts';
import { loadWire } from '../wire/index.ts';
import { repeatFrame } from '../wire/types.ts';
import { nowNs, onCommand, openSocket, RawConn, report, withTimeout } from './io.ts';

/** Frames per write, as the figures were measured. */
export const CHUNK_FRAMES = 4096;

/** A payload of `size` 'x' bytes (no CR/LF inside, which the text-protocol fast paths rely on). */
export function benchPayload(size: number): Buffer {
  return Buffer.alloc(size, 0x78);
}

/** Runs a raw publisher job: ready → (go) → publish → barrier → report. */
export async function runRawPub(job: PubJob): Promise<void> {
  const wire = await loadWire(job.system);
  const conn = new RawConn(await openSocket(job.endpoint), wire, false);
  conn.socket.write(wire.hello('bench-pub'));
  await withTimeout(conn.barrier(wire.ping()), 10_000, 'publisher handshake');
  if (conn.closedByBroker) throw new Error(`publisher refused: ${conn.errors.join('; ')}`);
  const frame = wire.publish(job.topic, benchPayload(job.payloadSize));
  const chunk = repeatFrame(frame, CHUNK_FRAMES);

  onCommand((command) => {
    if (command.type !== 'go') return;
    const startNs = nowNs();
    const deadline = startNs + job.maxSeconds * 1e9;
    let published = 0;
    let finished = false;
    const finish = async (): Promise<void> => {
      if (finished) return;
      finished = true;
      // Ample time: a broker far behind the publisher still has to work through its backlog.
      await withTimeout(conn.barrier(wire.ping()), 120_000, 'the final PING barrier');
      const endNs = nowNs();
      if (conn.closedByBroker) conn.errors.push('the broker closed the publisher connection');
      report({
        type: 'pub-done',
        stats: { published, startNs, endNs, rejected: conn.rejected, errors: conn.errors },
      });
      conn.close();
    };
    const pump = (): void => {
      while (published < job.count && !conn.closedByBroker) {
        const n = Math.min(CHUNK_FRAMES, job.count - published);
        published += n;
        const ok = conn.socket.write(n === CHUNK_FRAMES ? chunk : chunk.subarray(0, n * frame.length));
        if (nowNs() > deadline) break;
        if (!ok) {
          conn.socket.once('drain', pump);
          return;
        }
      }
      finish().catch((e: Error) => report({ type: 'fatal', message: e.message }));
    };
    // A broker that drops the publisher while it waits for 'drain' must still end the run.
    conn.socket.once('close', pump);
    pump();
  });
  report({ type: 'ready' });
}
