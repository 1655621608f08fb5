/**
 * A real server (temp-dir socket, TCP port 0) with its metrics listener (port 0), plus what the
 * metrics tests need: raw clients, the server's close events, and HTTP requests to the endpoint.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { type BrokerConfigInput, validateConfig } from '../../../src/config/index.ts';
import { encodePing, type Frame } from '../../../src/protocol/index.ts';
import { type MetricsHandle, startMetrics } from '../../../src/metrics/index.ts';
import {
  type ClosedConnectionInfo,
  createLogger,
  type MyceliumServer,
  startServer,
} from '../../../src/server/index.ts';
import type { RawClient, Target } from '../../server/helpers/raw-client.ts';
import { type ClientOptions, CloseLog, RawClients, targets } from '../../server/helpers/server-watch.ts';
import { tempDir } from '../../server/helpers/socket-pair.ts';
import { parseMetrics, type Scrape } from './prom-text.ts';

/** An HTTP answer. */
export interface HttpReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Sends one request to `url` on a fresh connection (any method; fetch refuses some ports and methods). */
export function httpRequest(url: string, method = 'GET'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface ObservedServer {
  readonly server: MyceliumServer;
  readonly metrics: MetricsHandle;
  readonly unix: Target;
  readonly tcp: Target;
  /** Every 'connection_closed' event so far. */
  readonly closes: ClosedConnectionInfo[];
  /** Waits until `count` closes in all have been seen. */
  closed(count: number): Promise<void>;
  /** A client that completed its handshake (Unix socket unless `tcp`). */
  client(name: string, options?: ClientOptions): Promise<RawClient>;
  /** GET (or `method`) `path` on the metrics listener. */
  get(path: string, method?: string): Promise<HttpReply>;
  /** GET /metrics, parsed. */
  scrape(): Promise<Scrape>;
  stop(): Promise<void>;
}

type Overrides = {
  server?: NonNullable<BrokerConfigInput['server']>;
  topics?: BrokerConfigInput['topics'];
};

/** Starts a server and its metrics on loopback port 0. */
export async function startObserved(overrides: Overrides = {}): Promise<ObservedServer> {
  const { dir, cleanup } = await tempDir();
  const config = validateConfig({
    server: { socket_path: join(dir, 'm.sock'), port: 0, log_level: 'silent', ...overrides.server },
    topics: overrides.topics ?? [],
    metrics: { enabled: true, bind_address: '127.0.0.1', port: 0 },
  });
  const server = await startServer(config, { logger: createLogger('silent', { pretty: false }) });
  const metrics = await startMetrics(server, config.metrics);
  const log = new CloseLog(server);
  const clients = new RawClients(server);
  const get = (path: string, method?: string) => httpRequest(`${metrics.url}${path}`, method);
  return {
    server,
    metrics,
    ...targets(server),
    closes: log.closes,
    async closed(count) {
      await log.where(() => true, count);
    },
    client: (name, options) => clients.open(name, options),
    get,
    async scrape() {
      const reply = await get('/metrics');
      if (reply.status !== 200) throw new Error(`/metrics answered ${reply.status}: ${reply.body}`);
      return parseMetrics(reply.body);
    },
    async stop() {
      clients.destroyAll();
      await metrics.close();
      await server.close();
      await cleanup();
    },
  };
}

/**
 * Sends PING and waits for the PONG: everything sent before it has been handled by the server.
 * Resolves with the frames that arrived before the PONG.
 */
export async function roundTrip(c: RawClient): Promise<Frame[]> {
  c.send(encodePing());
  const before: Frame[] = [];
  for (;;) {
    const f = await c.next();
    if (f.op === 'PONG') return before;
    before.push(f);
  }
}
