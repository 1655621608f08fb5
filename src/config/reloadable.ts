/**
 * Which keys a hot reload may change. A running broker applies a reload only if every change in
 * it is reloadable (all or nothing); anything else needs a restart. docs/config.md shows the same
 * flags, and a test keeps the two in sync.
 */
import type { MetricsKey, PerformanceKey, ServerKey, TopicKey } from './schema.ts';

/** `true` where a running broker can apply a change to the key without a restart. */
export const RELOADABLE = {
  server: {
    // Listeners are bound once; moving them would drop every connection.
    bind_address: false,
    port: false,
    socket_path: false,
    socket_mode: false,
    // Announced to each client in WELCOME; connected clients would keep the old limit.
    max_frame_size: false,
    max_connections: true,
    connection_timeout_ms: true,
    auth_token: true,
    heartbeat_interval_ms: true,
    heartbeat_max_missed: true,
    max_subscriptions_per_connection: true,
    max_pending_bytes: true,
    write_deadline_ms: true,
    shutdown_grace_ms: true,
    log_level: true,
  },
  topics: {
    // A renamed topic is a removal plus an addition, both of which a reload applies.
    name: true,
    // Fanout keeps a ring with cursors, Queue a waiting list with acks: one cannot become the other in place.
    routing: false,
    buffer_size: true,
    max_message_size: true,
    overflow: true,
    slow_consumer: true,
    ack: true,
    prefetch: true,
    // Applies to the next return of an unacked delivery; a lower limit also drops waiting
    // redeliveries that have used it up.
    delivery_limit: true,
  },
  performance: {
    // Threads are started once at start-up.
    worker_threads: false,
    channel_capacity: true,
    batch_size: true,
    flush_interval_ms: true,
    publisher_stall_ms: true,
  },
  metrics: {
    // The metrics endpoint is started once with the broker.
    enabled: false,
    bind_address: false,
    port: false,
  },
} as const satisfies {
  server: Record<ServerKey, boolean>;
  topics: Record<TopicKey, boolean>;
  performance: Record<PerformanceKey, boolean>;
  metrics: Record<MetricsKey, boolean>;
};

/** Adding or removing a whole topic is always reloadable. */
export const TOPIC_ADD_REMOVE_RELOADABLE = true;
