/** Latency through each system's own client: a publisher client and a subscriber client. */
import { loadClient } from '../clients/index.ts';
import type { ClientPublisher, ClientSink, ClientSubscriber } from '../clients/types.ts';
import type { LatencyJob } from '../types.ts';
import { report, withTimeout } from './io.ts';
import { type LatencyTransport, LatencyProbe } from './latency.ts';
import { benchPayload } from './raw-pub.ts';

class ProbeSink implements ClientSink {
  probe: LatencyProbe | null = null;
  closed = '';
  onMessage(payload: Uint8Array): void {
    if (payload.length >= 4) {
      this.probe?.delivered(payload[0]! | (payload[1]! << 8) | (payload[2]! << 16) | (payload[3]! << 24));
    }
  }
  onClosed(reason: string): void {
    this.closed = reason;
  }
  onLagged(): void {}
}

class ClientLatencyTransport implements LatencyTransport {
  readonly #pub: ClientPublisher;
  readonly #sub: ClientSubscriber;
  readonly #size: number;

  constructor(pub: ClientPublisher, sub: ClientSubscriber, size: number) {
    this.#pub = pub;
    this.#sub = sub;
    this.#size = size;
  }

  publish(first: number, count: number): void {
    for (let i = 0; i < count; i++) {
      // A fresh payload per message: a client may keep a reference until it writes.
      const payload = benchPayload(this.#size);
      payload.writeUInt32LE(first + i, 0);
      this.#pub.publish(payload);
    }
    this.#pub.send();
  }

  close(): void {
    this.#pub.close().catch(() => {});
    this.#sub.close().catch(() => {});
  }
}

/** Runs a client latency job and reports its percentiles. */
export async function runClientLatency(job: LatencyJob): Promise<void> {
  const client = await loadClient(job.system);
  const sink = new ProbeSink();
  const sub = await withTimeout(client.subscriber(job.endpoint, job.topic, false, sink), 10_000, 'subscribe');
  const pub = await withTimeout(client.publisher(job.endpoint, job.topic), 10_000, 'publisher connect');
  const probe = new LatencyProbe(job);
  sink.probe = probe;
  const stats = await probe.run(new ClientLatencyTransport(pub, sub, job.payloadSize));
  report({ type: 'latency-done', stats });
}
