/**
 * Hot reload (ARCHITECTURE.md §2, STYLE.md principle 9), all or nothing, in three steps:
 *
 * 1. read: load and validate the new configuration (the file again, with the overrides of the
 *    start, or the file or object given);
 * 2. plan: `planReload` turns the difference into typed changes and refuses the whole reload if
 *    one needs a restart; then the changes are checked against the live broker (a topic created
 *    at run time under a name the file now declares with another routing);
 * 3. apply: synchronously, so no frame is handled half-way through: topics added and changed
 *    first, then topics removed, then the shared connection limits changed in place.
 *
 * Steps 1 and 2 touch nothing, so a rejected reload leaves the server exactly as it was. Step 3
 * cannot fail on a configuration that passed them: the config layer validates topic settings by
 * the broker's own rules, and the plan has checked what the config layer cannot see.
 */
import type { Broker } from '../broker/index.ts';
import {
  type BrokerConfig,
  type ConfigChange,
  describeChange,
  type LoadOptions,
  loadConfig,
  planReload,
  type TopicConfig,
  validateConfig,
} from '../config/index.ts';
import { ConfigError } from '../errors.ts';
import { type ConnectionLimits, connectionLimits } from './context.ts';
import type { FlushScheduler } from './flush-scheduler.ts';
import type { Logger, LogLevel } from './logger.ts';
import { describeRemoval, ReloadOutcome, type ReloadReport, type RemovedTopic } from './reload-report.ts';
import { type Sweeper, sweepPeriodMs } from './sweeper.ts';
import { warnOnOpenFiles } from './startup.ts';
import { topicSettingsFromConfig } from './topic-settings.ts';

/** What to reload from: a validated-or-not configuration object, or a TOML file. */
export type ReloadRequest = BrokerConfig | { readonly file: string };

/** Options of `MyceliumServer.reload`. */
export interface ReloadOptions {
  /** What asked for the reload, for the report and the log line (default `api`). */
  readonly trigger?: string;
}

/** The parts of a running server a reload changes. */
export interface LiveServer {
  readonly broker: Broker;
  /** Shared by every connection; changed in place. */
  readonly limits: ConnectionLimits;
  readonly scheduler: FlushScheduler;
  readonly sweeper: Sweeper;
  readonly logger: Logger;
  /** Connections counted against max_connections right now. */
  connectionCount(): number;
  /** Puts a new token in force for new handshakes (undefined: no token). */
  setToken(token: string | undefined): void;
}

/** Everything one reload needs. */
export interface ReloadInput {
  readonly current: BrokerConfig;
  /** Undefined: the file the server was started from, loaded as at start (`load`). */
  readonly request: ReloadRequest | undefined;
  /** How the running configuration was loaded (file, env, flag overrides), if from a file. */
  readonly load: LoadOptions | undefined;
  readonly trigger: string;
  /** True once a shutdown began: a reload then changes nothing. */
  readonly draining: () => boolean;
  readonly live: LiveServer;
}

/** The report, and the configuration in force afterwards (`current` itself unless applied). */
export interface ReloadResult {
  readonly report: ReloadReport;
  readonly config: BrokerConfig;
}

const OBJECT_SOURCE = 'a configuration object';

/** Reads, plans and (when everything passes) applies one reload. */
export async function runReload(input: ReloadInput): Promise<ReloadResult> {
  const { current, trigger } = input;
  let source = describeSource(input.request, input.load);
  const rejected = (
    error: ConfigError | undefined,
    code: ReloadReport['code'],
    problems: readonly string[],
  ) => ({
    report: rejection(trigger, source, code, problems, error),
    config: current,
  });
  if (input.draining()) return rejected(undefined, 'SHUTTING_DOWN', ['the server is shutting down']);
  let next: BrokerConfig;
  let changes: ConfigChange[];
  try {
    const read = await readNext(input.request, input.load);
    source = read.source;
    next = read.config;
    changes = planReload(current, next);
    checkAgainstBroker(changes, input.live.broker);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return rejected(err, err.code, err.problems);
  }
  // The read took time: a shutdown may have begun meanwhile.
  if (input.draining()) return rejected(undefined, 'SHUTTING_DOWN', ['the server is shutting down']);
  if (changes.length === 0) {
    return { report: emptyReport(ReloadOutcome.Unchanged, trigger, source), config: current };
  }
  const { effects, removedTopics } = applyChanges(current, next, changes, input.live);
  return {
    report: {
      ...emptyReport(ReloadOutcome.Applied, trigger, source),
      changes: changes.map(describeChange),
      effects,
      removedTopics,
    },
    config: next,
  };
}

