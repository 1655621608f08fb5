/** What the parts of `mycelium bench` pass each other. */

/** The parsed flags of `mycelium bench`, with the hidden ones the parent gives its child subscribers. */
export interface BenchOptions {
  url: string;
  token?: string;
  topic?: string;
  messages: number;
  size: number;
  subscribers: number;
  window: number;
  queue?: boolean;
  ack?: boolean;
  inProcess?: boolean;
  json?: string;
  subscriberWorker?: boolean;
  since?: number;
  reportEvery?: number;
}

/** What one subscriber measured. */
export interface SubscriberReport {
  received: number;
  /** Messages the broker said this subscriber skipped (LAGGED). */
  lost: number;
  /** Monotonic ms of the last delivery (0 if none). */
  lastAt: number;
  /** Latency histogram in µs, hdr compressed base64 (it crosses the process boundary). */
  histogram: string;
}
