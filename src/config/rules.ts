/**
 * Rules that span several keys. They read the raw document (after overrides, before defaults)
 * because some depend on whether a key was written at all (`overflow` on a Fanout topic), and
 * because they must run even when other keys are invalid: a user sees every problem at once.
 * Values of the wrong type are skipped here; the schema reports those.
 */
import { AckMode, Routing } from '../broker/types.ts';
import { findKey } from './keys.ts';
import {
  DEFAULT_BIND_ADDRESS,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_METRICS_BIND_ADDRESS,
  DEFAULT_METRICS_ENABLED,
  DEFAULT_METRICS_PORT,
  DEFAULT_PORT,
  FRAME_OVERHEAD_BYTES,
  MAX_FRAME_SIZE_LIMIT,
  MAX_MESSAGE_SIZE_LIMIT,
  MIN_FRAME_SIZE,
} from './limits.ts';
import { type Problems, TomlFloat } from './problems.ts';
import type { TopicKey } from './schema.ts';

type Table = Record<string, unknown>;

/** Topic keys that only mean something under one routing; set under the other they would do nothing. */
export const ROUTING_ONLY_KEYS = {
  overflow: Routing.Queue,
  ack: Routing.Queue,
  prefetch: Routing.Queue,
  delivery_limit: Routing.Queue,
  slow_consumer: Routing.Fanout,
} as const satisfies Partial<Record<TopicKey, Routing>>;

/**
 * Queue keys that only mean something with ack = "manual": without acks nothing is held in
 * flight (prefetch) and nothing comes back to be redelivered (delivery_limit).
 */
export const MANUAL_ACK_ONLY_KEYS: readonly TopicKey[] = ['prefetch', 'delivery_limit'];

function asTable(value: unknown): Table | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value) || value instanceof Date || value instanceof TomlFloat) return undefined;
  return value as Table;
}

function own(table: Table, key: string): unknown {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The value if it is an integer within [min, max], the default if absent, otherwise undefined. */
function intOr(value: unknown, fallback: number, min: number, max: number): number | undefined {
  if (value === undefined) return fallback;
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
    ? (value as number)
    : undefined;
}

function checkDuplicateNames(topics: readonly unknown[], problems: Problems): void {
  const first = new Map<string, number>();
  topics.forEach((entry, index) => {
    const name = own(asTable(entry) ?? {}, 'name');
    if (typeof name !== 'string') return;
    const seen = first.get(name);
    if (seen === undefined) first.set(name, index);
    else
      problems.add(
        `topics[${index}].name`,
        `duplicate topic name ${JSON.stringify(name)} (also topics[${seen}].name)`,
      );
  });
}

/**
 * Per-routing keys set where they do nothing. With `allowDefaults`, a key left at its default is
 * let through: objects built by code (a loaded config, a spread of one) carry every key.
 */
function checkRoutingKeys(topics: readonly unknown[], problems: Problems, allowDefaults: boolean): void {
  topics.forEach((entry, index) => {
    const topic = asTable(entry);
    if (topic === undefined) return;
    const written = own(topic, 'routing');
    const routing = written ?? Routing.Fanout;
    if (routing !== Routing.Fanout && routing !== Routing.Queue) return;
    const which =
      written === undefined ? `this topic is ${routing}, the default routing` : `this topic is ${routing}`;
    for (const [key, only] of Object.entries(ROUTING_ONLY_KEYS)) {
      const value = own(topic, key);
      if (only === routing || value === undefined) continue;
      if (allowDefaults && value === findKey('topics', key)?.default) continue;
      problems.add(
        `topics[${index}].${key}`,
        `applies to ${only} topics only and would do nothing here (${which}); remove it or set routing = "${only}"`,
      );
    }
    const ack = own(topic, 'ack') ?? AckMode.None;
    if (routing !== Routing.Queue || ack !== AckMode.None) return;
    for (const key of MANUAL_ACK_ONLY_KEYS) {
      const value = own(topic, key);
      if (value === undefined) continue;
      if (allowDefaults && value === findKey('topics', key)?.default) continue;
      problems.add(
        `topics[${index}].${key}`,
        'applies only with ack = "manual" and would do nothing here (ack is "none"); remove it or set ack = "manual"',
      );
    }
  });
}

function checkFrameSize(server: Table, topics: readonly unknown[], problems: Problems): void {
  const frame = intOr(
    own(server, 'max_frame_size'),
    DEFAULT_MAX_FRAME_SIZE,
    MIN_FRAME_SIZE,
    MAX_FRAME_SIZE_LIMIT,
  );
  if (frame === undefined) return;
  let worst: { index: number; size: number } | undefined;
  topics.forEach((entry, index) => {
    const topic = asTable(entry);
    if (topic === undefined) return;
    const size = intOr(own(topic, 'max_message_size'), DEFAULT_MAX_MESSAGE_SIZE, 1, MAX_MESSAGE_SIZE_LIMIT);
    if (size === undefined || size + FRAME_OVERHEAD_BYTES <= frame) return;
    if (worst === undefined || size > worst.size) worst = { index, size };
  });
  if (worst === undefined) return;
  problems.add(
    'server.max_frame_size',
    `must be at least ${worst.size + FRAME_OVERHEAD_BYTES} to carry topics[${worst.index}].max_message_size ` +
      `(${worst.size}) plus ${FRAME_OVERHEAD_BYTES} bytes of frame overhead (got ${frame})`,
  );
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::']);

function checkMetricsPort(server: Table, metrics: Table, problems: Problems): void {
  if ((own(metrics, 'enabled') ?? DEFAULT_METRICS_ENABLED) !== true) return;
  const port = own(metrics, 'port') ?? DEFAULT_METRICS_PORT;
  if (!Number.isSafeInteger(port) || port === 0 || port !== (own(server, 'port') ?? DEFAULT_PORT)) return;
  const metricsHost = own(metrics, 'bind_address') ?? DEFAULT_METRICS_BIND_ADDRESS;
  const serverHost = own(server, 'bind_address') ?? DEFAULT_BIND_ADDRESS;
  if (typeof metricsHost !== 'string' || typeof serverHost !== 'string') return;
  if (metricsHost !== serverHost && !ANY_ADDRESS.has(metricsHost) && !ANY_ADDRESS.has(serverHost)) return;
  problems.add(
    'metrics.port',
    `must differ from server.port: both would listen on port ${String(port)} (${metricsHost} and ${serverHost})`,
  );
}

/**
 * Adds a problem for every cross-key rule the raw document breaks.
 * @param allowDefaults let per-routing keys through where they do nothing if they hold their
 *   default (for configs given as objects, which carry every key; files get the strict check)
 */
export function checkRules(doc: unknown, problems: Problems, allowDefaults = false): void {
  const root = asTable(doc);
  if (root === undefined) return;
  const topicsValue = own(root, 'topics');
  const topics = Array.isArray(topicsValue) ? topicsValue : [];
  const server = asTable(own(root, 'server')) ?? {};
  const metrics = asTable(own(root, 'metrics')) ?? {};
  checkDuplicateNames(topics, problems);
  checkRoutingKeys(topics, problems, allowDefaults);
  checkFrameSize(server, topics, problems);
  checkMetricsPort(server, metrics, problems);
}
