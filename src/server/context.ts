/** What every connection of a server shares: the broker, limits, output machinery and hooks. */
import type { Broker } from '../broker/index.ts';
import type { BrokerConfig } from '../config/index.ts';
import type { ErrorCode } from '../errors.ts';
import type { TokenCheck } from './auth.ts';
import type { ChunkPool } from './chunk-pool.ts';
import type { Connection } from './connection.ts';
import type { FlushScheduler } from './flush-scheduler.ts';
import type { Logger } from './logger.ts';
import type { WriterLimits } from './outbound-writer.ts';
import type { ReloadReport } from './reload-report.ts';

/**
 * Per-connection limits, from the config. One object is shared by every connection and read at
 * each use, so a reload changes the reloadable ones in place for every connection at once.
 */
export interface ConnectionLimits {
  /** Announced in WELCOME, so not reloadable: connected clients would keep the old value. */
  readonly maxFrameSize: number;
  maxSubscriptions: number;
  connectionTimeoutMs: number;
  heartbeatIntervalMs: number;
  heartbeatMaxMissed: number;
  writeDeadlineMs: number;
  /** `performance.publisher_stall_ms`: longest a publisher is paused for a backed-up subscriber; 0 never. */
  publisherStallMs: number;
  readonly writer: WriterLimits;
}

/** The per-connection limits a configuration sets (a reload changes them in place later). */
export function connectionLimits(config: BrokerConfig): ConnectionLimits {
  const s = config.server;
  const p = config.performance;
  return {
    maxFrameSize: s.max_frame_size,
    maxSubscriptions: s.max_subscriptions_per_connection,
    connectionTimeoutMs: s.connection_timeout_ms,
    heartbeatIntervalMs: s.heartbeat_interval_ms,
    heartbeatMaxMissed: s.heartbeat_max_missed,
    writeDeadlineMs: s.write_deadline_ms,
    publisherStallMs: p.publisher_stall_ms,
    writer: {
      batchSize: p.batch_size,
      channelCapacity: p.channel_capacity,
      maxPendingBytes: s.max_pending_bytes,
    },
  };
}

/** The server as its connections see it. */
export interface ServerContext {
  readonly broker: Broker;
  readonly limits: ConnectionLimits;
  readonly logger: Logger;
  readonly pool: ChunkPool;
  readonly scheduler: FlushScheduler;
  /**
   * Set when `auth_token` is configured: TCP clients must present the token. A reload that changes
   * the token puts a new instance here; one that leaves it alone keeps the instance.
   */
  readonly token: TokenCheck | undefined;
  /** Sent in WELCOME. */
  readonly serverName: string;
  /**
   * True from the start of a graceful shutdown: publishes get SHUTTING_DOWN. A data property the
   * server writes, read by every PUB: as a getter it cost a call per message.
   */
  readonly draining: boolean;
  /** The connection completed its handshake. */
  connectionEstablished(conn: Connection): void;
  /** The connection decided to close: it no longer counts against max_connections. */
  connectionClosing(conn: Connection): void;
  /** The connection's socket is closed; its reason is final. */
  connectionClosed(conn: Connection): void;
  /** An ERR frame with `code` went out (counted per code for metrics). */
  errorSent(code: ErrorCode): void;
  /** Reloads the configuration file (the RELOAD admin op, docs/protocol.md §6.8). */
  reloadConfig(trigger: string): Promise<ReloadReport>;
}

/** `T` with the properties `K` writable: what the owner of a shared object sees of it. */
export type Writable<T, K extends keyof T> = Omit<T, K> & { -readonly [P in K]: T[P] };
