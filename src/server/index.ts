/**
 * `mycelium/server`: embed a Mycelium broker server. Start one with {@link startServer}; everything
 * else in this folder is internal.
 */
export {
  MyceliumServer,
  type MyceliumServerEvents,
  SERVER_NAME,
  type ServerAddresses,
  type StartOptions,
  startServer,
} from './server.ts';
export type { ClosedConnectionInfo, ConnectionInfo, Transport } from './connection-info.ts';
export type { ConnectionRegistryView } from './registry.ts';
export { type CloseReason, LocalCloseReason, SlowConsumerDetail } from './close-reason.ts';
export { createLogger, type Logger, type LogLevel } from './logger.ts';
export { AUTH_FAILED_TEXT } from './auth.ts';
export type { ReloadOptions, ReloadRequest } from './reload.ts';
export type { SettingsInForce } from './settings-in-force.ts';
export {
  fitReport,
  formatReport,
  ReloadOutcome,
  type ReloadReport,
  type RemovedTopic,
} from './reload-report.ts';
export { type ConfigWatcher, WATCH_DEBOUNCE_MS, type WatchOptions, watchConfigFile } from './reload-watch.ts';
export { RELOAD_NOT_PERMITTED_TEXT } from './handlers/reload.ts';
// What an embedder needs next to startServer: building a config and, optionally, its own broker.
export {
  type BrokerConfig,
  type BrokerConfigInput,
  defaultConfig,
  loadConfig,
  validateConfig,
} from '../config/index.ts';
export { Broker } from '../broker/index.ts';
