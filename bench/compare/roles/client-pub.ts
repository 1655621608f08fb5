/**
 * Client publisher process: publishes through the system's own client in runs of 4,096, with a
 * flush after each run and at most two flushes outstanding, so the client's buffers stay bounded
 * while the broker is never left idle waiting for a round trip.
 */
import { loadClient } from '../clients/index.ts';
import type { PubJob } from '../types.ts';
import { nowNs, onCommand, report, withTimeout } from './io.ts';
import { benchPayload, CHUNK_FRAMES } from './raw-pub.ts';

/** Runs a client publisher job: ready → (go) → publish → flush → report. */
export async function runClientPub(job: PubJob): Promise<void> {
  const client = await loadClient(job.system);
  const pub = await withTimeout(client.publisher(job.endpoint, job.topic), 10_000, 'publisher connect');
  const payload = benchPayload(job.payloadSize);
  const errors: string[] = [];
  onCommand((command) => {
    if (command.type !== 'go') return;
    const run = async (): Promise<void> => {
      const startNs = nowNs();
      const deadline = startNs + job.maxSeconds * 1e9;
      let published = 0;
      let previous: Promise<void> | null = null;
      while (published < job.count && nowNs() < deadline) {
        const n = Math.min(CHUNK_FRAMES, job.count - published);
        for (let i = 0; i < n; i++) pub.publish(payload);
        published += n;
        const flushed = pub.flush();
        if (previous) await previous;
        previous = flushed;
      }
      if (previous) await previous;
      const endNs = nowNs();
      report({ type: 'pub-done', stats: { published, startNs, endNs, rejected: 0, errors } });
      await pub.close();
    };
    run().catch((e: Error) => report({ type: 'fatal', message: `publish failed: ${e.message}` }));
  });
  report({ type: 'ready' });
}
