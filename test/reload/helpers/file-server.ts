/**
 * A real server started from a TOML file in a temp dir (socket there, TCP port 0), the way `serve`
 * starts one, so `reload()` reads that file again. Logs go to memory, so tests can read them (and
 * check that no secret is ever written).
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { stringify } from 'smol-toml';
import { type ConfigOverride, type Environment, loadConfig } from '../../../src/config/index.ts';
import {
  type Logger,
  type MyceliumServer,
  type ReloadReport,
  startServer,
} from '../../../src/server/index.ts';
import type { RawClient, Target } from '../../server/helpers/raw-client.ts';
import { type ClientOptions, RawClients, targets } from '../../server/helpers/server-watch.ts';
import { tempDir } from '../../server/helpers/socket-pair.ts';

/** One `[[topics]]` entry or a section, as TOML keys and values. */
export type Table = Record<string, string | number | boolean>;

/** What a test config holds besides the fixed listener keys. */
export interface ConfigSpec {
  readonly server?: Table;
  readonly topics?: readonly Table[];
  readonly performance?: Table;
  readonly metrics?: Table;
}

/** Logs written so far, one parsed JSON object per line. */
export class LogSink {
  readonly lines: Record<string, unknown>[] = [];
  /** Every byte written, for searching for secrets. */
  text = '';
  readonly logger: Logger;

  constructor(level = 'info') {
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        const text = chunk.toString();
        this.text += text;
        for (const line of text.split('\n')) if (line !== '') this.lines.push(JSON.parse(line));
        done();
      },
    });
    this.logger = pino({ level }, stream);
  }

  /** Lines whose `msg` matches. */
  where(msg: RegExp): Record<string, unknown>[] {
    return this.lines.filter((l) => msg.test(String(l.msg)));
  }
}

export interface FileServer {
  readonly server: MyceliumServer;
  readonly dir: string;
  readonly file: string;
  readonly unix: Target;
  readonly tcp: Target;
  readonly logs: LogSink;
  /** Every `reload` event so far. */
  readonly reloads: ReloadReport[];
  /** The TOML text of `spec` with this server's listener keys. */
  toml(spec: ConfigSpec): string;
  /** Replaces the config file the way editors do: write a temp file, rename it over. */
  write(spec: ConfigSpec | string | Buffer): Promise<void>;
  /** A client that completed its handshake (Unix socket unless `tcp`). */
  client(name: string, options?: ClientOptions): Promise<RawClient>;
  stop(): Promise<void>;
}

/** The SHA-256 of the server's config as JSON: equal hashes, equal configs. */
export function configHash(server: MyceliumServer): string {
  return createHash('sha256').update(JSON.stringify(server.config)).digest('hex');
}

/** Options of {@link startFromFile}. */
export interface StartFromFileOptions {
  /** The level the in-memory logger starts at (a reload sets the file's `log_level`). */
  readonly logLevel?: string;
  /** Env overrides (default none: the process env is not read). */
  readonly env?: Environment;
  /** Flag overrides, as `serve` passes them. */
  readonly overrides?: readonly ConfigOverride[];
}

/** Starts a server from a file holding `spec`, loaded as `serve` loads it. */
export async function startFromFile(
  spec: ConfigSpec,
  options: StartFromFileOptions = {},
): Promise<FileServer> {
  const { dir, cleanup } = await tempDir();
  const file = join(dir, 'broker.toml');
  const socketPath = join(dir, 'mycelium.sock');
  const toml = (s: ConfigSpec): string =>
    stringify({
      server: { socket_path: socketPath, port: 0, log_level: 'info', ...s.server },
      performance: { ...s.performance },
      metrics: { enabled: false, ...s.metrics },
      topics: s.topics ?? [],
    });
  let version = 0;
  const write = async (content: ConfigSpec | string | Buffer): Promise<void> => {
    const text = typeof content === 'string' || Buffer.isBuffer(content) ? content : toml(content);
    const temp = join(dir, `.broker.toml.${++version}`);
    await writeFile(temp, text);
    await rename(temp, file);
  };
  await write(spec);
  const logs = new LogSink(options.logLevel ?? 'info');
  const load = { file, env: options.env ?? {}, overrides: options.overrides ?? [] };
  const { config } = await loadConfig(load);
  const server = await startServer(config, { logger: logs.logger, load });
  const reloads: ReloadReport[] = [];
  server.on('reload', (report) => reloads.push(report));
  const clients = new RawClients(server);
  return {
    server,
    dir,
    file,
    ...targets(server),
    logs,
    reloads,
    toml,
    write,
    client: (name, options) => clients.open(name, options),
    async stop() {
      clients.destroyAll();
      await server.close();
      await cleanup();
    },
  };
}
