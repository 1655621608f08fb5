/**
 * The peer brokers: finding (or installing) nats-server and redis-server, and starting each on
 * loopback on a free port as its own process.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { withRaisedNofile } from './proc.ts';
import type { BrokerId, Endpoint, SystemId } from './types.ts';

/** Debian packages that provide the peers. */
const PACKAGES: Record<'nats' | 'redis', { binary: string; pkg: string }> = {
  nats: { binary: 'nats-server', pkg: 'nats-server' },
  redis: { binary: 'redis-server', pkg: 'redis-server' },
};

function onPath(binary: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : null;
}

/**
 * Finds each wanted peer's server binary, installing the missing ones with apt-get (after one
 * `apt-get update`). Returns the binaries found and, for each peer that cannot be had, why.
 */
export function ensurePeers(
  wanted: readonly ('nats' | 'redis')[],
  log: (line: string) => void,
): {
  binaries: Partial<Record<'nats' | 'redis', string>>;
  skipped: Partial<Record<'nats' | 'redis', string>>;
} {
  const binaries: Partial<Record<'nats' | 'redis', string>> = {};
  const skipped: Partial<Record<'nats' | 'redis', string>> = {};
  const missing = wanted.filter((peer) => {
    const path = onPath(PACKAGES[peer].binary);
    if (path) binaries[peer] = path;
    return path === null;
  });
  if (missing.length > 0) {
    const pkgs = missing.map((p) => PACKAGES[p].pkg);
    log(`installing ${pkgs.join(' ')} with apt-get (not on PATH)`);
    const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[], encoding: 'utf8' as const };
    const update = spawnSync('apt-get', ['update'], quiet);
    const install =
      update.error === undefined ? spawnSync('apt-get', ['install', '-y', ...pkgs], quiet) : update;
    const why =
      install.error?.message ?? (install.status === 0 ? '' : install.stderr.trim().split('\n').pop());
    for (const peer of missing) {
      const path = onPath(PACKAGES[peer].binary);
      if (path) binaries[peer] = path;
      else
        skipped[peer] = why
          ? `${PACKAGES[peer].binary} is not on PATH and apt-get could not install it (${why})`
          : `apt-get installed ${PACKAGES[peer].pkg}, but ${PACKAGES[peer].binary} is still not on PATH`;
    }
  }
  return { binaries, skipped };
}

/** A free loopback TCP port (bound and released; the race with another process is accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A broker process the suite started. */
export interface Broker {
  readonly id: BrokerId;
  readonly process: ChildProcess;
  /** The endpoints of the systems this broker serves. */
  readonly endpoints: Partial<Record<SystemId, Endpoint>>;
  /** Where its stdout and stderr go. */
  readonly logPath: string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for the exit. */
  stop(): Promise<void>;
}

/** Spawns `command` with a raised open-file limit, output to `logPath`. */
export function spawnBroker(
  id: BrokerId,
  command: string,
  args: readonly string[],
  endpoints: Partial<Record<SystemId, Endpoint>>,
  logPath: string,
  cwd?: string,
): Broker {
  const out = openSync(logPath, 'a');
  const [cmd, argv] = withRaisedNofile(command, args);
  const child = spawn(cmd, argv, { stdio: ['ignore', out, out], cwd });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    id,
    process: child,
    endpoints,
    logPath,
    alive,
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts nats-server on a free loopback port. */
export async function startNats(binary: string, dir: string, tag: string): Promise<Broker> {
  const port = await freePort();
  const endpoint: Endpoint = { kind: 'tcp', host: '127.0.0.1', port };
  return spawnBroker(
    'nats',
    binary,
    ['-a', '127.0.0.1', '-p', String(port)],
    { nats: endpoint },
    join(dir, `${tag}.log`),
  );
}

/** Starts redis-server on a free loopback port: no persistence, room for 10,000+ clients. */
export async function startRedis(binary: string, dir: string, tag: string): Promise<Broker> {
  const port = await freePort();
  const endpoint: Endpoint = { kind: 'tcp', host: '127.0.0.1', port };
  const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'];
  // Redis refuses clients past maxclients (default 10,000); the memory rows need 10,001.
  args.push('--maxclients', '20000', '--dir', dir);
  return spawnBroker('redis', binary, args, { redis: endpoint }, join(dir, `${tag}.log`));
}

/** First line of `binary --version` (recorded with the results). */
export function versionOf(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return (out.stdout || out.stderr || '').trim().split('\n')[0] ?? '';
}

function canConnect(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket =
      endpoint.kind === 'tcp' ? connect(endpoint.port, endpoint.host) : connect({ path: endpoint.path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until every endpoint of `broker` accepts connections; fails with its log's tail if it exits. */
export async function waitReady(broker: Broker, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const endpoint of Object.values(broker.endpoints)) {
    while (!(await canConnect(endpoint))) {
      if (!broker.alive() || Date.now() > deadline) {
        const tail = readFileSync(broker.logPath, 'utf8').trim().split('\n').slice(-8).join('\n');
        await broker.stop();
        throw new Error(`${broker.id} did not start (${broker.alive() ? 'timed out' : 'exited'}):\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
