/**
 * The metrics endpoint of a running server: `/metrics` (Prometheus text), `/healthz`, `/readyz`
 * and `/stats` (JSON) on their own HTTP listener. Everything is read when asked for; the broker
 * and server only count and emit events (ARCHITECTURE.md §1).
 */
import type { Registry } from 'prom-client';
import pkg from '../../package.json' with { type: 'json' };
import type { BrokerConfig } from '../config/index.ts';
import { listenTcp } from '../listen-tcp.ts';
import type { Logger, MyceliumServer } from '../server/index.ts';
import { closeHttp, createHttpServer, type Reply, type Route, text } from './http.ts';
import { createRegistry } from './registry.ts';
import { buildStats } from './stats.ts';

/** Options of {@link startMetrics}. */
export interface MetricsOptions {
  /** Where to log the listening address and collection errors (default: nowhere). */
  readonly logger?: Logger;
  /** Sampling period of the event-loop delay histogram, in ms (default 10). */
  readonly eventLoopMonitoringPrecision?: number;
}

/** Where the metrics listener is bound. */
export interface MetricsAddresses {
  /** The bound address; `port` is the real one when the config asked for port 0. */
  readonly http: { readonly host: string; readonly port: number };
}

/** A running metrics endpoint. */
export interface MetricsHandle {
  readonly addresses: MetricsAddresses;
  /** `http://host:port` of the listener (IPv6 hosts in brackets). */
  readonly url: string;
  /** This server's own registry (register application metrics here to serve them too). */
  readonly registry: Registry;
  /**
   * Stops the listener (open HTTP connections are closed) and stops counting server events and
   * topic deletions.
   */
  close(): Promise<void>;
}

/**
 * Starts the metrics listener for `server` on `config.bind_address:config.port`. `config.enabled`
 * is the caller's business (see {@link serveMetrics}): this always starts.
 * @throws (rejects) MyceliumError LISTEN_FAILED when the address cannot be bound
 */
export async function startMetrics(
  server: MyceliumServer,
  config: BrokerConfig['metrics'],
  options: MetricsOptions = {},
): Promise<MetricsHandle> {
  const mycelium = createRegistry(server, pkg.version, options.eventLoopMonitoringPrecision);
  const { registry } = mycelium;
  let closed = false;
  const onClosed = (): void => {
    closed = true;
  };
  server.once('closed', onClosed);
  let http = { host: config.bind_address, port: config.port };

  const routes = new Map<string, Route>([
    [
      '/metrics',
      async (): Promise<Reply> => ({
        status: 200,
        contentType: registry.contentType,
        body: await registry.metrics(),
      }),
    ],
    ['/healthz', () => text(200, 'ok')],
    ['/readyz', () => readiness(server, closed)],
    [
      '/stats',
      (): Reply => ({
        status: 200,
        contentType: 'application/json; charset=utf-8',
        body: `${JSON.stringify(buildStats(server, { version: pkg.version, http }))}\n`,
      }),
    ],
  ]);
  const httpServer = createHttpServer(routes, (err) => {
    options.logger?.error({ err }, 'metrics: collecting failed');
  });
  try {
    http = await listenTcp(httpServer, config.bind_address, config.port, 'metrics');
  } catch (err) {
    mycelium.detach();
    server.off('closed', onClosed);
    throw err;
  }
  const url = `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}`;
  options.logger?.info({ url }, `metrics listening on ${url}/metrics`);
  let closing: Promise<void> | undefined;
  return {
    addresses: { http },
    url,
    registry,
    close() {
      closing ??= (async () => {
        mycelium.detach();
        server.off('closed', onClosed);
        await closeHttp(httpServer);
      })();
      return closing;
    },
  };
}

/** `/readyz`: ready while listening and not draining. */
function readiness(server: MyceliumServer, closed: boolean): Reply {
  if (closed) return text(503, 'closed');
  if (server.draining) return text(503, 'draining');
  try {
    void server.addresses;
  } catch {
    return text(503, 'not listening');
  }
  return text(200, 'ready');
}

/**
 * What `mycelium serve` calls once the server listens: starts metrics when `metrics.enabled` is
 * true (resolving undefined otherwise) and closes them when the server closes. If the metrics
 * address cannot be bound, the server is closed too and the promise rejects with LISTEN_FAILED,
 * so `serve` fails the way it does for its own listeners instead of running half-observed.
 */
export async function serveMetrics(
  server: MyceliumServer,
  options: MetricsOptions = {},
): Promise<MetricsHandle | undefined> {
  const config = server.config.metrics;
  if (!config.enabled) return undefined;
  let handle: MetricsHandle;
  try {
    handle = await startMetrics(server, config, options);
  } catch (err) {
    await server.close();
    throw err;
  }
  server.once('closed', () => void handle.close());
  return handle;
}
