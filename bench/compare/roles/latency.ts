/**
 * Latency process: a publisher and a subscriber (two connections, or two clients) in one
 * process, the broker in another, so publish → delivery is timed on one clock. Each payload
 * carries its message index; `inflight` sends the next message when the previous one arrives,
 * `rate` sends on a fixed schedule, open loop: the publisher never waits for the broker, so a
 * broker stall cannot slow the sender and hide itself (no coordinated omission).
 *
 * Pacing uses 1 ms timers (Node's resolution): each tick writes every message whose time has
 * come (50 at 50k msg/s) in one write, and each is timed from that write. A busy-wait loop would
 * pace finer but takes a whole core from the broker on a 2-core machine, and then the scheduler's
 * time slices (milliseconds) dominate every tail percentile.
 */
import { build } from 'hdr-histogram-js';
import type { LatencyJob, LatencyStats } from '../types.ts';
import { nowNs } from './io.ts';

/** One side that can publish an indexed message and reports deliveries to {@link LatencyProbe}. */
export interface LatencyTransport {
  /** Publish messages `first` .. `first + count - 1` (payload starts with the index, u32 LE). */
  publish(first: number, count: number): void;
  close(): void;
}

/** Longest the tail of a rate run may take to arrive before the rest is counted lost. */
const DRAIN_MS = 3000;
/** A run with no delivery for this long is over: the missing messages are counted lost. */
const STALL_MS = 5000;

/** Times deliveries for one job. The transport calls {@link LatencyProbe.delivered}. */
export class LatencyProbe {
  readonly #job: LatencyJob;
  readonly #histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9 });
  readonly #sentNs: Float64Array;
  readonly #total: number;
  #transport: LatencyTransport | null = null;
  #received = 0;
  #sent = 0;
  #startNs = 0;
  #lastSendNs = 0;
  #done: ((stats: LatencyStats) => void) | null = null;
  #drainTimer: NodeJS.Timeout | null = null;
  #stallTimer: NodeJS.Timeout | null = null;
  #receivedAtLastCheck = -1;

  constructor(job: LatencyJob) {
    this.#job = job;
    this.#total = job.warmup + job.samples;
    this.#sentNs = new Float64Array(this.#total);
  }

  /** Runs the job over `transport` and resolves with the percentiles. */
  run(transport: LatencyTransport): Promise<LatencyStats> {
    this.#transport = transport;
    return new Promise((resolve) => {
      this.#done = resolve;
      this.#stallTimer = setInterval(() => {
        if (this.#received === this.#receivedAtLastCheck) this.#finish();
        this.#receivedAtLastCheck = this.#received;
      }, STALL_MS);
      this.#startNs = nowNs();
      if (this.#job.mode === 'inflight') this.#sendInflight();
      else this.#tick();
    });
  }

  /** A delivery of message `index` arrived. */
  delivered(index: number): void {
    const t = nowNs();
    if (index < 0 || index >= this.#total) return;
    if (index >= this.#job.warmup)
      this.#histogram.recordValue(Math.max(1, Math.round(t - this.#sentNs[index]!)));
    this.#received++;
    if (this.#job.mode === 'inflight') {
      if (this.#sent < this.#total) this.#sendInflight();
      else this.#finish();
    } else if (this.#received >= this.#total) this.#finish();
  }

  #sendInflight(): void {
    const i = this.#sent++;
    const t = nowNs();
    this.#sentNs[i] = t;
    this.#lastSendNs = t;
    this.#transport!.publish(i, 1);
  }

  /** Rate mode: sends every message whose scheduled time has come, then yields to I/O. */
  #tick = (): void => {
    const interval = 1e9 / this.#job.rate;
    const now = nowNs();
    const due = Math.min(this.#total, Math.floor((now - this.#startNs) / interval) + 1);
    if (due > this.#sent) {
      const first = this.#sent;
      for (let i = first; i < due; i++) this.#sentNs[i] = now;
      this.#sent = due;
      this.#lastSendNs = now;
      this.#transport!.publish(first, due - first);
    }
    if (this.#sent < this.#total) setTimeout(this.#tick, 1);
    else this.#drainTimer = setTimeout(() => this.#finish(), DRAIN_MS);
  };

  #finish(): void {
    if (!this.#done) return;
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    if (this.#stallTimer) clearInterval(this.#stallTimer);
    const h = this.#histogram;
    const us = (ns: number): number => Math.round(ns / 10) / 100;
    const seconds = (this.#lastSendNs - this.#startNs) / 1e9;
    const stats: LatencyStats = {
      samples: h.totalCount,
      p50: us(h.getValueAtPercentile(50)),
      p99: us(h.getValueAtPercentile(99)),
      p999: us(h.getValueAtPercentile(99.9)),
      max: us(h.maxValue),
      lost: this.#total - this.#received,
      achievedRate: seconds > 0 ? Math.round(this.#sent / seconds) : 0,
    };
    const done = this.#done;
    this.#done = null;
    this.#transport?.close();
    done(stats);
  }
}
