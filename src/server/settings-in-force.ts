/**
 * The reloadable `[server]` and `[performance]` settings as a running server applies them, read
 * from the objects its connections use rather than from its config. A reload is applied by hand
 * into those objects (reload.ts, applySettings); this view is how a test, or an operator, can see
 * that a changed key changed behaviour and not only the config object.
 */
import type { BrokerConfig } from '../config/index.ts';
import type { ServerContext } from './context.ts';
import type { Sweeper } from './sweeper.ts';

export interface SettingsInForce {
  readonly server: {
    /** Read from the config at each accept. */
    readonly max_connections: number;
    readonly connection_timeout_ms: number;
    /** Whether a candidate is the token new TCP handshakes must present; undefined: none needed. */
    readonly auth_token: ((candidate: string) => boolean) | undefined;
    readonly heartbeat_interval_ms: number;
    readonly heartbeat_max_missed: number;
    readonly max_subscriptions_per_connection: number;
    readonly max_pending_bytes: number;
    readonly write_deadline_ms: number;
    /** Read from the config when a drain starts. */
    readonly shutdown_grace_ms: number;
    readonly log_level: string;
  };
  readonly performance: {
    readonly channel_capacity: number;
    readonly batch_size: number;
    readonly flush_interval_ms: number;
    readonly publisher_stall_ms: number;
  };
  /** How often deadlines are checked: follows the shortest of the three deadlines above. */
  readonly sweepPeriodMs: number;
}

/** The settings in force on a server with this config, context and sweeper. */
export function settingsInForce(config: BrokerConfig, ctx: ServerContext, sweeper: Sweeper): SettingsInForce {
  const l = ctx.limits;
  const token = ctx.token;
  return {
    server: {
      max_connections: config.server.max_connections,
      connection_timeout_ms: l.connectionTimeoutMs,
      auth_token:
        token === undefined ? undefined : (candidate) => token.matches(Buffer.from(candidate, 'utf8')),
      heartbeat_interval_ms: l.heartbeatIntervalMs,
      heartbeat_max_missed: l.heartbeatMaxMissed,
      max_subscriptions_per_connection: l.maxSubscriptions,
      max_pending_bytes: l.writer.maxPendingBytes,
      write_deadline_ms: l.writeDeadlineMs,
      shutdown_grace_ms: config.server.shutdown_grace_ms,
      log_level: ctx.logger.level,
    },
    performance: {
      channel_capacity: l.writer.channelCapacity,
      batch_size: l.writer.batchSize,
      flush_interval_ms: ctx.scheduler.intervalMs,
      publisher_stall_ms: l.publisherStallMs,
    },
    sweepPeriodMs: sweeper.periodMs,
  };
}
