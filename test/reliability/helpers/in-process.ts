/**
 * An in-process server on a temp-dir socket and TCP port 0, log-free, with every close event
 * kept: for rows that assert close reasons and broker state directly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerConfigInput, validateConfig } from '../../../src/config/index.ts';
import {
  type ClosedConnectionInfo,
  createLogger,
  type MyceliumServer,
  startServer,
} from '../../../src/server/index.ts';
import { targets } from '../../server/helpers/server-watch.ts';
import type { Target } from './wire-client.ts';

export interface InProcess {
  readonly server: MyceliumServer;
  readonly dir: string;
  readonly unix: Target;
  readonly tcp: Target;
  /** Every 'connection_closed' event so far. */
  readonly closes: ClosedConnectionInfo[];
  /** performance.now() of each close, by connection id. */
  readonly closedAt: Map<number, number>;
  /** The two transports alternately: even `i` Unix, odd `i` TCP. */
  target(i: number): Target;
  stop(): Promise<void>;
}

export type Overrides = {
  server?: NonNullable<BrokerConfigInput['server']>;
  topics?: BrokerConfigInput['topics'];
  performance?: NonNullable<BrokerConfigInput['performance']>;
};

/** A fresh temp directory (mode 0700) for socket files. */
export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'myc-rel-'));
}

export async function startInProcess(overrides: Overrides = {}): Promise<InProcess> {
  const dir = await tempDir();
  const config = validateConfig({
    server: { socket_path: join(dir, 'm.sock'), port: 0, log_level: 'silent', ...overrides.server },
    topics: overrides.topics ?? [],
    performance: overrides.performance ?? {},
    metrics: { enabled: false },
  });
  const server = await startServer(config, { logger: createLogger('silent', { pretty: false }) });
  const closes: ClosedConnectionInfo[] = [];
  const closedAt = new Map<number, number>();
  server.on('connection_closed', (info) => {
    closes.push(info);
    closedAt.set(info.id, performance.now());
  });
  const { unix, tcp } = targets(server);
  return {
    server,
    dir,
    unix,
    tcp,
    closes,
    closedAt,
    target: (i) => (i % 2 === 0 ? unix : tcp),
    async stop() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
