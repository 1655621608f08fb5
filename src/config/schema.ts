/**
 * The configuration schema (zod 4). Keys are snake_case exactly as they appear in TOML, so a
 * problem's key path is the path a user edits. Every default and limit comes from limits.ts.
 *
 * Leaf schemas whose rule is more than a range or a list of values carry an `allowed` text in
 * their metadata; keys.ts reads it (and the ranges) to describe each key in messages and docs.
 * Rules that span several keys (duplicate names, per-routing keys, frame size against message
 * sizes) live in rules.ts, because they must also run when other keys are invalid.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { AckMode, OverflowPolicy, Routing, SlowConsumerPolicy } from '../broker/types.ts';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_BIND_ADDRESS,
  DEFAULT_BUFFER_SIZE,
  DEFAULT_CHANNEL_CAPACITY,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_MAX_MISSED,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION,
  DEFAULT_METRICS_BIND_ADDRESS,
  DEFAULT_METRICS_ENABLED,
  DEFAULT_METRICS_PORT,
  DEFAULT_PORT,
  DEFAULT_PREFETCH,
  DEFAULT_PUBLISHER_STALL_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SOCKET_MODE,
  DEFAULT_SOCKET_PATH,
  DEFAULT_WORKER_THREADS,
  DEFAULT_WRITE_DEADLINE_MS,
  LOG_LEVELS,
  MAX_AUTH_TOKEN_BYTES,
  MAX_BUFFER_SIZE,
  MAX_DELIVERY_LIMIT,
  MAX_FRAME_SIZE_LIMIT,
  MAX_MESSAGE_SIZE_LIMIT,
  MAX_PORT,
  MAX_PREFETCH,
  MAX_PUBLISHER_STALL_MS,
  MAX_SOCKET_PATH_BYTES,
  MAX_TOPIC_NAME_LENGTH,
  MAX_TIMER_MS,
  MAX_WORKER_THREADS,
  MIN_DELIVERY_LIMIT,
  MIN_FRAME_SIZE,
  MIN_HEARTBEAT_INTERVAL_MS,
  MIN_MAX_PENDING_BYTES,
} from './limits.ts';
import { EXPLAINED } from './problems.ts';
import { TOPIC_NAME_CHARACTERS, validateTopicName } from '../topic-name.ts';

/** Metadata attached to leaf schemas whose rule a range or a value list cannot describe. */
export interface KeyMeta {
  /** What the key accepts, phrased to follow "must be", e.g. `an octal file mode such as "0600"`. */
  readonly allowed: string;
  /** True for secrets: their values are never echoed in messages or printed configs. */
  readonly secret?: boolean;
}

/** The registry that holds {@link KeyMeta}; keys.ts looks leaf schemas up in it. */
export const keyMeta = z.registry<KeyMeta>();

function int(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return z.int().min(min).max(max);
}

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isHost(value: string): boolean {
  if (isIP(value) !== 0) return true;
  return value.length <= 253 && value.split('.').every((label) => HOST_LABEL.test(label));
}

const host = z.string().refine(isHost).register(keyMeta, { allowed: 'an IP address or a host name' });

const socketPath = z
  .string()
  .refine((v) => v.length > 0 && !v.includes('\0') && Buffer.byteLength(v) <= MAX_SOCKET_PATH_BYTES)
  .register(keyMeta, {
    allowed: `a file path of 1 to ${MAX_SOCKET_PATH_BYTES} bytes without NUL (the Unix socket address limit)`,
  });

const socketMode = z
  .string()
  .regex(/^0?[0-7]{3}$/)
  .register(keyMeta, { allowed: 'an octal file mode string such as "0600" or "660"' });

const authToken = z
  .string()
  .refine((v) => v.length > 0 && Buffer.byteLength(v) <= MAX_AUTH_TOKEN_BYTES)
  .register(keyMeta, { allowed: `a string of 1 to ${MAX_AUTH_TOKEN_BYTES} bytes`, secret: true });

const topicName = z
  .string()
  .superRefine((name, ctx) => {
    const problem = validateTopicName(name);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, params: EXPLAINED });
  })
  .register(keyMeta, {
    allowed: `a topic name: 1 to ${MAX_TOPIC_NAME_LENGTH} characters of ${TOPIC_NAME_CHARACTERS}, no empty dot-separated part`,
  });

