/**
 * The `/stats` JSON document: the server, its topics and its connections in one read, the way
 * NATS' `/varz`, `/connz` and `/subsz` serve tools (`mycelium stats` reads it). Keys are
 * snake_case like the config. Secrets (the auth token) are never included: the config summary
 * leaves out every key the config catalog marks secret and only names the ones that are set.
 */
import type { TopicStats } from '../broker/index.ts';
import {
  type BrokerConfig,
  CONFIG_KEYS,
  SETTING_SECTIONS,
  secretsSet,
  type TopicKey,
  topicKeyApplies,
} from '../config/index.ts';
import { type ConnectionInfo, type MyceliumServer, SERVER_NAME, type Transport } from '../server/index.ts';

/** One topic in `/stats`: the broker's TopicStats, snake_case. Counters are this topic instance's. */
export interface TopicStatsJson {
  readonly name: string;
  readonly routing: TopicStats['routing'];
  readonly next_seq: number;
  readonly subscribers: number;
  readonly depth: number;
  readonly in_flight: number;
  readonly max_lag: number;
  readonly published: number;
  readonly published_bytes: number;
  readonly delivered: number;
  readonly redelivered: number;
  readonly acked: number;
  readonly rejected: number;
  readonly dropped_overflow: number;
  readonly dropped_lagged: number;
  readonly dropped_deleted: number;
  readonly dropped_delivery_limit: number;
  readonly slow_consumer_evictions: number;
}

/** One subscription of a connection in `/stats`. */
export interface SubscriptionJson {
  /** The id the client chose in SUB. */
  readonly sid: number;
  readonly topic: string;
}

/** One live connection in `/stats`. */
export interface ConnectionStatsJson {
  readonly id: number;
  readonly transport: Transport;
  /** `host:port` for TCP, `unix` for the Unix socket. */
  readonly remote: string;
  /** The name given in HELLO ('' before the handshake). */
  readonly client_name: string;
  readonly established: boolean;
  /** Live subscriptions (the length of `subscriptions`). */
  readonly subscription_count: number;
  /** Live subscriptions, by sid. */
  readonly subscriptions: readonly SubscriptionJson[];
  /** Output not yet written to the kernel, in bytes. */
  readonly pending_bytes: number;
}

/** The configuration without secrets. */
export interface ConfigSummary {
  readonly server: Readonly<Record<string, unknown>>;
  readonly performance: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, unknown>>;
  /** Declared topics, each with the keys that apply to its routing (as `config check` prints them). */
  readonly topics: readonly Readonly<Record<string, unknown>>[];
  /** Key paths of secrets that have a value (e.g. `server.auth_token`); never the value. */
  readonly secrets_set: readonly string[];
}

/** The server part of `/stats`. */
export interface ServerStatsJson {
  readonly name: string;
  readonly version: string;
  /** When the server was started (`MyceliumServer.startedAt`). */
  readonly started_at: string;
  /** Seconds since `started_at`. */
  readonly uptime_s: number;
  readonly addresses: {
    readonly unix: string;
    readonly tcp: { readonly host: string; readonly port: number };
    readonly http: { readonly host: string; readonly port: number };
  };
  /** Live connections (handshaking or established). */
  readonly connections: number;
  readonly draining: boolean;
  readonly config: ConfigSummary;
}

/** The whole `/stats` document. */
export interface StatsDocument {
  readonly server: ServerStatsJson;
  readonly topics: readonly TopicStatsJson[];
  readonly connections: readonly ConnectionStatsJson[];
}

/** What the document needs besides the server. */
export interface StatsContext {
  readonly version: string;
  readonly http: { readonly host: string; readonly port: number };
}

const SECRET_KEYS = new Set(CONFIG_KEYS.filter((k) => k.secret).map((k) => `${k.section}.${k.key}`));

/** The configuration without its secrets. */
export function configSummary(config: BrokerConfig): ConfigSummary {
  const sections: Record<string, Record<string, unknown>> = {};
  for (const section of SETTING_SECTIONS) {
    const table: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config[section])) {
      if (!SECRET_KEYS.has(`${section}.${key}`)) table[key] = value;
    }
    sections[section] = table;
  }
  return {
    server: sections.server ?? {},
    performance: sections.performance ?? {},
    metrics: sections.metrics ?? {},
    topics: config.topics.map((topic) => {
      const entry: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(topic)) {
        if (topicKeyApplies(topic, key as TopicKey)) entry[key] = value;
      }
      return entry;
    }),
    secrets_set: secretsSet(config),
  };
}

/** A topic's stats in the document's shape. */
export function topicJson(t: TopicStats): TopicStatsJson {
  return {
    name: t.name,
    routing: t.routing,
    next_seq: t.nextSeq,
    subscribers: t.subscribers,
    depth: t.depth,
    in_flight: t.inFlight,
    max_lag: t.maxLag,
    published: t.published,
    published_bytes: t.publishedBytes,
    delivered: t.delivered,
    redelivered: t.redelivered,
    acked: t.acked,
    rejected: t.rejected,
    dropped_overflow: t.droppedOverflow,
    dropped_lagged: t.droppedLagged,
    dropped_deleted: t.droppedDeleted,
    dropped_delivery_limit: t.droppedDeliveryLimit,
    slow_consumer_evictions: t.slowConsumerEvictions,
  };
}

function connectionJson(c: ConnectionInfo, subs: readonly SubscriptionJson[]): ConnectionStatsJson {
  return {
    id: c.id,
    transport: c.transport,
    remote: c.remote,
    client_name: c.clientName,
    established: c.established,
    subscription_count: subs.length,
    subscriptions: subs,
    pending_bytes: c.pendingBytes,
  };
}

/** Reads the server, broker and connections now. */
export function buildStats(server: MyceliumServer, ctx: StatsContext, now: Date = new Date()): StatsDocument {
  const registry = server.connections;
  const connections = registry.list();
  const { startedAt } = server;
  return {
    server: {
      name: SERVER_NAME,
      version: ctx.version,
      started_at: startedAt.toISOString(),
      uptime_s: Math.max(0, Math.floor((now.getTime() - startedAt.getTime()) / 1000)),
      addresses: { ...server.addresses, http: ctx.http },
      connections: connections.length,
      draining: server.draining,
      config: configSummary(server.config),
    },
    topics: server.broker.stats().map(topicJson),
    // Read in the same synchronous run as list(): every listed connection is still live.
    connections: connections.map((c) =>
      connectionJson(
        c,
        (registry.subscriptions(c.id) ?? []).sort((a, b) => a.sid - b.sid),
      ),
    ),
  };
}
