/**
 * Shared vocabulary of the comparison suite: which systems it measures, how a child process is
 * told what to do (jobs), and what it reports back. Parent (run.ts) and children (worker.ts)
 * exchange these objects as JSON over the Node IPC channel.
 */

/** A broker process the suite starts ('floor': bench/compare/floor-relay.ts, a reference, not a peer). */
export type BrokerId = 'mycelium' | 'nats' | 'redis' | 'floor';

/** A column of the results: a broker reached over one transport. */
export type SystemId = 'mycelium-unix' | 'mycelium-tcp' | 'nats' | 'redis' | 'node-floor';

/** Every system, in table order. */
export const ALL_SYSTEMS: readonly SystemId[] = [
  'mycelium-unix',
  'mycelium-tcp',
  'nats',
  'redis',
  'node-floor',
];

/**
 * The peers Mycelium is compared against (its own two transports are not peers, nor is the Node
 * floor, which is not a broker: it shows what any Node process pays, see floor-relay.ts).
 */
export const PEER_SYSTEMS: readonly SystemId[] = ['nats', 'redis'];

/** Which broker serves a system. */
export function brokerOf(system: SystemId): BrokerId {
  if (system === 'mycelium-unix' || system === 'mycelium-tcp') return 'mycelium';
  return system === 'node-floor' ? 'floor' : system;
}

/** Where a load generator connects. */
export type Endpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** Raw pre-encoded frames, or each system's own Node client. */
export type Api = 'raw' | 'client';

/** Delivery pattern of a throughput row. */
export type Pattern = 'one' | 'fanout' | 'queue';

/** Payload sizes of the throughput rows (latency and memory rows use the first). */
export const PAYLOAD_SIZES = [16, 1024] as const;

/**
 * The topic (subject, channel) a row uses: a fanout and a queue topic per payload size, so that
 * Mycelium's buffers can be sized in bytes like the peers' limits (see mycelium-broker.ts).
 */
export function benchTopic(routing: 'fanout' | 'queue', payloadSize: number): string {
  return `bench.${routing}.${payloadSize}`;
}

/** NATS queue group name used by the queue rows. */
export const QUEUE_GROUP = 'bench';

/** Fields common to every job. */
interface JobBase {
  readonly api: Api;
  readonly system: SystemId;
  readonly endpoint: Endpoint;
  readonly topic: string;
  readonly payloadSize: number;
}

/** Subscriber process: opens `connections` subscriptions and counts what arrives. */
export interface SubJob extends JobBase {
  readonly role: 'sub';
  readonly connections: number;
  readonly queue: boolean;
}

/** Publisher process: publishes `count` messages (or stops at `maxSeconds`). */
export interface PubJob extends JobBase {
  readonly role: 'pub';
  readonly count: number;
  readonly maxSeconds: number;
}

/** Latency process: one publisher and one subscriber connection, timing each message. */
export interface LatencyJob extends JobBase {
  readonly role: 'latency';
  /** `inflight`: publish, wait for delivery, repeat. `rate`: publish at `rate` msg/s. */
  readonly mode: 'inflight' | 'rate';
  /** Messages timed (after `warmup` untimed ones). */
  readonly samples: number;
  readonly warmup: number;
  /** Messages per second in `rate` mode. */
  readonly rate: number;
}

/** Idle-connection process for the memory rows: opens connections when told to. */
export interface IdleJob extends JobBase {
  readonly role: 'idle';
}

export type Job = SubJob | PubJob | LatencyJob | IdleJob;

/** What one subscriber connection saw. */
export interface SubConnStats {
  readonly messages: number;
  /** process.hrtime (ns, CLOCK_MONOTONIC, comparable across processes) of the first and last read. */
  readonly firstNs: number;
  readonly lastNs: number;
  /** Messages the broker said it skipped (Mycelium LAGGED). */
  readonly lagged: number;
  /** The broker closed the connection (a slow-consumer policy) before the end. */
  readonly closedByBroker: boolean;
  readonly errors: readonly string[];
}

/** Publisher report. */
export interface PubStats {
  readonly published: number;
  readonly startNs: number;
  readonly endNs: number;
  /** Publishes the broker refused (ERR frames, -ERR lines). */
  readonly rejected: number;
  readonly errors: readonly string[];
}

/** Latency report, in microseconds. */
export interface LatencyStats {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Messages published but never delivered (rate mode). */
  readonly lost: number;
  /** Achieved publish rate, msg/s. */
  readonly achievedRate: number;
}

/** Child → parent messages. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly messages: number }
  | { readonly type: 'sub-done'; readonly conns: readonly SubConnStats[] }
  | { readonly type: 'pub-done'; readonly stats: PubStats }
  | { readonly type: 'latency-done'; readonly stats: LatencyStats }
  | { readonly type: 'opened'; readonly total: number; readonly failed: number }
  | { readonly type: 'fatal'; readonly message: string };

/** Parent → child commands. */
export type ParentCommand =
  | { readonly type: 'go' }
  | { readonly type: 'poll' }
  | { readonly type: 'stop' }
  | { readonly type: 'open'; readonly total: number };
