/** What every connection of a server shares: the broker, limits, output machinery and hooks. */
import type { Broker } from '../broker/index.ts';
import type { TokenCheck } from './auth.ts';
import type { ChunkPool } from './chunk-pool.ts';
import type { Connection } from './connection.ts';
import type { FlushScheduler } from './flush-scheduler.ts';
import type { Logger } from './logger.ts';
import type { WriterLimits } from './outbound-writer.ts';

/** Per-connection limits, from the config. */
export interface ConnectionLimits {
  readonly maxFrameSize: number;
  readonly maxSubscriptions: number;
  readonly connectionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMaxMissed: number;
  readonly writeDeadlineMs: number;
  readonly writer: WriterLimits;
}

/** The server as its connections see it. */
export interface ServerContext {
  readonly broker: Broker;
  readonly limits: ConnectionLimits;
  readonly logger: Logger;
  readonly pool: ChunkPool;
  readonly scheduler: FlushScheduler;
  /** Set when `auth_token` is configured: TCP clients must present the token. */
  readonly token: TokenCheck | undefined;
  /** Sent in WELCOME. */
  readonly serverName: string;
  /** True from the start of a graceful shutdown: publishes get SHUTTING_DOWN. */
  readonly draining: boolean;
  /** The connection completed its handshake. */
  connectionEstablished(conn: Connection): void;
  /** The connection decided to close: it no longer counts against max_connections. */
  connectionClosing(conn: Connection): void;
  /** The connection's socket is closed; its reason is final. */
  connectionClosed(conn: Connection): void;
}
