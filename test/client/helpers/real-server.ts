/**
 * A real server for client tests: started in this process with `startServer` on a temp-dir
 * socket and TCP port 0, logging nothing. The topics every client test uses are declared here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerConfigInput, validateConfig } from '../../../src/config/index.ts';
import { createLogger, type MyceliumServer, startServer } from '../../../src/server/index.ts';

/** Topics: a fanout topic, a small-buffer fanout topic (for lag), a queue topic with manual acks. */
export const TEST_TOPICS: NonNullable<BrokerConfigInput['topics']> = [
  { name: 'events' },
  { name: 'events.small', buffer_size: 4 },
  { name: 'jobs', routing: 'Queue', ack: 'manual', prefetch: 8 },
  { name: 'work', routing: 'Queue' },
];

export interface RealServer {
  server: MyceliumServer;
  /** The socket path, the same across `restart()`. */
  readonly socketPath: string;
  readonly unixUrl: string;
  readonly tcpUrl: string;
  /** Closes the server (its socket file goes with it). */
  down(): Promise<void>;
  /** Starts a fresh server (same topics, all empty) on the same socket path after `down()`. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

function configFor(socketPath: string) {
  return validateConfig({
    server: { socket_path: socketPath, port: 0, log_level: 'silent' },
    topics: TEST_TOPICS,
    metrics: { enabled: false },
  });
}

async function launch(socketPath: string): Promise<MyceliumServer> {
  return startServer(configFor(socketPath), { logger: createLogger('silent', { pretty: false }) });
}

export async function startRealServer(): Promise<RealServer> {
  const dir = mkdtempSync(join(tmpdir(), 'myc-client-'));
  const socketPath = join(dir, 'mycelium.sock');
  let server = await launch(socketPath);
  const handle: RealServer = {
    server,
    socketPath,
    unixUrl: `unix://${socketPath}`,
    get tcpUrl() {
      return `tcp://127.0.0.1:${server.addresses.tcp.port}`;
    },
    async down() {
      await server.close();
    },
    async up() {
      server = await launch(socketPath);
      handle.server = server;
    },
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