function emptyReport(outcome: ReloadReport['outcome'], trigger: string, source: string): ReloadReport {
  return { outcome, trigger, source, changes: [], effects: [], removedTopics: [], problems: [] };
}

function rejection(
  trigger: string,
  source: string,
  code: ReloadReport['code'],
  problems: readonly string[],
  error: ConfigError | undefined,
): ReloadReport {
  return {
    ...emptyReport(ReloadOutcome.Rejected, trigger, source),
    problems,
    ...(code === undefined ? {} : { code }),
    ...(error === undefined ? {} : { error }),
  };
}

function describeSource(request: ReloadRequest | undefined, load: LoadOptions | undefined): string {
  if (request === undefined) return load?.file ?? 'no configuration file';
  return 'file' in request && typeof request.file === 'string' ? request.file : OBJECT_SOURCE;
}

/**
 * Step 1: the new configuration, validated. A file is loaded with the environment and flag
 * overrides the server started with, so a flag keeps winning over the file after a reload.
 * @throws ConfigError CONFIG_READ, CONFIG_PARSE or CONFIG_INVALID
 */
async function readNext(
  request: ReloadRequest | undefined,
  load: LoadOptions | undefined,
): Promise<{ config: BrokerConfig; source: string }> {
  if (request === undefined) {
    if (load?.file === undefined) {
      throw new ConfigError('CONFIG_READ', [
        'the server was started without a configuration file, so there is nothing to read again; give a file or a configuration to reload from',
      ]);
    }
    const loaded = await loadConfig(load);
    return { config: loaded.config, source: loaded.source };
  }
  if ('file' in request && typeof request.file === 'string') {
    const loaded = await loadConfig({ ...load, file: request.file });
    return { config: loaded.config, source: loaded.source };
  }
  return { config: validateConfig(request), source: OBJECT_SOURCE };
}

/**
 * Step 2, the part the config layer cannot see: a topic the new file adds may already exist on
 * the broker (created at run time); its routing must then match, since it cannot change live.
 * @throws ConfigError CONFIG_NOT_RELOADABLE
 */
