/** Starts a real server on a temp-dir socket and TCP port 0, with a log-free logger. */
import { join } from 'node:path';
import { type BrokerConfigInput, validateConfig } from '../../../src/config/index.ts';
import {
  type ClosedConnectionInfo,
  createLogger,
  type MyceliumServer,
  startServer,
} from '../../../src/server/index.ts';
import { RawClient, type Target } from './raw-client.ts';
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
  client(name: string, options?: { tcp?: boolean; token?: string }): Promise<RawClient>;
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
  const closes: ClosedConnectionInfo[] = [];
  const waiters: (() => void)[] = [];
  server.on('connection_closed', (info) => {
    closes.push(info);
    for (const w of waiters.splice(0)) w();
  });
  const unix = { path: server.addresses.unix };
  const tcp = { host: server.addresses.tcp.host, port: server.addresses.tcp.port };
  const clients: RawClient[] = [];
  async function closesWhere(match: (info: ClosedConnectionInfo) => boolean, count = 1) {
    for (;;) {
      const found = closes.filter(match);
      if (found.length >= count) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }
  return {
    server,
    dir,
    unix,
    tcp,
    closes,
    async closeOf(name) {
      const [found] = await closesWhere((c) => c.clientName === name);
      return found!;
    },
    closesWhere,
    async client(name, options = {}) {
      const c = await RawClient.ready(options.tcp ? tcp : unix, name, options.token);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.destroy();
      await server.close();
      await cleanup();
    },
  };
}
