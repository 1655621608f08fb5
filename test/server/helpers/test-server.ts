/** Starts a real server on a temp-dir socket and TCP port 0, with a log-free logger. */
import { join } from 'node:path';
import { type BrokerConfigInput, validateConfig } from '../../../src/config/index.ts';
import {
  type ClosedConnectionInfo,
  createLogger,
  type MyceliumServer,
  startServer,
} from '../../../src/server/index.ts';
import type { RawClient, Target } from './raw-client.ts';
import { type ClientOptions, CloseLog, RawClients, targets } from './server-watch.ts';
import { tempDir } from './socket-pair.ts';

export interface TestServer {
  readonly server: MyceliumServer;
  readonly dir: string;
  readonly unix: Target;
  readonly tcp: Target;
  /** Every 'connection_closed' event so far. */
  readonly closes: ClosedConnectionInfo[];
  /** The close of the connection whose HELLO name is `name`. */
  closeOf(name: string): Promise<ClosedConnectionInfo>;
  /** Waits until `count` closes (default 1) match `match`; resolves with them. */
  closesWhere(
    match: (info: ClosedConnectionInfo) => boolean,
    count?: number,
  ): Promise<ClosedConnectionInfo[]>;
  /** A client that completed its handshake over the Unix socket (or TCP when `tcp` is set). */
  client(name: string, options?: ClientOptions): Promise<RawClient>;
  stop(): Promise<void>;
}

type Overrides = {
  server?: NonNullable<BrokerConfigInput['server']>;
  topics?: BrokerConfigInput['topics'];
  performance?: NonNullable<BrokerConfigInput['performance']>;
};

export async function startTestServer(overrides: Overrides = {}): Promise<TestServer> {
  const { dir, cleanup } = await tempDir();
  const config = validateConfig({
    server: { socket_path: join(dir, 'mycelium.sock'), port: 0, log_level: 'silent', ...overrides.server },
    topics: overrides.topics ?? [],
    performance: overrides.performance ?? {},
    metrics: { enabled: false },
  });
  const server = await startServer(config, { logger: createLogger('silent', { pretty: false }) });
  const log = new CloseLog(server);
  const clients = new RawClients(server);
  return {
    server,
    dir,
    ...targets(server),
    closes: log.closes,
    async closeOf(name) {
      const [found] = await log.where((c) => c.clientName === name);
      return found!;
    },
    closesWhere: (match, count) => log.where(match, count),
    client: (name, options) => clients.open(name, options),
    async stop() {
      clients.destroyAll();
      await server.close();
      await cleanup();
    },
  };
}