/** `[server]`: listeners, connection limits, heartbeats, logging. */
export const ServerSchema = z.strictObject({
  bind_address: host.default(DEFAULT_BIND_ADDRESS),
  port: int(0, MAX_PORT).default(DEFAULT_PORT),
  socket_path: socketPath.default(DEFAULT_SOCKET_PATH),
  socket_mode: socketMode.default(DEFAULT_SOCKET_MODE),
  max_connections: int(1).default(DEFAULT_MAX_CONNECTIONS),
  connection_timeout_ms: int(1, MAX_TIMER_MS).default(DEFAULT_CONNECTION_TIMEOUT_MS),
  auth_token: authToken.optional(),
  heartbeat_interval_ms: int(MIN_HEARTBEAT_INTERVAL_MS, MAX_TIMER_MS).default(DEFAULT_HEARTBEAT_INTERVAL_MS),
  heartbeat_max_missed: int(1).default(DEFAULT_HEARTBEAT_MAX_MISSED),
  max_frame_size: int(MIN_FRAME_SIZE, MAX_FRAME_SIZE_LIMIT).default(DEFAULT_MAX_FRAME_SIZE),
  max_subscriptions_per_connection: int(1).default(DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION),
  max_pending_bytes: int(MIN_MAX_PENDING_BYTES).default(DEFAULT_MAX_PENDING_BYTES),
  write_deadline_ms: int(1, MAX_TIMER_MS).default(DEFAULT_WRITE_DEADLINE_MS),
  shutdown_grace_ms: int(0, MAX_TIMER_MS).default(DEFAULT_SHUTDOWN_GRACE_MS),
  log_level: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
});

/** One `[[topics]]` entry. Per-routing keys get their defaults on every topic; rules.ts refuses them where they would do nothing. */
export const TopicSchema = z.strictObject({
  name: topicName,
  routing: z.enum(Routing).default(Routing.Fanout),
  buffer_size: int(1, MAX_BUFFER_SIZE).default(DEFAULT_BUFFER_SIZE),
  max_message_size: int(1, MAX_MESSAGE_SIZE_LIMIT).default(DEFAULT_MAX_MESSAGE_SIZE),
  overflow: z.enum(OverflowPolicy).default(OverflowPolicy.Reject),
  slow_consumer: z.enum(SlowConsumerPolicy).default(SlowConsumerPolicy.DropOldest),
  ack: z.enum(AckMode).default(AckMode.None),
  prefetch: int(1, MAX_PREFETCH).default(DEFAULT_PREFETCH),
  delivery_limit: int(MIN_DELIVERY_LIMIT, MAX_DELIVERY_LIMIT).default(DEFAULT_DELIVERY_LIMIT),
});

/** `[performance]`: threads and output batching. */
export const PerformanceSchema = z.strictObject({
  worker_threads: int(1, MAX_WORKER_THREADS).default(DEFAULT_WORKER_THREADS),
  channel_capacity: int(1).default(DEFAULT_CHANNEL_CAPACITY),
  batch_size: int(1).default(DEFAULT_BATCH_SIZE),
  flush_interval_ms: int(0, MAX_TIMER_MS).default(DEFAULT_FLUSH_INTERVAL_MS),
  publisher_stall_ms: int(0, MAX_PUBLISHER_STALL_MS).default(DEFAULT_PUBLISHER_STALL_MS),
});

/** `[metrics]`: the Prometheus endpoint. */
export const MetricsSchema = z.strictObject({
  enabled: z.boolean().default(DEFAULT_METRICS_ENABLED),
  bind_address: host.default(DEFAULT_METRICS_BIND_ADDRESS),
  port: int(0, MAX_PORT).default(DEFAULT_METRICS_PORT),
});

/** The whole file. Every section may be left out; `topics` defaults to none. The result is deeply frozen. */
export const BrokerConfigSchema = z
  .strictObject({
    // Each level is frozen (readonly) so no holder of a config can change it under another.
    server: ServerSchema.readonly().prefault({}),
    topics: z.array(TopicSchema.readonly()).readonly().prefault([]),
    performance: PerformanceSchema.readonly().prefault({}),
    metrics: MetricsSchema.readonly().prefault({}),
  })
  .readonly();

/** A validated configuration with every default filled in (snake_case, as in TOML). */
export type BrokerConfig = z.output<typeof BrokerConfigSchema>;
/** What a configuration may look like before defaults are applied (the shape of the TOML). */
export type BrokerConfigInput = z.input<typeof BrokerConfigSchema>;
/** The validated `[server]` section. */
export type ServerConfig = BrokerConfig['server'];
/** One validated topic; every key is present, per-routing keys with their defaults. */
export type TopicConfig = BrokerConfig['topics'][number];
/** The validated `[performance]` section. */
export type PerformanceConfig = BrokerConfig['performance'];
/** The validated `[metrics]` section. */
export type MetricsConfig = BrokerConfig['metrics'];

/** The table sections (everything but `topics`), in file order. */
export const SETTING_SECTIONS = ['server', 'performance', 'metrics'] as const;
/** A table section name. */
export type SettingSection = (typeof SETTING_SECTIONS)[number];
/** Every top-level key, in the order a printed config uses. */
export const SECTIONS = ['server', 'topics', 'performance', 'metrics'] as const;
/** A top-level key. */
export type Section = (typeof SECTIONS)[number];

/** The schema of each table section, by name. */
export const SECTION_SCHEMAS = {
  server: ServerSchema,
  performance: PerformanceSchema,
  metrics: MetricsSchema,
} as const;

/** A key of `[server]`. */
export type ServerKey = keyof ServerConfig;
/** A key of a `[[topics]]` entry. */
export type TopicKey = keyof TopicConfig;
/** A key of `[performance]`. */
export type PerformanceKey = keyof PerformanceConfig;
/** A key of `[metrics]`. */
export type MetricsKey = keyof MetricsConfig;
