/**
 * Latency over the raw protocols: a publisher connection and a subscriber connection to the same
 * broker. Frames are copied from one pre-encoded template with the index patched into the payload.
 */
import type { LatencyJob } from '../types.ts';
import { loadWire } from '../wire/index.ts';
import type { Wire } from '../wire/types.ts';
import { type LatencyTransport, LatencyProbe } from './latency.ts';
import { openSocket, RawConn, report, withTimeout } from './io.ts';
import { benchPayload } from './raw-pub.ts';

/** A subscriber connection that hands each message's index to the probe. */
class TimedConn extends RawConn {
  probe: LatencyProbe | null = null;
  override onMessage(payload: Buffer, length: number): void {
    if (length >= 4) this.probe?.delivered(payload.readUInt32LE(0));
  }
}

class RawLatencyTransport implements LatencyTransport {
  readonly #pub: RawConn;
  readonly #sub: RawConn;
  readonly #template: Buffer;
  readonly #indexAt: number;

  constructor(pub: RawConn, sub: RawConn, wire: Wire, job: LatencyJob) {
    this.#pub = pub;
    this.#sub = sub;
    this.#template = wire.publish(job.topic, benchPayload(job.payloadSize));
    this.#indexAt = this.#template.length - wire.publishTrailer - job.payloadSize;
  }

  publish(first: number, count: number): void {
    const size = this.#template.length;
    const out = Buffer.allocUnsafe(size * count);
    for (let i = 0; i < count; i++) {
      this.#template.copy(out, i * size);
      out.writeUInt32LE(first + i, i * size + this.#indexAt);
    }
    this.#pub.socket.write(out);
  }

  close(): void {
    this.#pub.close();
    this.#sub.close();
  }
}

/** Runs a raw latency job and reports its percentiles. */
export async function runRawLatency(job: LatencyJob): Promise<void> {
  const wire = await loadWire(job.system);
  const sub = new TimedConn(await openSocket(job.endpoint), wire, true);
  sub.socket.write(Buffer.concat([wire.hello('bench-lat-sub'), wire.subscribe(job.topic, 1, false)]));
  const pub = new RawConn(await openSocket(job.endpoint), wire, false);
  pub.socket.write(wire.hello('bench-lat-pub'));
  await withTimeout(Promise.all([sub.barrier(wire.ping()), pub.barrier(wire.ping())]), 10_000, 'connections');
  if (sub.closedByBroker || pub.closedByBroker) throw new Error(`connect failed: ${sub.errors.join('; ')}`);
  const probe = new LatencyProbe(job);
  sub.probe = probe;
  const stats = await probe.run(new RawLatencyTransport(pub, sub, wire, job));
  report({ type: 'latency-done', stats });
}
