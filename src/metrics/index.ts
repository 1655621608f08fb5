/**
 * Metrics for a running server: Prometheus `/metrics`, `/healthz`, `/readyz` and JSON `/stats`
 * (docs/metrics.md). The only folder that knows Prometheus; broker and protocol never import it.
 *
 * ```ts
 * const server = await startServer(config);
 * const metrics = await startMetrics(server, config.metrics); // or serveMetrics(server)
 * ```
 */
export {
  type MetricsAddresses,
  type MetricsHandle,
  type MetricsOptions,
  serveMetrics,
  startMetrics,
} from './metrics.ts';
export { DEFAULT_EVENT_LOOP_PRECISION_MS } from './registry.ts';
export type {
  ConfigSummary,
  ConnectionStatsJson,
  ServerStatsJson,
  StatsDocument,
  SubscriptionJson,
  TopicStatsJson,
} from './stats.ts';
export { DropReason } from './topic-metrics.ts';