function checkAgainstBroker(changes: readonly ConfigChange[], broker: Broker): void {
  const problems: string[] = [];
  for (const c of changes) {
    if (c.kind !== 'topic_added') continue;
    const live = broker.getTopic(c.topic.name);
    if (live !== undefined && live.settings.routing !== c.topic.routing) {
      problems.push(
        `topic ${JSON.stringify(c.topic.name)}: already exists on the broker as ${live.settings.routing}; routing cannot change on a live topic (${c.topic.routing} asked)`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError('CONFIG_NOT_RELOADABLE', problems);
}

/** Step 3: every change, live. Synchronous on purpose: no frame is handled in the middle of it. */
function applyChanges(
  current: BrokerConfig,
  next: BrokerConfig,
  changes: readonly ConfigChange[],
  live: LiveServer,
): { effects: string[]; removedTopics: RemovedTopic[] } {
  const effects: string[] = [];
  const touched = new Set<string>();
  for (const c of changes) {
    if (c.kind === 'topic_added') touched.add(c.topic.name);
    else if (c.kind === 'topic_changed') touched.add(c.name);
  }
  for (const topic of next.topics) {
    if (touched.has(topic.name)) upsertTopic(live, topic, effects);
  }
  const removedTopics: RemovedTopic[] = [];
  for (const c of changes) {
    if (c.kind !== 'topic_removed') continue;
    const removed = removeTopic(live.broker, c.name);
    if (removed === undefined) {
      effects.push(`topic ${JSON.stringify(c.name)} was already gone from the broker`);
    } else {
      removedTopics.push(removed);
      effects.push(describeRemoval(removed));
    }
  }
  applySettings(current, next, live);
  return { effects, removedTopics };
}

/**
 * Creates a topic or puts its new settings in force. A fanout buffer made smaller than some
 * subscriber's lag applies the topic's slow-consumer policy to it at once, as the next publish
 * would; that is said in the report rather than left for someone to find in the metrics.
 */
function upsertTopic(live: LiveServer, topic: TopicConfig, effects: string[]): void {
  const broker = live.broker;
  const settings = topicSettingsFromConfig(topic);
  if (!broker.hasTopic(topic.name)) {
    broker.createTopic(topic.name, settings);
    return;
  }
  const before = broker.topicStats(topic.name);
  const connections = live.connectionCount();
  broker.updateTopic(topic.name, settings);
  const after = broker.topicStats(topic.name);
  const skipped = after.droppedLagged - before.droppedLagged;
  const evicted = after.slowConsumerEvictions - before.slowConsumerEvictions;
  const name = JSON.stringify(topic.name);
  if (skipped > 0) {
    effects.push(
      `topic ${name}: the smaller buffer_size skipped ${skipped} messages for lagging subscribers (LAGGED sent)`,
    );
  }
  if (evicted > 0) {
    const closed = connections - live.connectionCount();
    effects.push(
      `topic ${name}: the smaller buffer_size disconnected ${evicted} lagging subscribers (slow_consumer = "disconnect"; ${closed} connections closed)`,
    );
  }
}

/** Deletes a topic, first noting the unacked deliveries that go with it; undefined when already gone. */
function removeTopic(broker: Broker, name: string): RemovedTopic | undefined {
  if (!broker.hasTopic(name)) return undefined;
  const droppedUnacked = broker.topicStats(name).inFlight;
  const { subscribers, droppedQueued } = broker.deleteTopic(name);
  return { name, subscriptions: subscribers, droppedQueued, droppedUnacked };
}

/**
 * The reloadable `[server]` and `[performance]` keys, in force for every connection from now on.
 * `max_connections` and `shutdown_grace_ms` are read from the server's config where used, so the
 * new config object carries them. Lower limits do not close anything by themselves: a connection
 * with more subscriptions than a lowered cap keeps them and is refused new ones.
 */
function applySettings(current: BrokerConfig, next: BrokerConfig, live: LiveServer): void {
  const s = next.server;
  const p = next.performance;
  // Connections read these objects at each use, so they are updated in place, from the same
  // mapping a new server uses. max_frame_size is announced in WELCOME and not reloadable: it stays.
  const { maxFrameSize: _announced, writer, ...perConnection } = connectionLimits(next);
  Object.assign(live.limits, perConnection);
  Object.assign(live.limits.writer, writer);
  live.scheduler.intervalMs = p.flush_interval_ms;
  live.sweeper.setPeriod(
    sweepPeriodMs(s.connection_timeout_ms, s.heartbeat_interval_ms, s.write_deadline_ms),
  );
  live.logger.level = s.log_level satisfies LogLevel;
  if (s.max_connections > current.server.max_connections) warnOnOpenFiles(live.logger, s.max_connections);
  // Only a changed token gets a new check: connections that presented the current one keep their
  // admin rights (docs/protocol.md §6.8).
  if (current.server.auth_token !== s.auth_token) live.setToken(s.auth_token);
}

/** Logs a reload's report once: info when applied or unchanged, warn when rejected. */
export function logReload(logger: Logger, r: ReloadReport): void {
  const base = { trigger: r.trigger, source: r.source };
  switch (r.outcome) {
    case ReloadOutcome.Applied:
      logger.info({ ...base, changes: r.changes, effects: r.effects }, 'config reload applied');
      return;
    case ReloadOutcome.Unchanged:
      logger.info(base, 'config reload: no changes');
      return;
    case ReloadOutcome.Rejected:
      logger.warn(
        { ...base, code: r.code, problems: r.problems },
        'config reload rejected; the running configuration is unchanged',
      );
  }
}
