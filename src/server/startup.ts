/** Start-up chores: the configured topics on the broker, and the summary logged at start. */
import type { Broker } from '../broker/index.ts';
import type { BrokerConfig, TopicConfig } from '../config/index.ts';
import type { Logger } from './logger.ts';
import { openFilesLimit, openFilesWarning } from './open-files.ts';
import type { ServerAddresses } from './server.ts';
import { topicSettingsFromConfig } from './topic-settings.ts';

/**
 * Creates every configured topic on the broker; a topic the broker already has (an embedder's
 * broker) takes the configured settings. A routing mismatch throws INVALID_ARGUMENT.
 */
export function prepareTopics(broker: Broker, topics: readonly TopicConfig[], logger: Logger): void {
  for (const topic of topics) {
    const settings = topicSettingsFromConfig(topic);
    if (broker.hasTopic(topic.name)) {
      broker.updateTopic(topic.name, settings);
      logger.debug({ topic: topic.name }, 'topic already on the broker; configured settings applied');
    } else {
      broker.createTopic(topic.name, settings);
    }
  }
}

/** Logs where the server listens and the settings that shape its behaviour (never the token). */
export function logStartup(logger: Logger, config: BrokerConfig, addresses: ServerAddresses): void {
  const s = config.server;
  const p = config.performance;
  logger.info(
    {
      unix: addresses.unix,
      socket_mode: s.socket_mode,
      tcp: `${addresses.tcp.host}:${addresses.tcp.port}`,
      auth: s.auth_token === undefined ? 'off' : 'token required on TCP',
      topics: config.topics.map((t) => `${t.name} (${t.routing})`),
      max_connections: s.max_connections,
      max_frame_size: s.max_frame_size,
      max_pending_bytes: s.max_pending_bytes,
      heartbeat_interval_ms: s.heartbeat_interval_ms,
      performance: p,
    },
    'mycelium listening',
  );
  warnOnOpenFiles(logger, s.max_connections);
  if (p.worker_threads > 1) {
    logger.info(
      { worker_threads: p.worker_threads },
      'worker_threads is validated, but multi-core routing does not exist yet: routing runs on one thread',
    );
  }
}

/** Logs (warn) when the open-files limit cannot hold `maxConnections` connections (open-files.ts). */
export function warnOnOpenFiles(logger: Logger, maxConnections: number): void {
  const limit = openFilesLimit();
  const warning = openFilesWarning(maxConnections, limit);
  if (warning !== undefined)
    logger.warn({ max_connections: maxConnections, open_files_limit: limit }, warning);
}
