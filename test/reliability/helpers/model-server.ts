/**
 * The one server every D4 sequence runs against: started in process from a TOML file in a temp
 * dir (Unix socket there, TCP port 0), so both reload paths read the same file: the server's
 * `reload()` API and the RELOAD admin op over the Unix socket. Each sequence rewrites the file with
 * fresh topics and reloads, so sequences share the server but never a topic.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { loadConfig } from '../../../src/config/index.ts';
import {
  type ClosedConnectionInfo,
  createLogger,
  type MyceliumServer,
  type ReloadReport,
  startServer,
} from '../../../src/server/index.ts';
import { tempDir } from './in-process.ts';
import { targets } from '../../server/helpers/server-watch.ts';
import type { Target } from './wire-client.ts';

/** The settings a sequence starts from; reload commands change them one key at a time. */
export interface Settings {
  /** buffer_size of the fanout topic. */
  fanoutBuffer: number;
  /** buffer_size of the manual-ack queue topic. */
  manualBuffer: number;
  /** prefetch of the manual-ack queue topic. */
  prefetch: number;
  /** buffer_size of the ack "none" queue topic. */
  noneBuffer: number;
  /** performance.channel_capacity (frames queued per connection before the broker stops pushing). */
  channelCapacity: number;
}

/**
 * Deliveries per message before the broker gives up on it. The model bounds redeliveries itself
 * (one per subscription that ended holding the message); D5 tests the limit.
 */
const DELIVERY_LIMIT = 65_535;

/** The three topics of sequence `run`. */
export function topicNames(run: number): { fanout: string; manual: string; none: string } {
  return { fanout: `d4.r${run}.fan`, manual: `d4.r${run}.work`, none: `d4.r${run}.fire` };
}

export interface ModelServer {
  readonly server: MyceliumServer;
  readonly unix: Target;
  readonly tcp: Target;
  /** Even `i` Unix, odd `i` TCP. */
  target(i: number): Target;
  /** Writes the config file for sequence `run` with `settings` (not yet in force). */
  write(run: number, settings: Settings): Promise<void>;
  /** Re-reads the file through the server's reload API. */
  reload(): Promise<ReloadReport>;
  /** Called for every connection the server closes. */
  onClose(listener: (info: ClosedConnectionInfo) => void): void;
  stop(): Promise<void>;
}

export async function startModelServer(): Promise<ModelServer> {
  const dir = await tempDir();
  const file = join(dir, 'broker.toml');
  const socketPath = join(dir, 'm.sock');
  let version = 0;
  const toml = (run: number, s: Settings | undefined): string => {
    const names = topicNames(run);
    return stringify({
      server: { socket_path: socketPath, port: 0, log_level: 'silent' },
      performance: s === undefined ? {} : { channel_capacity: s.channelCapacity },
      metrics: { enabled: false },
      topics:
        s === undefined
          ? []
          : [
              { name: names.fanout, routing: 'Fanout', buffer_size: s.fanoutBuffer },
              {
                name: names.manual,
                routing: 'Queue',
                ack: 'manual',
                buffer_size: s.manualBuffer,
                prefetch: s.prefetch,
                delivery_limit: DELIVERY_LIMIT,
              },
              { name: names.none, routing: 'Queue', ack: 'none', buffer_size: s.noneBuffer },
            ],
    });
  };
  const write = async (run: number, s: Settings | undefined): Promise<void> => {
    // Write then rename, so a reload never reads half a file.
    const temp = join(dir, `.broker.toml.${++version}`);
    await writeFile(temp, toml(run, s));
    await rename(temp, file);
  };
  await write(0, undefined);
  const load = { file, env: {}, overrides: [] };
  const { config } = await loadConfig(load);
  const server = await startServer(config, { logger: createLogger('silent', { pretty: false }), load });
  const { unix, tcp } = targets(server);
  return {
    server,
    unix,
    tcp,
    target: (i) => (i % 2 === 0 ? unix : tcp),
    write,
    reload: () => server.reload(),
    onClose: (listener) => server.on('connection_closed', listener),
    async stop() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
